/**
 * load_follow (V2H) for bidirectional chargers (CONTRACT §6): aims at `site.load_follow_target` W
 * of grid import, discharging when the house imports and charging from export. Pure: time comes in
 * `now`, all currents A (signed: negative = discharge), powers W.
 *
 * Control law, once per control cycle:
 *   new = flow − (grid − target) ÷ (voltage × phases)
 * where `flow` is the charger's measured signed current (power ÷ voltage ÷ phases): the grid reading
 * already contains the charger's own power (grid = house + chargers − pv), so the step corrects the
 * error on top of what the charger does now. The result is rounded to the resolution, clamped to
 * [−max_discharge_current, max_current], and a magnitude below min_current becomes 0 (idle).
 * Deadband: while |grid − target| is under ¾ of one resolution step of power (≈ 170 W at 1 A,
 * 230 V), the setpoint in force is kept, so that rounding does not make it chatter.
 *
 * State of charge (the Quasar reads it only while energy flows; protocols/…-quasar-meters.md §C):
 * a discharge needs a state of charge read within the last 3 polls, above min_state_of_charge + 2 %.
 * When it is unknown — the fail-safe `state of charge unknown` — the setpoint is 0, except for a
 * *probe*: from idle or charging, when the house imports enough to discharge, the charger charges
 * at min_current for at most PROBE_MAX_S so that the charger reports the state of charge again;
 * the discharge starts once 2 cycles in a row saw a newer reading (the fail-safe recovery rule).
 * At most one probe per PROBE_INTERVAL_S, none while discharging (a state of charge lost during a
 * discharge goes to 0 at once), and none once the last state of charge read during this plug-in
 * was at or below the limit (it cannot rise while idle). Charging from export needs no state of
 * charge.
 */
import type { FailsafeReason } from '../core/model.js';
import { initialFreshness, trackFreshness } from './failsafe.js';
import type { ChargerInput, FollowMemory } from './types.js';

/** A state of charge is known for this many polls after it was read. */
export const SOC_MAX_POLLS = 3;
/** Discharge only above min_state_of_charge + this, %. */
export const SOC_MARGIN_PCT = 2;
/** A probe lasts at most this long, s. */
export const PROBE_MAX_S = 60;
/** At most one probe per this many seconds. */
export const PROBE_INTERVAL_S = 300;
/** Deadband as a fraction of one resolution step of power. */
export const DEADBAND_STEPS = 0.75;
/** Default site.load_follow_target, W. */
export const DEFAULT_TARGET_W = 100;

/** Memory before the first cycle (or after an unplug). */
export function initialFollowMemory(): FollowMemory {
  return { soc: null, socAt: null, socFresh: initialFreshness(), probeSince: null, lastProbeAt: null };
}

/** Records the state of charge of this cycle's read (every mode, so that a manual charge counts too). */
export function observeSoc(mem: FollowMemory, c: ChargerInput): FollowMemory {
  if (!c.vehicleConnected) return initialFollowMemory();
  const soc = c.stateOfCharge ?? null;
  const at = c.readAt ?? null;
  if (soc === null || at === null) return mem;
  return { ...mem, soc, socAt: at };
}

/** The state of charge was read within the last 3 polls. */
export function socKnown(mem: FollowMemory, c: ChargerInput, now: number): boolean {
  const pollMs = (c.pollIntervalS ?? 5) * 1000;
  return mem.socAt !== null && now - mem.socAt <= SOC_MAX_POLLS * pollMs;
}

/** Inputs of one load_follow step. */
export interface FollowInput {
  now: number;
  /** Grid import, W (+ import, − export); null when unknown. */
  gridW: number | null;
  /** The grid meter's fail-safe is in force (stale, or not yet 2 fresh cycles since). */
  gridFailsafe: boolean;
  /** site.load_follow_target, W. */
  targetW: number;
  charger: ChargerInput;
  /** After observeSoc() for this cycle. */
  memory: FollowMemory;
}

