import type { ChargerConfig, SmartChargingConfig } from '../config/types.js';
import type { ChargerCapabilities, ChargerDriver } from '../drivers/types.js';
import type { SessionRecord } from '../sessions/types.js';
import { AdoptionWatch } from './adoption.js';
import { applyToDevice, leaveCharger, prepareSet, withAcceptedTargets } from './charger-commands.js';
import { ChargerLink, type LinkBase } from './charger-link.js';
import {
  allKeys,
  type ChargerFacts,
  changedKeys,
  chargerState,
  commandResponse,
  effectiveLimits,
  sameValue,
  targetsInForce,
  withValues,
} from './charger-state.js';
import { CommandQueue, SUPERSEDED } from './command-queue.js';
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
import type { CommandResult, SetOptions } from './set-command.js';
import type { StateStore } from './state-store.js';

/** What a charger runtime is built from: what its link needs, the saved state and the engine's hooks. */
export interface RuntimeDeps extends LinkBase {
  store: StateStore;
  control: ControlHooks;
  /** Called with every reading after it is published (charging sessions); must be cheap. */
  onReading?: (charger: ChargerRuntime, reading: ChargerReading) => void;
}

/**
 * One charger at run time: reads it through its link (polls, pushes, availability with back-off,
 * charger-link.ts), derives the canonical state (charger-state.ts), adopts changes made at the
 * device, and runs commands from people and from the engine through one path with the rules of
 * docs/mqtt-api.md#command-rules. Publishers only see its `device.*` events.
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
  /** Set by the sessions service: the charging session on `<base>/<id>/session` (docs/sessions.md). */
  session: Readonly<SessionRecord> | null = null;
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
  /** One write at a time; at most one person's and one engine command wait (command-queue.ts). */
  private readonly commands = new CommandQueue((raw, opts) => this.runSet(raw, opts));
  private applying = false;
  private applyGen = 0;
  private readonly adoption = new AdoptionWatch();
  private resumed = false;
  /** People's commands written so far: an engine command queued before one of them is stale. */
  private personWrites = 0;

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

  /** The charger answers (availability, docs/mqtt-api.md#availability). */
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

  /** A person's `/set` (MQTT or Homie): validated, mode rules applied, written, answered; merged into one waiting. */
  set(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    return this.commands.person(raw, opts);
  }

  /**
   * The engine's targets: capped by the site, written only when they differ. One still waiting
   * when a newer engine command or a person's command is written is answered `superseded`.
   */
  applyTargets(next: Targets): Promise<CommandResult> {
    const [mode, seen] = [this.mode, this.personWrites];
    return this.commands.control(() =>
      this.mode === mode && this.personWrites === seen
        ? this.writeTargets(next)
        : Promise.resolve({ status: 'error', error: SUPERSEDED }),
    );
  }

  /** A person's targets in manual (before the site cap), else the targets in force. */
  get personTargets(): Targets | null {
    return this.requested ?? this.targets;
  }

  /** Manual under load management: applies min(person's target, headroom) again (each control cycle). */
  recap(): Promise<CommandResult> {
    // the person's target when it runs, not when it queued: a /set may be written in between
    return this.commands.control(() => {
      const wanted = this.requested ?? this.targets;
      if (this.mode === 'manual' && wanted) return this.writeTargets(wanted);
      return Promise.resolve({ status: 'ok', data: this.responseData() });
    });
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

  /** Leaves the charger per `on_exit` (docs/configuration.md#chargers); offline chargers are skipped. */
  exit(timeoutMs = 3000): Promise<void> {
    return leaveCharger(this.online ? this.link.device : undefined, this.cfg, this.deps, timeoutMs);
  }

  // ---- reading ------------------------------------------------------------------------------

  private onReading(reading: ChargerReading, countsForAdoption: boolean): void {
    this.reading = reading;
    this.link.noteSuccess(reading);
    if (countsForAdoption) this.checkAdoption(reading);
    this.publish();
    this.deps.onReading?.(this, reading);
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
   * bridge's targets for 2 polls is adopted: manual mode, error "changed at the device" (docs/mqtt-api.md).
   */
  private checkAdoption(r: ChargerReading): void {
    const t = this.targets;
    if (!t) return;
    const review = this.adoption.review(r, t, this.caps);
    if (review.capped) this.note = `device capped charge_current at ${r.chargeCurrent}`;
    else if (this.note?.startsWith('device capped')) this.note = null;
    if (!review.adopted) return;
    this.targets = review.adopted.targets;
    this.note = 'changed at the device';
    this.requested = this.targets;
    this.deps.log.info(
      { keys: review.adopted.keys, targets: this.targets },
      'change made at the device adopted; mode manual',
    );
    this.setMode('manual');
  }

  // ---- commands -----------------------------------------------------------------------------

  /** The engine's targets, capped by the site, written when they differ. */
  private async writeTargets(next: Targets): Promise<CommandResult> {
    if (!this.online || !this.reading) return { status: 'error', error: 'charger offline' };
    const err = await this.write(this.deps.control.cap(this.id, next));
    if (err) return { status: 'error', error: err };
    this.publish();
    return { status: 'ok', data: this.responseData() };
  }

  private async runSet(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    if (!this.online || !this.reading) return { status: 'error', error: 'charger offline' };
    const checked = prepareSet(
      raw,
      opts,
      {
        ctx: this.ctx,
        entities: this.entities,
        mode: this.mode,
        reading: this.reading,
        checkMode: (m) => this.deps.control.checkMode(m, this.cfg, this.caps),
      },
      this.smartPolicy,
    );
    if (checked.status === 'error') return checked;
    const { values, mode, policy } = checked;
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
    this.personWrites += 1;
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
    this.personWrites += 1;
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
    try {
      next = await applyToDevice(
        driver,
        next,
        changed,
        this.deps.clock,
        this.caps.commandTimeoutMs ?? (this.caps.bidirectional ? 10_000 : 3_000),
      );
      this.targets = next;
      this.adoption.written();
      // the state shows the accepted targets at once; measured keys follow with the next read
      if (this.reading) this.reading = withAcceptedTargets(this.reading, next);
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
      this.adoption.settled();
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
