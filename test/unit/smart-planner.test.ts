/**
 * The smart-charging planner (docs/engine.md#plans): cheapest slots before the deadline, the
 * protective minimum at once, no tariff = as late as possible, an unmeetable deadline = at once,
 * slots cut at every price change, estimated vs non-smart cost.
 */
import { describe, expect, it } from '@jest/globals';
import { costOf, durationMs, makePlan, type PriceSlot, type PriceSource } from '../../src/engine/planner.js';

const H = 3_600_000;
const T0 = Date.parse('2026-06-01T18:00:00Z');
const at = (h: number) => T0 + h * H;

/** Prices by hour offsets from T0: [fromH, toH, price]; default elsewhere. */
function prices(zones: Array<[number, number, number]>, fallback: number): PriceSource {
  return (from, to) => {
    const cuts = new Set<number>([from, to]);
    for (const [a, b] of zones) for (const x of [at(a), at(b)]) if (x > from && x < to) cuts.add(x);
    const pts = [...cuts].sort((a, b) => a - b);
    const out: PriceSlot[] = [];
    for (let i = 0; i + 1 < pts.length; i++) {
      const mid = (pts[i]! + pts[i + 1]!) / 2;
      const z = zones.find(([a, b]) => mid >= at(a) && mid < at(b));
      out.push({ start: pts[i]!, end: pts[i + 1]!, price: z ? z[2] : fallback });
    }
    return out;
  };
}
const none: PriceSource = () => null;
const iso = (ms: number) => new Date(ms).toISOString();

describe('planner', () => {
  it('durationMs: 11 kWh at 7.36 kW', () => {
    expect(durationMs(11, 7360)).toBe(Math.ceil((11 / 7.36) * 3600) * 1000);
    expect(durationMs(0, 7000)).toBe(0);
  });

  it('charges in the cheapest hours before the deadline', () => {
    // cheap 02–05 (hours 8–11 from 18:00), expensive 16–19 does not matter; 3 h needed at 5 kW
    const plan = makePlan({
      now: at(0),
      deadline: at(13),
      energyKWh: 15,
      minimumKWh: 0,
      powerW: 5000,
      prices: prices([[8, 11, 0.15]], 0.25),
    });
    expect(plan.feasible).toBe(true);
    expect(plan.slots.map((s) => [iso(s.start), iso(s.end), s.price])).toEqual([
      [iso(at(8)), iso(at(11)), 0.15],
    ]);
    expect(plan.estimatedCost).toBeCloseTo(15 * 0.15, 6);
    expect(plan.nonSmartCost).toBeCloseTo(15 * 0.25, 6);
  });

  it('spills into the next cheapest price, earlier first, and never straddles a price change', () => {
    const plan = makePlan({
      now: at(0),
      deadline: at(13),
      energyKWh: 25, // 5 h at 5 kW: 3 cheap hours + 2 at the default
      minimumKWh: 0,
      powerW: 5000,
      prices: prices([[8, 11, 0.15]], 0.25),
    });
    expect(plan.slots.map((s) => [iso(s.start), iso(s.end), s.price])).toEqual([
      [iso(at(0)), iso(at(2)), 0.25],
      [iso(at(8)), iso(at(11)), 0.15],
    ]);
    expect(costOf(plan.slots, 5000)).toBeCloseTo(10 * 0.25 + 15 * 0.15, 6);
  });

  it('charges the protective minimum at once, whatever the price', () => {
    const plan = makePlan({
      now: at(0),
      deadline: at(13),
      energyKWh: 15,
      minimumKWh: 5,
      powerW: 5000,
      prices: prices([[8, 11, 0.15]], 0.25),
    });
    expect(plan.slots.map((s) => [iso(s.start), iso(s.end)])).toEqual([
      [iso(at(0)), iso(at(1))],
      [iso(at(8)), iso(at(10))],
    ]);
  });

  it('without a tariff charges as late as possible, costs unknown', () => {
    const plan = makePlan({
      now: at(0),
      deadline: at(13),
      energyKWh: 10,
      minimumKWh: 0,
      powerW: 5000,
      prices: none,
    });
    expect(plan.slots.map((s) => [iso(s.start), iso(s.end), s.price])).toEqual([
      [iso(at(11)), iso(at(13)), null],
    ]);
    expect(plan.estimatedCost).toBeNull();
    expect(plan.nonSmartCost).toBeNull();
  });

  it('a deadline that cannot be met: everything at once, not feasible', () => {
    const plan = makePlan({
      now: at(0),
      deadline: at(2),
      energyKWh: 15,
      minimumKWh: 0,
      powerW: 5000,
      prices: prices([[1, 5, 0.1]], 0.3),
    });
    expect(plan.feasible).toBe(false);
    // at once from now, cut at the price change at +1 h
    expect(plan.slots.map((s) => [iso(s.start), iso(s.end), s.price])).toEqual([
      [iso(at(0)), iso(at(1)), 0.3],
      [iso(at(1)), iso(at(3)), 0.1],
    ]);
    expect(plan.estimatedCost).toBeCloseTo(plan.nonSmartCost!, 9);
  });

  it('nothing to charge: no slots', () => {
    const plan = makePlan({
      now: at(0),
      deadline: at(5),
      energyKWh: 0,
      minimumKWh: 0,
      powerW: 5000,
      prices: none,
    });
    expect(plan.slots).toEqual([]);
    expect(plan.feasible).toBe(true);
  });

  it('estimated cost is never above the non-smart cost when the plan is feasible', () => {
    for (let kwh = 1; kwh <= 60; kwh += 7) {
      const plan = makePlan({
        now: at(0),
        deadline: at(13),
        energyKWh: kwh,
        minimumKWh: Math.min(kwh, 3),
        powerW: 7000,
        prices: prices(
          [
            [1, 3, 0.4],
            [8, 11, 0.12],
            [11, 12, 0.2],
          ],
          0.28,
        ),
      });
      if (!plan.feasible) continue;
      expect(plan.estimatedCost!).toBeLessThanOrEqual(plan.nonSmartCost! + 1e-9);
      const total = plan.slots.reduce((a, s) => a + (s.end - s.start), 0);
      expect(total).toBe(durationMs(kwh, 7000));
      for (const s of plan.slots) expect(s.end).toBeLessThanOrEqual(at(13));
    }
  });
});
