/**
 * The tariff (docs/engine.md#tariff): daily time-of-use zones in local time
 * (site.timezone, DST-aware; `to <= from` wraps past midnight; gaps cost `default_price`) and an
 * optional price list from an MQTT topic that wins while it covers now. Prices in
 * `<currency>/kWh`, instants in ms since the epoch.
 */
import type { Logger } from 'pino';
import type { TariffConfig } from '../config/types.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { addDays, isoLocal, localDate, localInstant, localMidnights } from '../core/local-time.js';
import { type ParsedPrices, parsePriceList } from './price-list.js';

/** One price over [start, end), ms since the epoch; price in currency/kWh. */
export interface PriceSlot {
  start: number;
  end: number;
  price: number;
}

const HOUR = 3_600_000;
/** How far ahead nextChange looks for a price change, ms. */
const LOOKAHEAD_MS = 48 * HOUR;
/** Longest timer the tariff sets (Node timers overflow past 24.8 days), ms. */
const MAX_TIMER_MS = 6 * HOUR;

/** Prices of the site over time; `onChange` tells the planner and the site when the topic list changes what applies. */
export class Tariff {
  /** ISO 4217 currency of every price. */
  readonly currency: string;
  /** The topic price list: sorted, non-overlapping. */
  private list: PriceSlot[] = [];
  private readonly listeners = new Set<() => void>();
  private timer?: TimerHandle;
  /** Whether the topic list covered now when last checked (to notify when that flips). */
  private covering = false;

  constructor(
    private readonly cfg: TariffConfig,
    private readonly timezone: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.currency = cfg.currency;
  }

  /** The MQTT topic of the price list, if configured. */
  get topic(): string | undefined {
    return this.cfg.topic;
  }

  /** The price in force at `t` (currency/kWh): the topic list's entry while the list covers now, else the zone or default price. */
  priceAt(t: number): number {
    if (this.hasTopicPrices(this.clock.now())) {
      const e = this.list.find((s) => s.start <= t && t < s.end);
      if (e) return e.price;
    }
    return this.zonePriceAt(t);
  }

  /**
   * Prices over [from, to): contiguous slots covering it exactly, cut at every price change (zone
   * boundaries in local time, the topic list's bounds while it is in use); neighbours with the
   * same price are merged.
   */
  segments(from: number, to: number): PriceSlot[] {
    if (!(to > from)) return [];
    const useList = this.hasTopicPrices(this.clock.now());
    const cuts = new Set<number>([from, to]);
    for (const z of this.zoneIntervals(from, to)) {
      cuts.add(z.start);
      cuts.add(z.end);
    }
    if (useList)
      for (const s of this.list) {
        cuts.add(s.start);
        cuts.add(s.end);
      }
    const points = [...cuts].filter((c) => c >= from && c <= to).sort((a, b) => a - b);
    const out: PriceSlot[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const start = points[i]!;
      const end = points[i + 1]!;
      const entry = useList ? this.list.find((s) => s.start <= start && start < s.end) : undefined;
      const price = entry ? entry.price : this.zonePriceAt(start);
      const last = out[out.length - 1];
      if (last && last.price === price) last.end = end;
      else out.push({ start, end, price });
    }
    return out;
  }

  /** The next instant after `now` at which the price in force changes (ms), or null if none within 48 h. */
  nextChange(now: number): number | null {
    const first = this.segments(now, now + LOOKAHEAD_MS)[0];
    return first && first.end < now + LOOKAHEAD_MS ? first.end : null;
  }

  /** Whether the topic price list is in use: one of its entries contains `now`. */
  hasTopicPrices(now: number): boolean {
    return this.list.some((s) => s.start <= now && now < s.end);
  }

  /** The topic price list as last accepted (sorted). */
  topicPrices(): readonly PriceSlot[] {
    return this.list;
  }

  /** Calls `cb` when topic prices arrive or change, and when the list starts or stops covering now; returns the unsubscribe. */
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  /** A message on `cfg.topic`: a JSON array of `{start, end, price}`; invalid ones are logged and change nothing. */
  handleMessage(payload: Buffer, retained: boolean): void {
    const topic = this.cfg.topic ?? '(no topic)';
    const text = payload.toString();
    this.log.debug({ topic, retained, bytes: payload.length }, 'price list received');
    const parsed: ParsedPrices = parsePriceList(text, this.timezone);
    if (!parsed.ok) {
      this.log.warn(
        { topic },
        `ignored the price list on ${topic}: ${parsed.why}; keeping the ${this.list.length > 0 ? 'previous list' : 'zones and default price'}`,
      );
      return;
    }
    const list = parsed.slots;
    if (JSON.stringify(list) === JSON.stringify(this.list)) {
      this.log.debug({ topic }, 'price list unchanged');
      return;
    }
    this.list = list;
    const now = this.clock.now();
    this.covering = this.hasTopicPrices(now);
    this.log.info(
      {
        topic,
        entries: list.length,
        from: list.length > 0 ? isoLocal(list[0]!.start, this.timezone) : null,
        to: list.length > 0 ? isoLocal(list[list.length - 1]!.end, this.timezone) : null,
        in_use: this.covering,
      },
      this.covering
        ? `tariff prices from ${topic} in use (${list.length} entries)`
        : `tariff prices from ${topic} received (${list.length} entries) but none covers now; zones apply`,
    );
    this.schedule();
    this.notify();
  }

  /** Cancels the coverage timer. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The zone or default price at `t`. */
  private zonePriceAt(t: number): number {
    const z = this.zoneIntervals(t, t + 1).find((i) => i.start <= t && t < i.end);
    return z ? z.price : this.cfg.default_price;
  }

  /**
   * Every zone occurrence that may overlap [from, to), as instants: each zone of each local day
   * from the day before `from` (zones wrapping past midnight reach into the next day) on.
   */
  private zoneIntervals(from: number, to: number): PriceSlot[] {
    if (this.cfg.zones.length === 0) return [];
    const out: PriceSlot[] = [];
    const tz = this.timezone;
    for (const midnight of localMidnights(from - 26 * HOUR, to, tz)) {
      const day = localDate(midnight, tz);
      for (const z of this.cfg.zones) {
        const start = localInstant(day, z.from, tz);
        const end = localInstant(z.to <= z.from ? addDays(day, 1) : day, z.to, tz);
        if (end > start && end > from && start < to) out.push({ start, end, price: z.price });
      }
    }
    return out;
  }

  /** Sets a timer at the next bound of the topic list, where its coverage of now may flip. */
  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock.now();
    const next = this.list
      .flatMap((s) => [s.start, s.end])
      .filter((b) => b > now)
      .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    if (!Number.isFinite(next)) return;
    this.timer = this.clock.setTimeout(() => this.onBound(), Math.min(next - now, MAX_TIMER_MS));
  }

  private onBound(): void {
    this.timer = undefined;
    const covering = this.hasTopicPrices(this.clock.now());
    if (covering !== this.covering) {
      this.covering = covering;
      this.log.info(
        { topic: this.cfg.topic },
        covering
          ? `tariff prices from ${this.cfg.topic} now in use`
          : `tariff prices from ${this.cfg.topic} no longer cover now; zones and default price apply`,
      );
      this.notify();
    }
    this.schedule();
  }

  private notify(): void {
    for (const cb of [...this.listeners]) {
      try {
        cb();
      } catch (err) {
        this.log.error({ err }, 'a tariff change listener failed');
      }
    }
  }
}