/** What load_follow wants for one charger before load management. */
export interface FollowStep {
  /** Signed setpoint, A: > 0 charge, < 0 discharge, 0 idle. */
  setpointA: number;
  /** Grid error this cycle, target − grid, W: > 0 room to charge, < 0 power to give; null if unknown. */
  errorW: number | null;
  blockedBy: string | null;
  failsafe: FailsafeReason | null;
  memory: FollowMemory;
}

/** Rounds a signed current to the resolution, by magnitude (symmetric in both directions). */
function roundSigned(a: number, res: number): number {
  const m = Math.round(Math.abs(a) / res + 1e-9) * res;
  return Math.sign(a) * (Math.round(m * 1000) / 1000);
}

/** One control cycle of load_follow for one online charger. */
export function followStep(input: FollowInput): FollowStep {
  const { now, charger: c, targetW } = input;
  const min = c.minCurrentA;
  const maxDis = c.maxDischargeA ?? 0;
  const floor = (c.minStateOfChargePct ?? 20) + SOC_MARGIN_PCT;
  const known = socKnown(input.memory, c, now);
  const socFresh = trackFreshness(
    input.memory.socFresh,
    known ? null : 'state of charge unknown',
    known ? input.memory.socAt : null,
  );
  let mem: FollowMemory = { ...input.memory, socFresh };
  const idle = (blockedBy: string | null, failsafe: FailsafeReason | null = null): FollowStep => ({
    setpointA: 0,
    errorW: input.gridW === null ? null : Math.round(targetW - input.gridW),
    blockedBy,
    failsafe,
    memory: { ...mem, probeSince: null },
  });
  if (!c.vehicleConnected) return idle('no vehicle');
  if (input.gridFailsafe || input.gridW === null)
    return idle('failsafe: grid meter stale', 'grid meter stale');

  const perAmpW = c.voltageV * (c.phasesInUse ?? c.phasesWired);
  const errorW = targetW - input.gridW;
  const flowA = c.powerW !== null ? c.powerW / perAmpW : (c.currentA ?? 0);
  const held = c.lastCommandedA ?? 0;
  const valid = (a: number) => a === 0 || Math.abs(a) >= min - 1e-9;
  let want: number;
  if (Math.abs(errorW) < DEADBAND_STEPS * c.resolutionA * perAmpW && valid(held)) want = held;
  else want = roundSigned(flowA + errorW / perAmpW, c.resolutionA);
  const out = (setpointA: number, blockedBy: string | null, failsafe: FailsafeReason | null = null) => ({
    setpointA,
    errorW: Math.round(errorW),
    blockedBy,
    failsafe,
    memory: mem,
  });

  if (want >= 0) {
    mem = { ...mem, probeSince: null };
    if (want > c.maxCurrentA) return out(c.maxCurrentA, 'max current');
    return out(want < min - 1e-9 ? 0 : want, null);
  }

  // a discharge is wanted
  if (-want < min - 1e-9) {
    mem = { ...mem, probeSince: null };
    return out(0, null);
  }
  if (maxDis < min) return idle('max discharge');
  if (mem.soc !== null && mem.soc <= floor) return idle('state of charge low');
  if (socFresh.active) {
    // the state of charge is unknown (or not yet 2 fresh cycles back): idle, or probe to read it
    const discharging = held < 0 || flowA < -0.5;
    const probing = mem.probeSince !== null && now - mem.probeSince < PROBE_MAX_S * 1000;
    const mayStart =
      mem.probeSince === null &&
      !discharging &&
      Math.abs(want) >= min - 1e-9 &&
      (mem.lastProbeAt === null || now - mem.lastProbeAt >= PROBE_INTERVAL_S * 1000);
    if (probing || mayStart) {
      mem = { ...mem, probeSince: mem.probeSince ?? now, lastProbeAt: mem.probeSince ?? now };
      return out(Math.min(min, c.maxCurrentA), 'state of charge unknown', 'state of charge unknown');
    }
    return idle('state of charge unknown', 'state of charge unknown');
  }
  mem = { ...mem, probeSince: null };
  if (-want > maxDis) return out(-maxDis, 'max discharge');
  return out(want, null);
}
