/**
 * Smart-charging plans per charger (docs/engine.md#plans): the Enode-style state machine around
 * the planner. Each control cycle `step()` sees one charger, (re)plans when the plug, the policy,
 * the prices or the plan power change, and says what the charger should do now; the engine sends
 * that through load management and the command path. The plan object goes to `<base>/<id>/plan`.
 *
 * Considerations: while one is false the state is `CONSIDERING` and the charger charges as it
 * would without smart charging (at once, at `max_current`), except that nothing is charged when
 * nothing is needed. `has_time` false (a deadline that cannot be met) is said in the plan, the
 * decision and the log.
 */
import type { SmartChargingConfig } from '../config/types.js';
import { isoLocal, nextOccurrence } from '../core/local-time.js';
import { durationMs, makePlan, type PlannedSlot, type PlanResult, type PriceSource } from './planner.js';
import type { Considerations, PlanMessage, PlanState, SmartChargerView, SmartTarget } from './smart-types.js';

/** Time a start or stop may take before it counts as failed, ms. */
export const COMMAND_GRACE_MS = 60_000;
/** Plan power changes smaller than this share do not re-plan. */
const POWER_TOLERANCE = 0.05;
/** A vehicle drawing less than this is not charging, W. */
const DRAWING_W = 50;

interface Session {
  state: PlanState;
  plugged: boolean | null;
  baselineKWh: number | null;
  integratedKWh: number;
  lastAt: number | null;
  maxPowerW: number;
  deadline: number | null;
  policyKey: string | null;
  /** The policy deadline ("HH:MM") the plan was made for. */
  planDeadline: string | null;
  priceVersion: number;
  plan: PlanResult | null;
  planPowerW: number;
  /** The energy fits before the deadline at plan power. */
  hasTime: boolean;
  overridden: boolean;
  failed: boolean;
  finished: boolean;
  /** The slot phase: whether the plan wants charging, since when, and the last command error. */
  want: boolean | null;
  wantSince: number;
  commandError: string | null;
  lastReason: string | null;
}

const fresh = (): Session => ({
  state: 'DISABLED',
  plugged: null,
  baselineKWh: null,
  integratedKWh: 0,
  lastAt: null,
  maxPowerW: 0,
  deadline: null,
  policyKey: null,
  planDeadline: null,
  priceVersion: -1,
  plan: null,
  planPowerW: 0,
  hasTime: true,
  overridden: false,
  failed: false,
  finished: false,
  want: null,
  wantSince: 0,
  commandError: null,
  lastReason: null,
});

/** Services of the controller. */
export interface SmartDeps {
  timezone: string;
  /** The tariff's prices, or undefined when no tariff is configured. */
  prices?: PriceSource;
  currency: string | null;
  /** Changes whenever the tariff's prices change (a re-plan follows). */
  priceVersion: () => number;
  log: (level: 'info' | 'warn', charger: string, msg: string, extra?: Record<string, unknown>) => void;
}

