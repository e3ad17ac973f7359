import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import { type SiteContext, siteEntities } from '../core/meter-entities.js';
import type { DeviceInfo, Scalar } from '../core/model.js';
import { listProblems } from '../core/problems.js';
import type { CommandResult, SetOptions } from '../core/set-command.js';
import type { StateStore } from '../core/state-store.js';
import { coerceValue } from '../core/values.js';
import type { MeterRuntime } from '../meters/meter-runtime.js';
import type { Tariff } from '../tariff/tariff.js';

/** The charger facts the site needs. */
export interface SiteCharger {
  readonly id: string;
  readonly mode: string;
  readonly current: Readonly<Record<string, unknown>>;
}

/** What the site is built from. */
export interface SiteDeps {
  cfg: Config;
  meters: readonly MeterRuntime[];
  chargers: () => readonly SiteCharger[];
  bus: EventBus;
  store: StateStore;
  log: Logger;
  clock: Clock;
  /** The tariff, when configured: `tariff_price` follows it. */
  tariff?: Tariff;
}

/** The site figures of docs/engine.md#site-figures, W; a figure that cannot be derived is null. */
export interface SiteFigures {
  grid_power: number | null;
  pv_power: number | null;
  house_power: number | null;
  surplus_power: number | null;
}

const SOLAR_MODES = new Set(['solar', 'min_solar']);
const round = (v: number) => Math.round(v * 10) / 10;

/**
 * The site (`<base>/site`, Homie `<instance>-site`): grid, PV, house and surplus power from the
 * meters and the chargers, each meter's age and staleness, the tariff price in force, and the
 * writable site keys `max_current` (only lower than configured; null restores it) and
 * `residual_power`.
 */
export class SiteRuntime implements DeviceView {
  readonly kind = 'site' as const;
  readonly id = 'site';
  readonly name = 'Site';
  readonly type = 'site';
  readonly info: DeviceInfo = { manufacturer: 'evse2mqtt', model: 'Site' };
  readonly ctx: SiteContext;
  readonly entities;
  readonly online = true;
  readonly attempted = true;
  /** Site limit in force, A per phase (null = none). */
  maxCurrent: number | null;
  /** W left exported by the solar control. */
  residualPower: number;
  private state: Record<string, unknown> = {};
  private priceTimer?: TimerHandle;
  private offTariff?: () => void;

  constructor(private readonly deps: SiteDeps) {
    const roles = new Set(deps.meters.map((m) => m.cfg.role));
    this.ctx = {
      hasGrid: roles.has('grid'),
      hasPv: roles.has('pv'),
      hasHouse: roles.has('house'),
      maxCurrent: deps.cfg.site.max_current,
      currency: deps.tariff?.currency ?? null,
    };
    this.entities = siteEntities(this.ctx);
    const saved = deps.store.site();
    const configured = deps.cfg.site.max_current;
    this.maxCurrent =
      configured !== null && typeof saved.max_current === 'number' && saved.max_current <= configured
        ? saved.max_current
        : configured;
    this.residualPower =
      typeof saved.residual_power === 'number' ? saved.residual_power : deps.cfg.site.residual_power;
  }

  /** Whether the site is published at all (docs/mqtt-api.md#site: when a meter or tariff is configured). */
  static wanted(cfg: Config): boolean {
    return cfg.meters.length > 0 || cfg.tariff !== null;
  }

  get current(): Readonly<Record<string, unknown>> {
    return this.state;
  }

  /** Follows meter and charger updates. */
  start(): void {
    this.deps.bus.on(this, 'device.state', ({ id }) => {
      if (id !== this.id) this.publish();
    });
    this.deps.bus.on(this, 'device.availability', ({ id }) => {
      if (id !== this.id) this.publish();
    });
    this.offTariff = this.deps.tariff?.onChange(() => this.onPriceChange());
    this.deps.bus.emit('device.availability', { id: this.id, online: true });
    this.onPriceChange();
  }

  stop(): void {
    this.deps.bus.off(this);
    this.offTariff?.();
    this.deps.clock.clearTimeout(this.priceTimer);
    this.priceTimer = undefined;
  }

  /** Publishes the price in force and sets a timer at the tariff's next price change. */
  private onPriceChange(): void {
    this.publish();
    const { tariff, clock } = this.deps;
    if (!tariff) return;
    clock.clearTimeout(this.priceTimer);
    const now = clock.now();
    // no change within the tariff's look-ahead: look again in an hour
    const next = tariff.nextChange(now) ?? now + 3_600_000;
    this.priceTimer = clock.setTimeout(() => this.onPriceChange(), Math.min(next - now, 6 * 3_600_000));
  }

