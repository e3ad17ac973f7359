import type { Logger } from 'pino';
import type { MeterConfig } from '../config/types.js';
import type { EventBus } from '../core/bus.js';
import { backoff, type Clock, type TimerHandle } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import { METER_ENTITIES, type MeterContext } from '../core/meter-entities.js';
import type { DeviceInfo } from '../core/model.js';
import { parseAvailability, parseMeterMessage } from './mqtt.js';
import { implausible } from './plausible.js';
import type { MeterPoller, MeterSample, MeterTypeDef } from './types.js';

/** What a meter runtime is built from. */
export interface MeterDeps {
  cfg: MeterConfig;
  type: MeterTypeDef;
  bus: EventBus;
  clock: Clock;
  log: Logger;
}

/** A reading as the site sees it. */
export interface MeterValue {
  /** W after scale and role rules, or null before the first good reading. */
  value: number | null;
  /** Per-phase currents, A, when the meter gives them. */
  currents: Array<number | null> | null;
  /** s since the reading was measured; null before the first one. */
  age: number | null;
  stale: boolean;
  /** The reading in hand arrived live (not from the broker's retained store, which has no age). */
  live: boolean;
  /**
   * When the earlier of the last two live readings arrived, ms, if both arrived fresh (within
   * max_age) one after the other; null otherwise. A fail-safe ends on such a pair (docs/engine.md).
   */
  freshPairAt: number | null;
}

/**
 * One energy meter: fed by MQTT messages (type `mqtt`) or polled (Shelly). It scales the reading,
 * applies the role rules (pv and house never negative), tracks its age against `max_age`, and is
 * online while its reading is fresh and its source says it is online (docs/mqtt-api.md#availability).
 */
export class MeterRuntime implements DeviceView {
  readonly kind = 'meter' as const;
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly cfg: MeterConfig;
  readonly ctx: MeterContext;
  readonly entities;
  info: DeviceInfo;
  online = false;
  attempted = false;
  private state: Record<string, unknown> = {};
  private sample?: MeterSample & { at: number };
  /** The last reading came from the broker's retained store: unknown age until a live one arrives. */
  private retainedOnly = false;
  /** Arrival times (ms) of the last live readings that arrived fresh in a row (at most 2). */
  private freshRow: number[] = [];
  private sourceOnline = true;
  private staleTimer?: TimerHandle;
  private pollTimer?: TimerHandle;
  private poller?: MeterPoller;
  private failures = 0;
  private lastProblem?: string;
  private stopped = false;

  constructor(private readonly deps: MeterDeps) {
    this.cfg = deps.cfg;
    this.id = deps.cfg.id;
    this.name = deps.cfg.name;
    this.type = deps.cfg.type;
    this.ctx = { cfg: deps.cfg, provides: deps.type.provides(deps.cfg) };
    this.entities = METER_ENTITIES.filter((e) => e.has(this.ctx));
    this.info = {
      manufacturer: deps.type.manufacturer,
      model: deps.cfg.type === 'mqtt' ? `MQTT meter (${deps.cfg.topic})` : deps.type.model,
    };
  }

  get current(): Readonly<Record<string, unknown>> {
    return this.state;
  }

  /** Topics to subscribe for an `mqtt` meter. */
  topics(): string[] {
    if (this.cfg.type !== 'mqtt') return [];
    return [this.cfg.topic!, ...(this.cfg.availability_topic ? [this.cfg.availability_topic] : [])];
  }

