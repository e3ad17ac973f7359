import type { Logger } from 'pino';
import type { ChargerConfig, Config } from '../config/types.js';
import type { ChargerRuntime } from '../core/charger-runtime.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { SUPERSEDED } from '../core/command-queue.js';
import type { ControlHooks } from '../core/control.js';
import { AUTOMATIC_MODES, type Mode, type Targets } from '../core/model.js';
import type { ChargerCapabilities } from '../drivers/types.js';
import type { MeterRuntime } from '../meters/meter-runtime.js';
import type { SiteRuntime } from '../site/site.js';
import type { Tariff } from '../tariff/tariff.js';
import { decide, initialMemory } from './decide.js';
import { meterFields } from './inputs.js';
import { missingInput } from './mode-inputs.js';
import { SmartController } from './smart.js';
import type { SmartChargerView, SmartTarget } from './smart-types.js';
import type { ChargerInput, EngineMemory, EngineTargets, SiteInput } from './types.js';

/**
 * Chargers a control cycle handles per turn of the event loop. In one piece, a cycle over 1000
 * chargers held the loop 15–45 ms every `site.interval`, and commands and pushes arriving then
 * waited for it (BENCHMARKS.md, fix 11); between groups they are handled.
 */
const CYCLE_GROUP = 50;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type DecideOutput = ReturnType<typeof decide>['outputs'][number];

/** What the engine reads and drives. */
export interface EngineDeps {
  cfg: Config;
  clock: Clock;
  log: Logger;
  chargers: () => readonly ChargerRuntime[];
  meters: () => readonly MeterRuntime[];
  site: () => SiteRuntime | undefined;
  /** The tariff, when configured (smart plans). */
  tariff?: Tariff;
}

/**
 * The control cycle (docs/engine.md; modes off, fast, solar, min_solar, smart, load_follow; load management;
 * fail-safes): every `site.interval` s it gathers the site and charger figures, runs the pure
 * `decide()` and sends its targets through the same command path as users (ChargerRuntime).
 */
export class Engine implements ControlHooks {
  private memory: EngineMemory = initialMemory();
  /** The last cycle's allowance per charger (the site cap of manual commands). */
  private readonly allowed = new Map<string, EngineTargets>();
  private timer?: TimerHandle;
  /** Phase switches under way: made paused (limit 0, current < 1 A or 30 s, switch, resume). */
  private readonly switching = new Map<string, { phases: 1 | 3; since: number }>();
  private running = false;
  private stopped = false;
  /** When the engine started, ms: inputs without a live reading are pending for max_age after it. */
  private startedAt = 0;

  /** Smart-charging plans (docs/engine.md#plans). */
  private readonly smart: SmartController;
  /** This cycle's smart targets, by charger id. */
  private smartTargets = new Map<string, SmartTarget | null>();
  private priceVersion = 0;

  constructor(private readonly deps: EngineDeps) {
    const { tariff, log } = deps;
    this.smart = new SmartController({
      timezone: deps.cfg.site.timezone,
      prices: tariff ? (from, to) => tariff.segments(from, to) : undefined,
      currency: tariff?.currency ?? null,
      priceVersion: () => this.priceVersion,
      log: (level, charger, msg, extra) => log[level]({ charger, ...extra }, msg),
    });
    tariff?.onChange(() => {
      this.priceVersion += 1;
      this.schedule(50);
    });
  }

  /** In smart: a person asked to charge now, or changed the policy; the next cycle re-plans soon. */
  smartEvent(id: string, event: 'charge_now' | 'policy'): void {
    if (event === 'charge_now') this.smart.chargeNow(id);
    this.schedule(50);
  }

  checkMode(mode: Mode, cfg: ChargerConfig, caps: ChargerCapabilities): string | null {
    return missingInput(mode, cfg, caps, this.deps.cfg.meters);
  }

  immediateTargets(mode: Mode, cfg: ChargerConfig, current: Targets): Targets | null {
    if (mode === 'off') return { ...current, enabled: false };
    if (mode === 'fast') {
      // under load management, before a cycle has granted this charger anything (a restart, the grid
      // meter pending): the cycle decides, so that nothing starts on an unknown house load
      if (this.deps.site()?.maxCurrent != null && !this.allowed.has(cfg.id)) {
        this.schedule(50);
        return null;
      }
      return { ...current, enabled: true, charge_current: cfg.max_current };
    }
    if (mode === 'solar' || mode === 'min_solar' || mode === 'smart' || mode === 'load_follow') {
      // the next cycle decides; run it soon rather than after a whole interval
      this.schedule(50);
    }
    return null;
  }

  cap(id: string, targets: Targets): Targets {
    const allow = this.allowed.get(id);
    if (!allow || this.deps.site()?.maxCurrent == null) return targets;
    if (!allow.enabled) return { ...targets, enabled: false };
    return { ...targets, charge_current: Math.min(targets.charge_current, allow.charge_current) };
  }