  /** The meter of a role (grid: the one; pv: all of them). */
  private metersOf(role: 'grid' | 'pv' | 'house'): MeterRuntime[] {
    return this.deps.meters.filter((m) => m.cfg.role === role);
  }

  /** Current figures (W). */
  figures(): SiteFigures {
    const grid = this.metersOf('grid')[0]?.value().value ?? null;
    const pvMeters = this.metersOf('pv');
    const pvValues = pvMeters.map((m) => m.value().value);
    const pv =
      pvMeters.length === 0
        ? null
        : pvValues.some((v) => v === null)
          ? null
          : pvValues.reduce((a, b) => a! + b!, 0);
    const houseMeter = this.metersOf('house')[0]?.value().value ?? null;
    const chargers = this.deps.chargers();
    const power = (c: SiteCharger) => (typeof c.current.power === 'number' ? c.current.power : 0);
    const allChargers = chargers.reduce((a, c) => a + power(c), 0);
    const solarChargers = chargers.filter((c) => SOLAR_MODES.has(c.mode)).reduce((a, c) => a + power(c), 0);
    let house: number | null = houseMeter;
    if (house === null && grid !== null) house = grid + (pv ?? 0) - allChargers;
    let surplus: number | null = null;
    if (grid !== null) surplus = -grid - this.residualPower + solarChargers;
    else if (pv !== null && houseMeter !== null)
      surplus = pv - houseMeter - this.residualPower + solarChargers;
    return {
      grid_power: grid,
      pv_power: pv,
      house_power: house === null ? null : round(house),
      surplus_power: surplus === null ? null : round(surplus),
    };
  }

  /** `<base>/site/set`: `max_current` (lower only; null restores) and `residual_power`. */
  async set(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    const writable = this.entities.filter((e) => e.writable?.(this.ctx)).map((e) => e.key);
    const errors: string[] = [];
    const values: Record<string, Scalar> = {};
    for (const [key, v] of Object.entries(raw)) {
      const e = this.entities.find((x) => x.key === key);
      if (!e?.writable?.(this.ctx)) {
        errors.push(
          `${e ? `"${key}" is read-only` : `unknown key "${key}"`}; writable keys: ${writable.join(', ')}`,
        );
        continue;
      }
      if (key === 'max_current' && (v === null || v === 'null' || v === '')) {
        values.max_current = null;
        continue;
      }
      const c = coerceValue(e, this.ctx, v, opts.rawTopic);
      if (c.ok) values[key] = c.value;
      else errors.push(c.error);
    }
    if (errors.length > 0) return { status: 'error', error: listProblems(errors) };
    if ('max_current' in values) {
      this.maxCurrent =
        values.max_current === null ? this.deps.cfg.site.max_current : (values.max_current as number);
      this.deps.store.saveSite({ max_current: values.max_current === null ? null : this.maxCurrent });
    }
    if ('residual_power' in values) {
      this.residualPower = values.residual_power as number;
      this.deps.store.saveSite({ residual_power: this.residualPower });
    }
    if (Object.keys(values).length > 0)
      this.deps.log.info({ values, source: opts.source }, 'site keys changed');
    this.publish();
    return { status: 'ok', data: this.responseData() };
  }

  private responseData(): Record<string, Scalar> {
    const out: Record<string, Scalar> = {};
    if (this.ctx.maxCurrent !== null) out.max_current = this.maxCurrent;
    if (this.entities.some((e) => e.key === 'residual_power')) out.residual_power = this.residualPower;
    return out;
  }

  /** Publishes `<base>/site` when anything in it changed. */
  publish(): void {
    const f = this.figures();
    const state: Record<string, unknown> = {};
    for (const e of this.entities) {
      state[e.key] =
        e.key === 'max_current'
          ? this.maxCurrent
          : e.key === 'residual_power'
            ? this.residualPower
            : e.key === 'tariff_price'
              ? (this.deps.tariff?.priceAt(this.deps.clock.now()) ?? null)
              : f[e.key as keyof SiteFigures];
    }
    const meters: Record<string, unknown> = {};
    for (const m of this.deps.meters) {
      const v = m.value();
      meters[m.id] = { value: v.value, age: v.age, stale: v.stale };
    }
    state.meters = meters;
    const changed = Object.keys(state).filter(
      (k) => JSON.stringify(state[k]) !== JSON.stringify(this.state[k]),
    );
    if (changed.length === 0) return;
    this.state = state;
    this.deps.bus.emit('device.state', { id: this.id, state, changed });
  }
}
