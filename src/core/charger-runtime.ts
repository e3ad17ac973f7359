import type { ChargerConfig, SmartChargingConfig } from '../config/types.js';
import type { ChargerCapabilities, ChargerDriver } from '../drivers/types.js';
import { ChargerLink, type LinkBase } from './charger-link.js';
import {
  adoptedTargets,
  allKeys,
  type ChargerFacts,
  changedKeys,
  chargerState,
  commandResponse,
  disagreement,
  effectiveLimits,
  sameValue,
  targetsInForce,
  withValues,
} from './charger-state.js';
import { withTimeout } from './clock.js';
import type { ControlHooks } from './control.js';
import type { DeviceView } from './device.js';
import { type ChargerContext, chargerEntities, type EntityDef } from './entities.js';
import {
  AUTOMATIC_MODES,
  type ChargerReading,
  type DeviceInfo,
  MODES,
  type Mode,
  type Scalar,
  type Targets,
} from './model.js';
import { type CommandResult, type SetOptions, validateSet } from './set-command.js';
import { mergePolicy } from './smart-policy.js';
import type { StateStore } from './state-store.js';

/** What a charger runtime is built from: what its link needs, the saved state and the engine's hooks. */
export interface RuntimeDeps extends LinkBase {
  store: StateStore;
  control: ControlHooks;
}

/**
 * One charger at run time: reads it through its link (polls, pushes, availability with back-off,
 * charger-link.ts), derives the canonical state (charger-state.ts), adopts changes made at the
 * device, and runs commands from people and from the engine through one path with the rules of
 * CONTRACT §5. Publishers only see its `device.*` events.
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

  private readonly link: ChargerLink;
  private reading?: ChargerReading;
  private targets: Targets | null = null;
  /** A person's targets in manual, before the site cap (load management keeps them and re-applies min(target, headroom)). */
  private requested: Targets | null = null;
  private state: Record<string, unknown> = {};
  private note: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private applying = false;
  private applyGen = 0;
  private disagreements = 0;
  /** A takeover at the device was adopted; the device's own control flag is then no news until the next write. */
  private controlYielded = false;
  private resumed = false;

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
    this.link = new ChargerLink({
      ...deps,
      generation: () => this.applyGen,
      onReading: (r, gen) => this.onReading(r, gen !== null && gen === this.applyGen && !this.applying),
    });
    const savedPolicy = deps.store.charger(this.id).smart_charging;
    this.smartPolicy = savedPolicy !== undefined ? savedPolicy : (deps.cfg.smart_charging ?? null);
    const saved = deps.store.charger(this.id).mode;
    this.mode =
      saved && modes.includes(saved) ? saved : modes.includes(deps.cfg.mode) ? deps.cfg.mode : 'manual';
  }

  /** Manufacturer and model, from the driver once it has read the device. */
  get info(): DeviceInfo {
    return this.link.info;
  }

  /** The charger answers (availability, CONTRACT §3). */
  get online(): boolean {
    return this.link.online;
  }

  /** The first read attempt (successful or not) is over. */
  get attempted(): boolean {
    return this.link.attempted;
  }

  /** The last published state object. */
  get current(): Readonly<Record<string, unknown>> {
    return this.state;
  }

  /** The bridge's targets, or null while it adopts the device's own values. */
  get currentTargets(): Targets | null {
    return this.targets;
  }

  /** The connected driver, once the first read created it. */
  get driver(): ChargerDriver | undefined {
    return this.link.device;
  }

  /** Type-specific facts for bridge/info (OCPP identity and connection). */
  get details(): Record<string, unknown> | undefined {
    return this.link.device?.details?.();
  }

  /** The last reading from the device. */
  get lastReading(): ChargerReading | undefined {
    return this.reading;
  }

  /** Starts polling. */
  start(): void {
    this.link.start();
  }

  /** Stops timers and closes the driver. */
  stop(): Promise<void> {
    return this.link.stop();
  }

  /** Reads the device now and publishes; concurrent calls share one read (`/get`). */
  refresh(): Promise<void> {
    return this.link.refresh();
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
    const driver = this.link.device;
    if (!this.online || !driver) {
      this.deps.log.info('offline at shutdown; on_exit skipped');
      return;
    }
    try {
      await withTimeout(
        this.deps.clock,
        driver.exit(this.cfg.on_exit),
        timeoutMs,
        `no answer within ${timeoutMs / 1000} s`,
      );
      this.deps.log.info({ on_exit: this.cfg.on_exit }, 'left the charger as on_exit says');
    } catch (e) {
      this.deps.log.error({ on_exit: this.cfg.on_exit, err: (e as Error).message }, 'on_exit failed');
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  private onReading(reading: ChargerReading, countsForAdoption: boolean): void {
    this.reading = reading;
    this.link.noteSuccess(reading);
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

  /**
   * A change made at the device (its app, its UI, a person's override) that disagrees with the
   * bridge's targets for 2 polls is adopted: manual mode, error "changed at the device" (§5).
   */
  private checkAdoption(r: ChargerReading): void {
    const t = this.targets;
    if (!t) return;
    const d = disagreement(r, t, this.caps, this.controlYielded);
    if (d.capped) this.note = `device capped charge_current at ${r.chargeCurrent}`;
    else if (this.note?.startsWith('device capped')) this.note = null;
    const diffs = d.diffs;
    if (diffs.length === 0) {
      this.disagreements = 0;
      return;
    }
    this.disagreements += 1;
    if (this.disagreements < 2) return;
    this.disagreements = 0;
    this.targets = adoptedTargets(r, t, d);
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
    let next = withValues(this.targetsFromReading(), values);
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
    const driver = this.link.device;
    if (!driver) return 'charger offline';
    this.applying = true;
    this.applyGen += 1;
    const timeoutMs = this.caps.commandTimeoutMs ?? (this.caps.bidirectional ? 10_000 : 3_000);
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

  /** The targets in force: the bridge's own, or the device's values clamped to the configured range. */
  private targetsFromReading(): Targets {
    return targetsInForce(this.targets, this.reading, this.cfg, this.caps);
  }

  private facts(): ChargerFacts {
    const { cfg, ctx, entities, reading, targets, mode } = this;
    return { cfg, ctx, entities, reading, targets, mode };
  }

  private responseData(): Record<string, Scalar> {
    return commandResponse(this.facts(), this.smartPolicy);
  }

  // ---- state --------------------------------------------------------------------------------

  /** Effective limits: configuration ∩ device, A. */
  limits(): { min: number; max: number } {
    return effectiveLimits(this.cfg, this.reading);
  }

  private publish(): void {
    const reading = this.reading;
    if (!reading) return;
    const { failsafe, note, decision } = this;
    const state = chargerState(this.facts(), reading, {
      failsafe,
      note,
      decision,
      lastOkAt: this.link.lastOkAt,
    });
    const changed = Object.keys(state).filter((k) => !sameValue(state[k], this.state[k]));
    if (changed.length === 0) return;
    this.state = state;
    this.deps.bus.emit('device.state', { id: this.id, state, changed });
  }
}