  /** Starts the cycle (the first one at once). */
  start(): void {
    this.stopped = false;
    this.startedAt = this.deps.clock.now();
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => void this.cycle(), ms);
  }

  /** One control cycle. */
  async cycle(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const chargers = this.deps.chargers();
      const now = this.deps.clock.now();
      const inputs: ChargerInput[] = [];
      for (const [i, c] of chargers.entries()) {
        if (i > 0 && i % CYCLE_GROUP === 0) {
          await nextTurn();
          if (this.stopped) return;
        }
        inputs.push(this.withPlan(c, chargerInput(c), now));
      }
      const result = decide(this.siteInput(), inputs, this.memory);
      this.memory = result.memory;
      const byId = new Map(chargers.map((c) => [c.id, c]));
      const applied: Array<Promise<void>> = [];
      for (const [i, out] of result.outputs.entries()) {
        if (i > 0 && i % CYCLE_GROUP === 0) {
          await nextTurn();
          if (this.stopped) break; // stopping: no new commands (on_exit may be under way)
        }
        // handled at once: a rejection must not wait unobserved while the loop turns
        applied.push(
          this.output(out, byId.get(out.id)).catch((e: Error) =>
            this.deps.log.error({ charger: out.id, err: e.message }, 'control cycle failed'),
          ),
        );
      }
      await Promise.all(applied);
    } catch (e) {
      this.deps.log.error({ err: (e as Error).message }, 'control cycle failed');
    } finally {
      this.running = false;
      this.schedule(this.deps.cfg.site.interval * 1000);
    }
  }

  /** Publishes one charger's decision and sends its targets. */
  private async output(out: DecideOutput, c: ChargerRuntime | undefined): Promise<void> {
    if (!c) return;
    const planned = this.smartTargets.get(c.id);
    if (c.mode === 'smart' && planned) {
      if (out.decision.blocked_by === null) out.decision.blocked_by = planned.note;
      out.decision.next_change = planned.next;
    }
    c.setEngineState(out.failsafe, out.decision as unknown as Record<string, unknown>);
    if (!out.targets) {
      this.allowed.delete(out.id);
      return;
    }
    this.allowed.set(out.id, out.targets);
    if (!c.online) return;
    if (c.mode === 'manual') {
      if (c.personTargets) await c.recap();
      else if (
        typeof c.current.charge_current === 'number' &&
        (!out.targets.enabled || out.targets.charge_current < c.current.charge_current)
      ) {
        // never commanded, but over the site limit: the fuse wins over "send nothing" (docs/engine.md)
        await c.applyTargets({
          enabled: out.targets.enabled,
          charge_current: out.targets.charge_current,
          extra: {},
        });
      }
      return;
    }
    if (!AUTOMATIC_MODES.has(c.mode)) return;
    const base = c.currentTargets ?? {
      enabled: true,
      charge_current: out.targets.charge_current,
      extra: {},
    };
    let next: Targets = {
      ...base,
      enabled: out.targets.enabled,
      charge_current: out.targets.charge_current,
    };
    const wanted = out.targets.phases;
    const inUse = typeof c.current.phases === 'number' ? c.current.phases : c.cfg.phases;
    if (wanted && c.caps.writable.has('phases') && wanted !== inUse) next = this.phaseSwitch(c, next, wanted);
    else this.switching.delete(c.id);
    const r = await c.applyTargets(next);
    if (r.status === 'error' && r.error === SUPERSEDED) return; // a newer command (a person's, or the next cycle's) won
    if (c.mode === 'smart') this.smart.commandResult(c.id, r.status === 'error' ? r.error : null);
    if (r.status === 'error')
      this.deps.log.warn({ charger: c.id, err: r.error }, `engine command failed: ${r.error}`);
  }

  /** Runs the smart plan of a charger: its target becomes the charger's request, its plan is published. */
  private withPlan(c: ChargerRuntime, input: ChargerInput, now: number): ChargerInput {
    const s = c.current;
    const view: SmartChargerView = {
      id: c.id,
      mode: c.mode,
      online: c.online,
      fresh: c.online && c.lastReading !== undefined,
      vehicleConnected: s.vehicle_connected === true,
      charging: s.charging === true,
      powerW: typeof s.power === 'number' ? s.power : null,
      sessionEnergyKWh: typeof s.session_energy === 'number' ? s.session_energy : null,
      maxCurrentA: c.limits().max,
      limitA: typeof s.charge_current === 'number' ? s.charge_current : null,
      phases: typeof s.phases === 'number' ? s.phases : c.cfg.phases,
      voltageV: c.cfg.voltage,
      policy: c.smartPolicy,
    };
    const target = this.smart.step(view, now);
    this.smartTargets.set(c.id, target);
    c.setPlan(this.smart.message(c.id, view, now));
    if (c.mode !== 'smart') return input;
    return {
      ...input,
      requested: target ? { enabled: target.enabled, chargeCurrentA: target.chargeCurrentA } : null,
    };
  }

  /** The paused switch: pause first, switch once the current is below 1 A (or after 30 s), then resume. */
  private phaseSwitch(c: ChargerRuntime, next: Targets, phases: 1 | 3): Targets {
    const now = this.deps.clock.now();
    const sw = this.switching.get(c.id);
    if (!sw || sw.phases !== phases) {
      this.switching.set(c.id, { phases, since: now });
      this.deps.log.info({ charger: c.id, phases }, 'switching phases: pausing first');
      return { ...next, enabled: false };
    }
    const current = typeof c.current.current === 'number' ? c.current.current : 0;
    if (current < 1 || now - sw.since >= 30_000) {
      this.switching.delete(c.id);
      this.deps.log.info({ charger: c.id, phases }, 'switching phases now; charging resumes');
      return { ...next, phases };
    }
    return { ...next, enabled: false };
  }

  private siteInput(): SiteInput {
    const { cfg, clock } = this.deps;
    const now = clock.now();
    const site = this.deps.site();
    const meters = this.deps.meters();
    const grid = meters.find((m) => m.cfg.role === 'grid');
    const gv = grid?.value();
    const f = site?.figures();
    const readingAt = (age: number | null | undefined) =>
      age === null || age === undefined ? null : now - age * 1000;
    // no live reading since start, and max_age since start not passed: pending, not stale (docs/engine.md)
    const inputs = meterFields(
      meters.map((m) => ({ role: m.cfg.role, maxAgeS: m.cfg.max_age, ...m.value() })),
      now,
      this.startedAt,
    );
    let surplusStale = inputs.surplusStale;
    if (f?.surplus_power == null) surplusStale ??= 'grid meter stale';
    return {
      now,
      surplusW: f?.surplus_power ?? null,
      ...inputs,
      surplusStale,
      gridReadingAt: readingAt(gv?.age),
      houseCurrentsA: this.houseCurrents(gv?.currents ?? null),
      houseW: f?.house_power ?? null,
      maxCurrentA: site?.maxCurrent ?? cfg.site.max_current,
      residualW: site?.residualPower ?? cfg.site.residual_power,
      enableDelayS: cfg.site.enable_delay,
      disableDelayS: cfg.site.disable_delay,
      failsafe: cfg.site.failsafe,
      gridW: grid && typeof gv?.value === 'number' ? gv.value : null,
      loadFollowTargetW: cfg.site.load_follow_target,
    };
  }

  /** Grid phase currents minus the chargers' own (A), when the grid meter gives phase currents. */
  private houseCurrents(grid: Array<number | null> | null): [number, number, number] | null {
    if (!grid || grid.some((x) => x === null)) return null;
    const out = grid.map((x) => Math.abs(x!)) as [number, number, number];
    for (const c of this.deps.chargers()) {
      const a = typeof c.current.current === 'number' ? c.current.current : 0;
      if (a === 0) continue;
      const phases = typeof c.current.phases === 'number' ? c.current.phases : c.cfg.phases;
      const idx = phases === 3 ? [0, 1, 2] : c.cfg.phase ? [Number(c.cfg.phase.slice(1)) - 1] : [];
      // a discharge (a < 0) hides house load behind it: add it back (the meter's currents carry no
      // sign, so this over-counts on an exporting phase: safe for the fuse)
      for (const i of idx) out[i] = a > 0 ? Math.max(0, out[i]! - a) : out[i]! - a;
    }
    return out;
  }
}