  /** Starts polling (polled types); `mqtt` meters wait for messages. */
  start(): void {
    if (this.deps.type.create) void this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.staleTimer);
    this.deps.clock.clearTimeout(this.pollTimer);
    await this.poller?.close().catch(() => {});
  }

  /** The reading for the site figures. */
  value(): MeterValue {
    const s = this.sample;
    const age = s ? Math.max(0, (this.deps.clock.now() - s.at) / 1000) : null;
    return {
      value: s ? s.power : null,
      currents:
        s && s.current_l1 !== undefined
          ? [s.current_l1 ?? null, s.current_l2 ?? null, s.current_l3 ?? null]
          : null,
      age: age === null ? null : Math.round(age * 10) / 10,
      stale: this.isStale(),
      live: s !== undefined && !this.retainedOnly,
      freshPairAt: this.freshRow.length >= 2 ? this.freshRow[0]! : null,
    };
  }

  /** Routes one MQTT message: the meter topic or its availability topic. */
  feed(topic: string, payload: Buffer, retain: boolean): void {
    const text = payload.toString('utf8');
    if (topic === this.cfg.availability_topic) {
      const online = parseAvailability(text);
      if (online === undefined) {
        this.problem(`availability message not understood on ${topic}: ${JSON.stringify(text.slice(0, 60))}`);
        return;
      }
      this.sourceOnline = online;
      if (!online) this.freshRow = [];
      this.deps.log.info(
        { source_online: online },
        online ? 'meter source online' : 'meter source offline: reading stale at once',
      );
      this.update();
      return;
    }
    if (topic !== this.cfg.topic || text.length === 0) return;
    const parsed = parseMeterMessage(text, this.cfg);
    if (!parsed.ok) {
      this.problem(`ignored a meter message on ${topic}: ${parsed.why}`);
      return;
    }
    // a retained reading has an unknown age: stale until a live message arrives (docs/engine.md#fail-safes)
    this.accept(parsed.sample, retain);
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    const pollMs = this.cfg.poll_interval * 1000;
    try {
      this.poller ??= await this.deps.type.create!({
        cfg: this.cfg,
        log: this.deps.log,
        clock: this.deps.clock,
      });
      if (JSON.stringify(this.poller.info) !== JSON.stringify(this.info)) {
        this.info = this.poller.info;
        this.deps.bus.emit('device.info', { id: this.id, info: this.info });
      }
      const sample = await this.poller.read();
      this.failures = 0;
      this.accept(sample, false);
      this.schedule(pollMs);
    } catch (e) {
      this.failures += 1;
      this.problem(`read failed: ${(e as Error).message}`);
      if (!this.attempted) this.markAttempted();
      this.update();
      this.schedule(backoff(pollMs, this.failures, 60_000));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.deps.clock.setTimeout(() => void this.poll(), ms);
  }

  private accept(raw: MeterSample, retained: boolean): void {
    const power = raw.power * this.cfg.scale;
    const why = implausible(power, raw);
    if (why) {
      this.problem(`refused an implausible reading (${why}); the last good value stays and keeps aging`);
      return;
    }
    if ((this.cfg.role === 'pv' || this.cfg.role === 'house') && power < 0) {
      this.problem(
        `a ${this.cfg.role} reading below 0 (${power} W) is an error; use scale: -1 to flip the sign`,
      );
      return;
    }
    const now = this.deps.clock.now();
    this.sample = {
      ...raw,
      power: Math.round(power * 10) / 10,
      at: raw.at !== undefined && raw.at <= now ? raw.at : now,
    };
    this.retainedOnly = retained;
    // a retained reading, or one already older than max_age when it arrives, breaks the row
    const arrivedFresh = !retained && (now - this.sample.at) / 1000 <= this.cfg.max_age;
    this.freshRow = arrivedFresh ? [...this.freshRow.slice(-1), now] : [];
    if (this.lastProblem) this.deps.log.info('meter readings good again');
    this.lastProblem = undefined;
    if (!this.attempted) this.markAttempted();
    this.update();
  }

  private markAttempted(): void {
    this.attempted = true;
    this.deps.bus.emit('device.attempted', { id: this.id });
  }

  /** Logs a problem once per distinct text (no crash; the last good value keeps aging). */
  private problem(text: string): void {
    if (text !== this.lastProblem) this.deps.log.warn({ meter: this.id }, text);
    else this.deps.log.debug({ meter: this.id }, text);
    this.lastProblem = text;
  }

  private isStale(): boolean {
    const s = this.sample;
    if (!s || this.retainedOnly || !this.sourceOnline) return true;
    return (this.deps.clock.now() - s.at) / 1000 > this.cfg.max_age;
  }

  /** Publishes state and availability, and arms the timer for the moment the reading goes stale. */
  private update(): void {
    this.deps.clock.clearTimeout(this.staleTimer);
    const stale = this.isStale();
    const s = this.sample;
    if (s && !stale) {
      const ms = s.at + this.cfg.max_age * 1000 - this.deps.clock.now() + 1;
      this.staleTimer = this.deps.clock.setTimeout(() => this.update(), Math.max(1, ms));
    }
    if (s) {
      const state: Record<string, unknown> = {};
      for (const e of this.entities) {
        state[e.key] =
          e.key === 'last_seen'
            ? new Date(s.at).toISOString()
            : ((s as unknown as Record<string, unknown>)[e.key] ?? null);
      }
      const changed = Object.keys(state).filter(
        (k) => JSON.stringify(state[k]) !== JSON.stringify(this.state[k]),
      );
      this.state = state;
      // the site follows every reading (its figures and the ages), even when the values repeat
      this.deps.bus.emit('device.state', { id: this.id, state, changed });
    }
    const online = !stale;
    if (online !== this.online || !this.availabilityKnown) {
      this.online = online;
      this.availabilityKnown = true;
      if (!online && s) this.deps.log.warn({ meter: this.id }, 'meter reading is stale');
      this.deps.bus.emit('device.availability', { id: this.id, online });
    }
  }

  private availabilityKnown = false;
}
