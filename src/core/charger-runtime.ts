import type { Logger } from 'pino';
import type { ChargerConfig, SmartChargingConfig } from '../config/types.js';
import type { ChargerCapabilities, ChargerDriver, ChargerTypeDef } from '../drivers/types.js';
import type { EventBus } from './bus.js';
import { backoff, type Clock, type TimerHandle, withTimeout } from './clock.js';
import type { ControlHooks } from './control.js';
import type { DeviceView } from './device.js';
import { type ChargerContext, chargerEntities, type EntityDef } from './entities.js';
import {
  AUTOMATIC_MODES,
  type ChargerReading,
  type DeviceInfo,
  MODES,
  type Mode,
  readingStatus,
  type Scalar,
  type Targets,
} from './model.js';
import { untilNextSlot } from './poll-slots.js';
import { type CommandResult, type SetOptions, validateSet } from './set-command.js';
import { mergePolicy } from './smart-policy.js';
import type { StateStore } from './state-store.js';

/** What a charger runtime is built from. */
export interface RuntimeDeps {
  cfg: ChargerConfig;
  type: ChargerTypeDef;
  bus: EventBus;
  clock: Clock;
  /** Child logger of this charger. */
  log: Logger;
  instance: string;
  store: StateStore;
  control: ControlHooks;
  /**
   * Where in the poll interval this charger's polls fall, as a fraction in [0, 1) (default 0).
   * The bridge spreads its chargers evenly, so a thousand chargers do not all poll in the same
   * few hundred ms (a burst that commands and pushes would queue behind).
   */
  pollPhase?: number;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * One charger at run time: polls (and listens to pushes), derives the canonical state, tracks
 * availability with back-off, and runs commands from people and from the engine through one
 * path with the rules of CONTRACT §5. Publishers only see its `device.*` events.
 */
export class ChargerRuntime implements DeviceView {
  readonly kind = 'charger' as const;
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly watchdog: boolean;
  readonly cfg: ChargerConfig;
  readonly caps: ChargerCapabilities;
  readonly ctx: ChargerContext;
  readonly entities: Array<EntityDef<ChargerContext>>;
  info: DeviceInfo;
  online = false;
  /** The first read attempt (successful or not) is over. */
  attempted = false;
  mode: Mode;
  /** Set by the engine: why a fail-safe is active. */
  failsafe: string | null = null;
  /** Set by the engine: its last decision (published as `decision`). */
  decision: Record<string, unknown> | null = null;
  /** The smart-charging policy in force (saved at run time, else configured), null if none. */
  smartPolicy: SmartChargingConfig | null;
  /** Set by the engine: the smart-charging plan (`<base>/<id>/plan`). */
  plan: Record<string, unknown> | null = null;
  /** JSON of `decision` and `plan`, to tell a change without serialising the old one again. */
  private decisionJson = 'null';
  private planJson = 'null';

  private driver?: ChargerDriver;
  private reading?: ChargerReading;
  private targets: Targets | null = null;
  /** A person's targets in manual, before the site cap (load management keeps them and re-applies min(target, headroom)). */
  private requested: Targets | null = null;
  private state: Record<string, unknown> = {};
  private note: string | null = null;
  private lastOkAt?: number;
  private failures = 0;
  private lastFailure?: string;
  private availabilityKnown = false;
  private pollTimer?: TimerHandle;
  /** Clock time of this charger's poll slot 0: polls fall on anchor + k × poll_interval. */
  private pollAnchor = 0;
  private availTimer?: TimerHandle;
  private readInFlight?: Promise<void>;
  private queue: Promise<unknown> = Promise.resolve();
  private applying = false;
  private applyGen = 0;
  private disagreements = 0;
  /** A takeover at the device was adopted; the device's own control flag is then no news until the next write. */
  private controlYielded = false;
  private resumed = false;
  private stopped = false;