/** The state machine of every charger's plan. */
export class SmartController {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly deps: SmartDeps) {}

  private session(id: string): Session {
    let s = this.sessions.get(id);
    if (!s) {
      s = fresh();
      this.sessions.set(id, s);
    }
    return s;
  }

  /** A person asked to charge now (`enabled: true` in smart). */
  chargeNow(id: string): void {
    const s = this.session(id);
    s.overridden = true;
    s.finished = false;
    this.setState(id, s, 'PLAN:EXECUTING:OVERRIDDEN', 'charge now asked for; the plan is overridden');
  }

  /** The result of the command the engine sent for a smart charger. */
  commandResult(id: string, error: string | null): void {
    this.session(id).commandError = error;
  }

  /** The plan object to publish, or null before the first step. */
  message(id: string, c: SmartChargerView, now: number): PlanMessage {
    const s = this.session(id);
    const policy = c.policy;
    const plan = s.plan;
    const tz = this.deps.timezone;
    const cons = this.considerations(c, s, now);
    const nextStart = plan?.slots.find((x) => x.end > now && x.start >= now)?.start ?? null;
    const round = (v: number | null, d = 2) => (v === null ? null : Number(v.toFixed(d)));
    return {
      state: s.state,
      deadline: s.deadline === null ? null : isoLocal(s.deadline, tz),
      energy: policy?.energy ?? null,
      charged_energy: round(this.charged(s, c), 3),
      considerations: cons,
      slots: (s.state.startsWith('PLAN:EXECUTING') || s.state === 'CONSIDERING' ? (plan?.slots ?? []) : [])
        .filter((x) => x.end > now)
        .map((x) => ({
          start: isoLocal(x.start, tz),
          end: isoLocal(x.end, tz),
          current: c.maxCurrentA,
        })),
      next_start: nextStart === null ? null : isoLocal(nextStart, tz),
      estimated_cost: round(plan?.estimatedCost ?? null, 4),
      non_smart_cost: round(plan?.nonSmartCost ?? null, 4),
      currency: this.deps.currency,
      policy,
    };
  }

  private considerations(c: SmartChargerView, s: Session, now: number): Considerations {
    const policy = c.policy;
    return {
      is_plugged_in: c.vehicleConnected,
      is_reachable: c.online,
      has_tariff: this.deps.prices !== undefined,
      has_time: s.plan ? s.hasTime : s.deadline === null || s.deadline > now,
      needs_charge: policy !== null && this.charged(s, c) < policy.energy - 1e-3,
      has_fresh_inputs: c.online && c.fresh,
    };
  }

  /** Energy charged this session, kWh: the device's session meter from the plug-in, else integrated power. */
  private charged(s: Session, c: SmartChargerView): number {
    if (c.sessionEnergyKWh !== null && s.baselineKWh !== null)
      return Math.max(0, c.sessionEnergyKWh - s.baselineKWh);
    return s.integratedKWh;
  }

  private setState(id: string, s: Session, state: PlanState, why: string | null = null): void {
    if (s.state === state) return;
    this.deps.log('info', id, `plan ${state}${why ? `: ${why}` : ''}`, { from: s.state, to: state });
    s.state = state;
  }

  /** Tracks the plug and the energy of the session. */
  private track(s: Session, c: SmartChargerView, now: number): void {
    const w = c.powerW ?? 0;
    if (s.lastAt !== null && w > 0) s.integratedKWh += (w / 1000) * ((now - s.lastAt) / 3_600_000);
    s.lastAt = now;
    // the car's own maximum shows only while the charger offers the plan's current
    const offered = c.limitA === null || c.limitA >= c.maxCurrentA - 0.5;
    if (c.vehicleConnected && offered && w > s.maxPowerW) s.maxPowerW = w;
    const e = c.sessionEnergyKWh;
    if (c.vehicleConnected && s.plugged === false) {
      // plugged in now: the device's session meter may still show the last session until it charges
      s.baselineKWh = e;
      s.integratedKWh = 0;
      s.maxPowerW = 0;
    } else if (s.baselineKWh === null) s.baselineKWh = e === null ? null : 0;
    if (e !== null && s.baselineKWh !== null && e < s.baselineKWh) s.baselineKWh = 0;
  }

  /** Plan power, W: min(max_current × phases × voltage, the highest power seen this session). */
  private planPower(s: Session, c: SmartChargerView): number {
    const rated = c.maxCurrentA * c.phases * c.voltageV;
    return s.maxPowerW > DRAWING_W ? Math.min(rated, s.maxPowerW) : rated;
  }

  /** One control cycle for one charger. */
  step(c: SmartChargerView, now: number): SmartTarget | null {
    const s = this.session(c.id);
    const policy = c.policy;
    if (c.mode !== 'smart' || policy === null) {
      const ended = s.state.startsWith('PLAN:EXECUTING') ? 'PLAN:ENDED:DISABLED' : null;
      const keep = s.state.startsWith('PLAN:ENDED') ? s.state : 'DISABLED';
      const next = fresh();
      next.state = s.state;
      this.sessions.set(c.id, next);
      this.setState(c.id, next, ended ?? keep, ended ? `mode ${c.mode}` : null);
      return null;
    }
    const wasPlugged = s.plugged;
    this.track(s, c, now);
    s.plugged = c.vehicleConnected;
    const full = { enabled: true, chargeCurrentA: c.maxCurrentA, next: null };
    const pause = (note: string): SmartTarget => ({
      enabled: false,
      chargeCurrentA: c.maxCurrentA,
      note,
      next: null,
    });

    if (wasPlugged === true && !c.vehicleConnected) {
      const hadPlan = s.state.startsWith('PLAN:');
      const keepState = s.state;
      Object.assign(s, fresh(), { plugged: false, state: keepState });
      this.setState(c.id, s, hadPlan ? 'PLAN:ENDED:UNPLUGGED' : 'CONSIDERING', 'vehicle unplugged');
    }
    if (!c.online) {
      if (!s.state.startsWith('PLAN:ENDED')) this.setState(c.id, s, 'CONSIDERING', 'charger unreachable');
      return null;
    }
    if (!c.vehicleConnected) {
      if (s.state !== 'PLAN:ENDED:UNPLUGGED') this.setState(c.id, s, 'CONSIDERING');
      return pause('no vehicle');
    }

    const charged = this.charged(s, c);
    const needs = charged < policy.energy - 1e-3;
    if (s.overridden) {
      if (needs) return { ...full, note: 'charge now (plan overridden)' };
      s.overridden = false;
      s.finished = true;
      this.setState(c.id, s, 'PLAN:ENDED:FINISHED', `${policy.energy} kWh charged`);
    }
    const key = JSON.stringify(policy);
    if (s.finished && s.policyKey === key) {
      if (needs && !s.failed) s.finished = false;
      else return pause('target reached');
    }
    if (s.failed && s.policyKey === key) {
      if (needs) return { ...full, note: 'deadline missed: charging at max_current' };
      s.failed = false;
      s.finished = true;
      this.setState(c.id, s, 'PLAN:ENDED:FINISHED', `${policy.energy} kWh charged after the deadline`);
      return pause('target reached');
    }
    if (!needs) {
      s.finished = true;
      s.policyKey = key;
      this.setState(
        c.id,
        s,
        s.plan ? 'PLAN:ENDED:FINISHED' : 'CONSIDERING',
        s.plan ? `${policy.energy} kWh charged` : 'nothing to charge',
      );
      return pause(s.plan ? 'target reached' : 'nothing to charge');
    }

    // The deadline passed with energy missing: the plan failed.
    if (s.plan && s.deadline !== null && now >= s.deadline && s.policyKey === key) {
      s.failed = true;
      this.setState(
        c.id,
        s,
        'PLAN:ENDED:FAILED',
        `${(policy.energy - charged).toFixed(2)} kWh missing at the deadline`,
      );
      return { ...full, note: 'deadline missed: charging at max_current' };
    }

    this.replanIfNeeded(c, s, now, charged, policy, key);
    const plan = s.plan!;
    if (!s.hasTime || this.deps.prices === undefined) {
      const why = s.hasTime ? 'no tariff: charging at once' : 'the deadline cannot be met: charging at once';
      this.setState(c.id, s, 'CONSIDERING', why);
      return { ...full, note: why };
    }
    return this.execute(c, s, plan.slots, now);
  }

  private replanIfNeeded(
    c: SmartChargerView,
    s: Session,
    now: number,
    charged: number,
    policy: SmartChargingConfig,
    key: string,
  ): void {
    const power = this.planPower(s, c);
    const version = this.deps.priceVersion();
    const deadlineChanged = s.planDeadline !== null && s.plan !== null && s.planDeadline !== policy.deadline;
    let reason: string | null = null;
    if (s.plan === null) reason = 'new plan';
    else if (s.policyKey !== key) reason = deadlineChanged ? 'deadline changed' : 'policy changed';
    else if (version !== s.priceVersion) reason = 'prices changed';
    else if (Math.abs(power - s.planPowerW) > s.planPowerW * POWER_TOLERANCE) reason = 'plan power changed';
    else if (!s.plan.slots.some((x) => x.end > now)) reason = 'the planned slots are over';
    if (reason === null) return;
    if (deadlineChanged)
      this.setState(c.id, s, 'PLAN:ENDED:DEADLINE_CHANGED', `deadline now ${policy.deadline}`);
    if (s.deadline === null || s.policyKey !== key || now >= s.deadline)
      s.deadline = nextOccurrence(policy.deadline, now, this.deps.timezone);
    const prices: PriceSource = this.deps.prices ?? (() => null);
    const energyKWh = policy.energy - charged;
    s.hasTime = now + durationMs(energyKWh, power) <= s.deadline;
    // without a tariff there is nothing to choose from: charge at once (a deadline of now)
    s.plan = makePlan({
      now,
      deadline: this.deps.prices === undefined ? now : s.deadline,
      energyKWh,
      minimumKWh: Math.max(0, policy.minimum_energy - charged),
      powerW: power,
      prices,
    });
    s.policyKey = key;
    s.planDeadline = policy.deadline;
    s.failed = false;
    s.finished = false;
    s.priceVersion = version;
    s.planPowerW = power;
    s.want = null;
    this.deps.log('info', c.id, `plan made (${reason})`, {
      slots: s.plan.slots.map((x) => [new Date(x.start).toISOString(), new Date(x.end).toISOString()]),
      power_w: Math.round(power),
      feasible: s.plan.feasible,
      estimated_cost: s.plan.estimatedCost,
    });
    if (!s.hasTime)
      this.deps.log('warn', c.id, 'the deadline cannot be met at plan power: charging at once', {
        deadline: new Date(s.deadline).toISOString(),
      });
  }

  /** Runs the plan: charge inside a slot, pause outside; STARTING/STARTED/STOPPING/STOPPED and their failures. */
  private execute(c: SmartChargerView, s: Session, slots: readonly PlannedSlot[], now: number): SmartTarget {
    const slot = slots.find((x) => x.start <= now && now < x.end);
    const want = slot !== undefined;
    if (s.want !== want) {
      s.want = want;
      s.wantSince = now;
      s.commandError = null;
    }
    const drawing = c.charging || (c.powerW ?? 0) > DRAWING_W;
    const late = now - s.wantSince >= COMMAND_GRACE_MS;
    const tz = this.deps.timezone;
    if (want) {
      const state: PlanState = drawing
        ? 'PLAN:EXECUTING:STARTED'
        : s.commandError !== null || late
          ? 'PLAN:EXECUTING:START_FAILED'
          : 'PLAN:EXECUTING:STARTING';
      this.setState(
        c.id,
        s,
        state,
        state.endsWith('FAILED') ? (s.commandError ?? 'the vehicle does not draw') : null,
      );
      return {
        enabled: true,
        chargeCurrentA: c.maxCurrentA,
        note: null,
        next: { action: 'stop', at: isoLocal(slot!.end, tz) },
      };
    }
    const first = s.state === 'CONSIDERING' || s.state.startsWith('PLAN:ENDED') || s.state === 'DISABLED';
    const state: PlanState =
      !drawing || first
        ? 'PLAN:EXECUTING:STOPPED'
        : s.commandError !== null || late
          ? 'PLAN:EXECUTING:STOP_FAILED'
          : 'PLAN:EXECUTING:STOPPING';
    this.setState(
      c.id,
      s,
      state,
      state.endsWith('FAILED') ? (s.commandError ?? 'the vehicle still draws') : null,
    );
    const next = slots.find((x) => x.start > now);
    return {
      enabled: false,
      chargeCurrentA: c.maxCurrentA,
      note: next ? 'waiting for a cheaper slot' : 'no slot left',
      next: next ? { action: 'start', at: isoLocal(next.start, tz) } : null,
    };
  }
}
