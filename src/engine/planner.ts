/**
 * The smart-charging planner (docs/engine.md#plans): which time slots before the deadline charge
 * the energy still needed, at the plan power, at the lowest price. Pure: time and prices come in.
 *
 * - The protective minimum (`minimum_energy`) is charged at once, whatever the price.
 * - The rest goes to the cheapest price segments between the end of the minimum and the deadline;
 *   at equal prices the earlier segment wins (the car is ready sooner, the risk of a late start is
 *   smaller). A segment used only partly is used from its start.
 * - Without prices (no tariff) the rest is charged as late as possible.
 * - When the time before the deadline is too short, the whole energy is charged at once
 *   (`feasible: false`); the caller says so.
 * Slots never straddle a price change: they are cut wherever the price changes, and neighbours
 * are merged only when their prices are equal.
 */

/** A price in force over [start, end), ms since the epoch; price per kWh. */
export interface PriceSlot {
  start: number;
  end: number;
  price: number;
}

/** Price segments covering [from, to) exactly, cut at every price change; null = no tariff. */
export type PriceSource = (from: number, to: number) => PriceSlot[] | null;

/** What a plan is made of; energy kWh, power W, times ms since the epoch. */
export interface PlanRequest {
  now: number;
  deadline: number;
  /** Energy still to charge (the policy's energy minus what is charged), kWh. */
  energyKWh: number;
  /** Of which at once (the policy's minimum_energy minus what is charged, at least 0), kWh. */
  minimumKWh: number;
  /** Plan power, W (> 0). */
  powerW: number;
  prices: PriceSource;
}

/** One planned charging slot; price null without a tariff. */
export interface PlannedSlot {
  start: number;
  end: number;
  price: number | null;
}

/** A plan: its slots in time order and what it costs (null without a tariff). */
export interface PlanResult {
  slots: PlannedSlot[];
  /** The energy fits before the deadline. */
  feasible: boolean;
  /** Cost of the slots at plan power. */
  estimatedCost: number | null;
  /** Cost of the same energy charged at once from now at plan power. */
  nonSmartCost: number | null;
}

const HOUR_MS = 3_600_000;

/** Time needed to charge `kWh` at `powerW`, ms (whole seconds, rounded up). */
export function durationMs(kWh: number, powerW: number): number {
  if (kWh <= 0 || powerW <= 0) return 0;
  return Math.ceil((kWh / (powerW / 1000)) * 3600) * 1000;
}

/** The price segments of [from, to), or one price-less segment without a tariff. */
function cut(prices: PriceSource, from: number, to: number): PlannedSlot[] {
  if (to <= from) return [];
  const segs = prices(from, to);
  if (segs === null) return [{ start: from, end: to, price: null }];
  return segs
    .map((s) => ({ start: Math.max(from, s.start), end: Math.min(to, s.end), price: s.price }))
    .filter((s) => s.end > s.start);
}

/** Cost of slots at `powerW`; null when a slot has no price. */
export function costOf(slots: readonly PlannedSlot[], powerW: number): number | null {
  let sum = 0;
  for (const s of slots) {
    if (s.price === null) return null;
    sum += ((s.end - s.start) / HOUR_MS) * (powerW / 1000) * s.price;
  }
  return sum;
}

/** Sorts by start and merges touching neighbours of equal price. */
function tidy(slots: PlannedSlot[]): PlannedSlot[] {
  const sorted = [...slots].sort((a, b) => a.start - b.start);
  const out: PlannedSlot[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.end === s.start && last.price === s.price) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

/** Picks `needMs` of the cheapest time among `segments` (earlier first at equal price). */
function cheapest(segments: PlannedSlot[], needMs: number): PlannedSlot[] {
  const order = [...segments].sort((a, b) => (a.price ?? 0) - (b.price ?? 0) || a.start - b.start);
  const picked: PlannedSlot[] = [];
  let left = needMs;
  for (const s of order) {
    if (left <= 0) break;
    const take = Math.min(left, s.end - s.start);
    picked.push({ start: s.start, end: s.start + take, price: s.price });
    left -= take;
  }
  return picked;
}

/** Makes the plan for one charger (see the file comment for the rules). */
export function makePlan(req: PlanRequest): PlanResult {
  const { now, deadline, powerW, prices } = req;
  const needMs = durationMs(req.energyKWh, powerW);
  const atOnce = tidy(cut(prices, now, now + needMs));
  const nonSmartCost = costOf(atOnce, powerW);
  if (needMs === 0) return { slots: [], feasible: true, estimatedCost: 0, nonSmartCost: 0 };
  if (now + needMs > deadline) {
    return { slots: atOnce, feasible: false, estimatedCost: nonSmartCost, nonSmartCost };
  }
  const minMs = Math.min(needMs, durationMs(req.minimumKWh, powerW));
  const first = cut(prices, now, now + minMs);
  const restMs = needMs - minMs;
  const window = cut(prices, now + minMs, deadline);
  const noTariff = window.some((s) => s.price === null);
  const rest = noTariff ? cut(prices, deadline - restMs, deadline) : cheapest(window, restMs);
  const slots = tidy([...first, ...rest].filter((s) => s.end > s.start));
  return { slots, feasible: true, estimatedCost: costOf(slots, powerW), nonSmartCost };
}