  constructor(private readonly deps: RuntimeDeps) {
    this.cfg = deps.cfg;
    this.id = deps.cfg.id;
    this.name = deps.cfg.name;
    this.type = deps.cfg.type;
    this.caps = deps.type.capabilities(deps.cfg);
    const modes = MODES.filter((m) => deps.control.checkMode(m, deps.cfg, this.caps) === null);
    this.ctx = { caps: this.caps, cfg: deps.cfg, modes };
    this.entities = chargerEntities(this.ctx);
    this.watchdog = this.caps.watchdog;
    this.info = { manufacturer: deps.type.manufacturer, model: deps.type.model };
    const savedPolicy = deps.store.charger(this.id).smart_charging;
    this.smartPolicy = savedPolicy !== undefined ? savedPolicy : (deps.cfg.smart_charging ?? null);
    const saved = deps.store.charger(this.id).mode;
    this.mode =
      saved && modes.includes(saved) ? saved : modes.includes(deps.cfg.mode) ? deps.cfg.mode : 'manual';
  }

  /** The last published state object. */
  get current(): Readonly<Record<string, unknown>> {
    return this.state;
  }

  /** The bridge's targets, or null while it adopts the device's own values. */
  get currentTargets(): Targets | null {
    return this.targets;
  }

  /** The last reading from the device. */
  get lastReading(): ChargerReading | undefined {
    return this.reading;
  }

  /** Starts polling. */
  start(): void {
    this.stopped = false;
    const phase = Math.min(Math.max(this.deps.pollPhase ?? 0, 0), 1);
    this.pollAnchor = this.deps.clock.now() + Math.floor(phase * this.cfg.poll_interval * 1000);
    void this.poll();
  }

  /** Stops timers and closes the driver. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.deps.clock.clearTimeout(this.availTimer);
    await this.driver?.close().catch(() => {});
  }

  /** Reads the device now and publishes; concurrent calls share one read (`/get`). */
  refresh(): Promise<void> {
    if (!this.readInFlight) {
      this.readInFlight = this.readOnce(true).finally(() => {
        this.readInFlight = undefined;
      });
    }
    return this.readInFlight;
  }

  /** A person's `/set` (MQTT or Homie): validated, mode rules applied, written, answered. */
  set(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    return this.enqueue(() => this.runSet(raw, opts));
  }

  /** The engine's targets: capped by the site, written only when they differ. */
  applyTargets(next: Targets): Promise<CommandResult> {
    return this.enqueue(async () => {
      if (!this.online || !this.reading) return { status: 'error', error: 'charger offline' };
      const capped = this.deps.control.cap(this.id, next);
      const err = await this.write(capped);
      if (err) return { status: 'error', error: err };
      this.publish();
      return { status: 'ok', data: this.responseData() };
    });
  }

  /** A person's targets in manual (before the site cap), else the targets in force. */
  get personTargets(): Targets | null {
    return this.requested ?? this.targets;
  }

  /** Manual under load management: applies min(person's target, headroom) again (each control cycle). */
  recap(): Promise<CommandResult> {
    const wanted = this.requested ?? this.targets;
    if (this.mode !== 'manual' || !wanted)
      return Promise.resolve({ status: 'ok', data: this.responseData() });
    return this.applyTargets(wanted);
  }

  /** Sets the fail-safe reason and the engine's decision; republishes when they change. */
  setEngineState(failsafe: string | null, decision: Record<string, unknown> | null): void {
    // every control cycle sets every charger's; most cycles change nothing to publish
    const json = JSON.stringify(decision);
    if (failsafe === this.failsafe && json === this.decisionJson) return;
    this.failsafe = failsafe;
    this.decision = decision;
    this.decisionJson = json;
    this.publish();
  }

  /** Sets the smart-charging plan; publishes it when it changed. */
  setPlan(plan: Record<string, unknown>): void {
    const json = JSON.stringify(plan);
    if (json === this.planJson) return;
    this.plan = plan;
    this.planJson = json;
    this.deps.bus.emit('device.plan', { id: this.id, plan });
  }

  /** Switches mode (saved in data_dir) without a command: used by adoption and the engine. */
  setMode(mode: Mode): void {
    if (mode === this.mode) return;
    this.deps.log.info({ from: this.mode, to: mode }, 'mode changed');
    this.mode = mode;
    this.deps.store.saveCharger(this.id, { mode });
    this.publish();
  }