/** The engine's view of one charger. */
function chargerInput(c: ChargerRuntime): ChargerInput {
  const s = c.current;
  const { min, max } = c.limits();
  const person = c.personTargets;
  const phases = typeof s.phases === 'number' && (s.phases === 1 || s.phases === 3) ? s.phases : null;
  return {
    id: c.id,
    mode: c.mode,
    online: c.online,
    vehicleConnected: s.vehicle_connected === true,
    minCurrentA: min,
    maxCurrentA: max,
    resolutionA: c.caps.resolution,
    phasesWired: c.cfg.phases,
    phasesInUse: phases,
    canSwitchPhases: c.caps.writable.has('phases'),
    phase: c.cfg.phase ?? null,
    voltageV: c.cfg.voltage,
    currentA: typeof s.current === 'number' ? s.current : null,
    powerW: typeof s.power === 'number' ? s.power : null,
    // manual: the person's target, or (never commanded) what the device does now, so that the site limit can cut it
    requested:
      c.mode !== 'manual'
        ? null
        : person
          ? { enabled: person.enabled, chargeCurrentA: person.charge_current }
          : typeof s.charge_current === 'number'
            ? { enabled: s.enabled !== false, chargeCurrentA: s.charge_current }
            : null,
    lastCommandedA: c.currentTargets?.charge_current ?? null,
    // what the charger does now: a fail-safe or a pending input may keep or lower it, never start it
    enabled: typeof s.enabled === 'boolean' ? s.enabled : null,
    limitA: typeof s.charge_current === 'number' ? s.charge_current : null,
    // load_follow (docs/engine.md): discharge limits and the state of charge with the time it was read
    bidirectional: c.caps.bidirectional,
    maxDischargeA: c.cfg.max_discharge_current,
    minStateOfChargePct: c.cfg.min_state_of_charge,
    stateOfCharge: typeof s.state_of_charge === 'number' ? s.state_of_charge : null,
    readAt: typeof s.last_seen === 'string' ? Date.parse(s.last_seen) : null,
    pollIntervalS: c.cfg.poll_interval,
  };
}