  /** Leaves the charger per `on_exit` (CONTRACT §9); offline chargers are skipped. */
  async exit(timeoutMs = 3000): Promise<void> {
    if (!this.online || !this.driver) {
      this.deps.log.info('offline at shutdown; on_exit skipped');
      return;
    }
    try {
      await withTimeout(
        this.deps.clock,
        this.driver.exit(this.cfg.on_exit),
        timeoutMs,
        `no answer within ${timeoutMs / 1000} s`,
      );
      this.deps.log.info({ on_exit: this.cfg.on_exit }, 'left the charger as on_exit says');
    } catch (e) {
      this.deps.log.error({ on_exit: this.cfg.on_exit, err: (e as Error).message }, 'on_exit failed');
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  private async poll(): Promise<void> {
    if (this.stopped) return;
    const pollMs = this.cfg.poll_interval * 1000;
    try {
      await this.refresh();
      // on the charger's slot (see poll-slots.ts); the first one after start or an outage too
      this.schedule(untilNextSlot(this.deps.clock.now(), this.pollAnchor, pollMs));
    } catch {
      this.schedule(backoff(pollMs, this.failures, MAX_BACKOFF_MS));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.deps.clock.setTimeout(() => void this.poll(), ms);
  }

  private async readOnce(countsForAdoption: boolean): Promise<void> {
    try {
      const driver = await this.ensureDriver();
      const gen = this.applyGen;
      const reading = await driver.read();
      if (this.stopped) return;
      this.onReading(reading, countsForAdoption && gen === this.applyGen && !this.applying);
    } catch (e) {
      if (!this.stopped) this.onFailure(e as Error);
      throw e;
    }
  }

  private async ensureDriver(): Promise<ChargerDriver> {
    if (this.driver) return this.driver;
    const driver = await this.deps.type.create({
      cfg: this.cfg,
      log: this.deps.log,
      clock: this.deps.clock,
      instance: this.deps.instance,
    });
    if (this.stopped) {
      await driver.close();
      throw new Error('stopped');
    }
    this.driver = driver;
    this.setInfo(driver.info);
    driver.subscribe?.({
      reading: (r) => this.onReading(r, false),
      lost: (why) => this.markOffline(why),
      restored: () => void this.refresh().catch(() => {}),
    });
    return driver;
  }

  private setInfo(info: DeviceInfo): void {
    if (JSON.stringify(info) === JSON.stringify(this.info)) return;
    this.info = info;
    this.deps.bus.emit('device.info', { id: this.id, info });
  }

  private onReading(reading: ChargerReading, countsForAdoption: boolean): void {
    if (this.stopped) return;
    this.reading = reading;
    this.lastOkAt = this.deps.clock.now();
    this.failures = 0;
    if (this.lastFailure) this.deps.log.info('reads work again');
    this.lastFailure = undefined;
    if (reading.info) this.setInfo({ ...this.info, ...reading.info });
    this.armAvailability();
    if (!this.attempted) {
      this.attempted = true;
      this.deps.bus.emit('device.attempted', { id: this.id });
    }
    if (!this.online || !this.availabilityKnown) {
      this.online = true;
      this.availabilityKnown = true;
      this.deps.log.info('online');
      this.deps.bus.emit('device.availability', { id: this.id, online: true });
    }
    if (countsForAdoption) this.checkAdoption(reading);
    this.publish();
    if (!this.resumed) {
      this.resumed = true;
      this.resume();
    }
  }

  /** At start: automatic modes resume control; manual adopts the device and sends nothing. */
  private resume(): void {
    if (!AUTOMATIC_MODES.has(this.mode)) return;
    const next = this.deps.control.immediateTargets(this.mode, this.cfg, this.targetsFromReading());
    if (next) void this.applyTargets(next);
  }

  private onFailure(e: Error): void {
    this.failures += 1;
    const msg = e.message;
    if (msg !== this.lastFailure) this.deps.log.warn({ err: msg }, `read failed: ${msg}`);
    else this.deps.log.debug({ err: msg, failures: this.failures }, 'read failed again');
    this.lastFailure = msg;
    if (!this.attempted) {
      this.attempted = true;
      this.deps.bus.emit('device.attempted', { id: this.id });
    }
    if (!this.availabilityKnown) this.markOffline(msg);
  }

  private armAvailability(): void {
    this.deps.clock.clearTimeout(this.availTimer);
    const ms = 3 * this.cfg.poll_interval * 1000;
    this.availTimer = this.deps.clock.setTimeout(
      () => this.markOffline(`no successful read for ${(3 * this.cfg.poll_interval).toString()} s`),
      ms,
    );
  }

  private markOffline(reason: string): void {
    if (this.stopped || (!this.online && this.availabilityKnown)) return;
    this.online = false;
    this.availabilityKnown = true;
    this.deps.clock.clearTimeout(this.availTimer);
    this.deps.log.warn({ reason }, `offline: ${reason}`);
    this.deps.bus.emit('device.availability', { id: this.id, online: false });
  }

  /**
   * A change made at the device (its app, its UI, a person's override) that disagrees with the
   * bridge's targets for 2 polls is adopted: manual mode, error "changed at the device" (§5).
   */
  private checkAdoption(r: ChargerReading): void {
    const t = this.targets;
    if (!t) return;
    const half = this.caps.resolution / 2;
    const capped =
      r.deviceMaxCurrent !== undefined &&
      t.charge_current > r.chargeCurrent + half &&
      r.chargeCurrent >= r.deviceMaxCurrent - half;
    if (capped) this.note = `device capped charge_current at ${r.chargeCurrent}`;
    else if (this.note?.startsWith('device capped')) this.note = null;
    const diffs: string[] = [];
    if (r.overridden && !this.controlYielded) diffs.push('control');
    if (r.enabled !== null && !r.held && r.enabled !== t.enabled) diffs.push('enabled');
    if (!capped && Math.abs(r.chargeCurrent - t.charge_current) > half) diffs.push('charge_current');
    const phases = r.values.phases;
    if (this.caps.writable.has('phases') && t.phases && typeof phases === 'number' && phases !== t.phases)
      diffs.push('phases');
    if (diffs.length === 0) {
      this.disagreements = 0;
      return;
    }
    this.disagreements += 1;
    if (this.disagreements < 2) return;
    this.disagreements = 0;
    // a person holding the device (its own control flag) leaves the bridge without targets: the next command writes every key
    this.targets = diffs.includes('control')
      ? null
      : {
          ...t,
          enabled: r.enabled ?? t.enabled,
          charge_current: capped ? t.charge_current : r.chargeCurrent,
          ...(t.phases && (phases === 1 || phases === 3) ? { phases } : {}),
        };
    this.note = 'changed at the device';
    this.requested = this.targets;
    if (diffs.includes('control')) this.controlYielded = true;
    this.deps.log.info(
      { keys: diffs, targets: this.targets },
      'change made at the device adopted; mode manual',
    );
    this.setMode('manual');
  }

  // ---- commands -----------------------------------------------------------------------------

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async runSet(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    if (!this.online || !this.reading) return { status: 'error', error: 'charger offline' };
    let policy: SmartChargingConfig | null = null;
    let body = raw;
    if ('smart_charging' in raw) {
      if (!this.ctx.modes.includes('smart'))
        return { status: 'error', error: 'smart_charging: smart charging is not available here' };
      const merged = mergePolicy(raw.smart_charging, this.smartPolicy);
      if (!merged.ok) return { status: 'error', error: merged.error };
      policy = merged.policy;
      const { smart_charging: _, ...rest } = raw;
      body = rest;
    }
    const checked = validateSet(body, opts, {
      ctx: this.ctx,
      entities: this.entities,
      mode: this.mode,
      reading: this.reading,
      checkMode: (m) => this.deps.control.checkMode(m, this.cfg, this.caps),
    });
    if (checked.status === 'error') return checked;
    const { values, mode } = checked;
    if (mode === 'smart' && !(policy ?? this.smartPolicy))
      return {
        status: 'error',
        error:
          'mode: smart needs a policy; send smart_charging {"deadline":"HH:MM","energy":kWh} with it, or configure chargers[].smart_charging',
      };
    if (policy) this.setPolicy(policy);
    if (Object.keys(values).length === 0) return { status: 'ok', data: this.responseData() };
    if (checked.chargeNow) return this.chargeNow(opts);
    let next = this.targetsFromReading();
    next = { ...next, extra: { ...next.extra } };
    for (const [k, v] of Object.entries(values)) {
      if (k === 'mode') continue;
      if (k === 'enabled') next.enabled = v as boolean;
      else if (k === 'charge_current') next.charge_current = v as number;
      else if (k === 'phases') next.phases = v as 1 | 3;
      else next.extra[k] = v;
    }
    if (AUTOMATIC_MODES.has(mode)) next = this.deps.control.immediateTargets(mode, this.cfg, next) ?? next;
    this.requested = mode === 'manual' ? next : null;
    next = this.deps.control.cap(this.id, next);
    const err = await this.write(next);
    if (err) return { status: 'error', error: err };
    this.note = null;
    if (mode !== this.mode) this.setMode(mode);
    this.publish();
    this.deps.log.info({ source: opts.source, values, targets: next }, 'command applied');
    return { status: 'ok', data: this.responseData() };
  }

  /** Saves a new smart-charging policy; the engine re-plans. */
  private setPolicy(policy: SmartChargingConfig): void {
    if (JSON.stringify(policy) === JSON.stringify(this.smartPolicy)) return;
    this.smartPolicy = policy;
    this.deps.store.saveCharger(this.id, { smart_charging: policy });
    this.deps.log.info({ smart_charging: policy }, 'smart-charging policy changed');
    this.deps.control.smartEvent?.(this.id, 'policy');
  }

  /** `enabled: true` in smart: charge now at max_current (site cap applies); the plan is overridden. */
  private async chargeNow(opts: SetOptions): Promise<CommandResult> {
    const next = this.deps.control.cap(this.id, {
      ...this.targetsFromReading(),
      enabled: true,
      charge_current: this.limits().max,
    });
    const err = await this.write(next);
    if (err) return { status: 'error', error: err };
    this.note = null;
    this.deps.control.smartEvent?.(this.id, 'charge_now');
    this.publish();
    this.deps.log.info({ source: opts.source, targets: next }, 'charge now: the smart plan is overridden');
    return { status: 'ok', data: this.responseData() };
  }

  /** Writes `next` when it differs from the targets in force; returns an error text or null. */
  private async write(target: Targets): Promise<string | null> {
    let next = target;
    const base = this.targetsFromReading();
    const known = { ...base, extra: { ...this.reading?.values, ...base.extra } };
    // taking control (nothing commanded yet) always writes: the device must hold the bridge's targets
    const changed = this.targets ? changedKeys(known, next) : allKeys(next);
    if (changed.size === 0) {
      this.targets = next;
      return null;
    }
    const driver = this.driver;
    if (!driver) return 'charger offline';
    this.applying = true;
    this.applyGen += 1;
    const timeoutMs = this.caps.bidirectional ? 10_000 : 3_000;
    try {
      const side = await withTimeout(
        this.deps.clock,
        driver.apply(next, changed),
        timeoutMs,
        `the charger did not answer within ${timeoutMs / 1000} s`,
      );
      // keys the device changed as a side effect become the bridge's targets too
      if (side && Object.keys(side).length > 0) next = { ...next, extra: { ...next.extra, ...side } };
      this.targets = next;
      this.controlYielded = false;
      if (this.reading) {
        // the state shows the accepted targets at once; measured keys follow with the next read
        this.reading = {
          ...this.reading,
          enabled: this.reading.enabled === null ? null : next.enabled,
          chargeCurrent: next.charge_current,
          values: { ...this.reading.values, ...(next.phases ? { phases: next.phases } : {}), ...next.extra },
        };
      }
      this.deps.log.info({ targets: next, changed: [...changed] }, 'targets written');
      void this.refresh().catch(() => {});
      return null;
    } catch (e) {
      const msg = (e as Error).message;
      this.deps.log.warn({ err: msg, targets: next }, `command failed: ${msg}`);
      void this.refresh().catch(() => {});
      return msg;
    } finally {
      this.applying = false;
      this.disagreements = 0;
    }
  }

  /**
   * The targets in force: the bridge's own, or (while adopting) the device's values, with the
   * current clamped to the configured range, as the bridge never commands more (CONTRACT §9).
   */
  private targetsFromReading(): Targets {
    if (this.targets) return this.targets;
    const r = this.reading;
    const phases = r?.values.phases;
    const low = this.caps.bidirectional ? -this.cfg.max_discharge_current : this.cfg.min_current;
    const device = r?.chargeCurrent ?? this.cfg.min_current;
    const current =
      this.caps.bidirectional && device === 0 ? 0 : Math.min(this.cfg.max_current, Math.max(low, device));
    return {
      enabled: r?.enabled ?? true,
      charge_current: current,
      ...(this.caps.writable.has('phases') && (phases === 1 || phases === 3) ? { phases } : {}),
      extra: {},
    };
  }

  private responseData(): Record<string, Scalar> {
    const t = this.targetsFromReading();
    const data: Record<string, Scalar> = {
      enabled: t.enabled,
      charge_current: t.charge_current,
      mode: this.mode,
    };
    // the policy is a writable target too (an object; JSON carries it as is)
    if (this.ctx.modes.includes('smart') && this.smartPolicy)
      data.smart_charging = this.smartPolicy as unknown as Scalar;
    for (const e of this.entities) {
      if (!e.writable?.(this.ctx) || e.key in data) continue;
      data[e.key] =
        e.key === 'phases'
          ? (t.phases ?? (this.reading?.values.phases as Scalar) ?? null)
          : (t.extra[e.key] ?? this.reading?.values[e.key] ?? null);
    }
    return data;
  }

  // ---- state --------------------------------------------------------------------------------

  /** Effective limits: configuration ∩ device, A. */
  limits(): { min: number; max: number } {
    const r = this.reading;
    return {
      min: Math.max(this.cfg.min_current, r?.deviceMinCurrent ?? 0),
      max: Math.min(this.cfg.max_current, r?.deviceMaxCurrent ?? Number.POSITIVE_INFINITY),
    };
  }

  private buildState(): Record<string, unknown> | undefined {
    const r = this.reading;
    if (!r) return undefined;
    const enabled = r.enabled ?? this.targets?.enabled ?? true;
    const { min, max } = this.limits();
    const status = readingStatus(r, enabled);
    const fixed: Record<string, unknown> = {
      status,
      vehicle_connected: r.vehicleConnected,
      charging: r.charging,
      enabled,
      charge_current: r.chargeCurrent,
      min_current: min,
      max_current: max,
      mode: this.mode,
      failsafe: this.failsafe,
      error: r.fault ?? this.note ?? this.aboveMax(r),
      last_seen: this.lastOkAt === undefined ? null : new Date(this.lastOkAt).toISOString(),
    };
    const state: Record<string, unknown> = {};
    for (const e of this.entities) state[e.key] = e.key in fixed ? fixed[e.key] : (r.values[e.key] ?? null);
    if (this.decision) state.decision = this.decision;
    return state;
  }

  /** While adopting the device's values: say so when the device runs above the configured maximum. */
  private aboveMax(r: ChargerReading): string | null {
    if (this.targets || r.chargeCurrent <= this.cfg.max_current + this.caps.resolution / 2) return null;
    return `the device's limit (${r.chargeCurrent} A) is above max_current (${this.cfg.max_current} A); send a charge_current to take control`;
  }

  private publish(): void {
    const state = this.buildState();
    if (!state) return;
    const changed = Object.keys(state).filter((k) => !sameValue(state[k], this.state[k]));
    if (changed.length === 0) return;
    this.state = state;
    this.deps.bus.emit('device.state', { id: this.id, state, changed });
  }
}

/** Every key of a target set. */
function allKeys(t: Targets): Set<string> {
  return new Set(['enabled', 'charge_current', ...(t.phases ? ['phases'] : []), ...Object.keys(t.extra)]);
}

/** Keys whose value differs between two target sets. */
export function changedKeys(a: Targets, b: Targets): Set<string> {
  const out = new Set<string>();
  if (a.enabled !== b.enabled) out.add('enabled');
  if (Math.abs(a.charge_current - b.charge_current) > 1e-6) out.add('charge_current');
  if (b.phases !== undefined && a.phases !== b.phases) out.add('phases');
  for (const [k, v] of Object.entries(b.extra)) if (a.extra[k] !== v) out.add(k);
  return out;
}

/** Equal state values: scalars by value, objects (the decision) by their JSON. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
