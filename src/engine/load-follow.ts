/**
 * load_follow (V2H) for bidirectional chargers (docs/engine.md): aims at `site.load_follow_target` W
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
 * 230 V), the setpoint in force is kept, so that rounding does not make it chatter. It is also kept
 * until a grid reading taken after the last change arrives: an older one does not show the change
 * yet, and stepping on it would correct the same error twice (overshoot with slow meters).
 *
 * State of charge (the Quasar reads it only while energy flows; its driver's README):
 * a discharge needs a state of charge read within the last 3 polls, above min_state_of_charge + 2 %.
 * When it is unknown — the fail-safe `state of charge unknown` — the setpoint is 0, except for a
 * *probe*: from idle or charging, when the house imports enough to discharge, the charger charges
 * at min_current for at most PROBE_MAX_CYCLES cycles so that the charger reports the state of charge;
 * the discharge starts once two reads in a row carried one (the fail-safe recovery rule).
 * The next probe comes PROBE_INTERVAL_S after the last one ended, none while discharging (a state of charge lost during a
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
/** A probe lasts at most this many control cycles (the charger may take ~20 s to start). */
export const PROBE_MAX_CYCLES = 6;
/** The next probe comes at least this long after the last one ended, s. */
export const PROBE_INTERVAL_S = 300;
/** Deadband as a fraction of one resolution step of power. */
export const DEADBAND_STEPS = 0.75;
/** Default site.load_follow_target, W. */
export const DEFAULT_TARGET_W = 100;

/** Memory before the first cycle (or after an unplug). */
export function initialFollowMemory(): FollowMemory {
  return {
    soc: null,
    socAt: null,
    socPairAt: null,
    lastReadAt: null,
    socFresh: initialFreshness(),
    probeCycles: 0,
    probeEndedAt: null,
    stepAt: null,
  };
}

/**
 * Records the state of charge of this cycle's read (every mode, so that a manual charge counts too).
 * Reads are counted as the cycles see them: two reads in a row that both carry a state of charge
 * make the pair that ends the `state of charge unknown` fail-safe; a read without one breaks the row.
 */
export function observeSoc(mem: FollowMemory, c: ChargerInput): FollowMemory {
  if (!c.vehicleConnected) return initialFollowMemory();
  const soc = c.stateOfCharge ?? null;
  const at = c.readAt ?? null;
  if (at === null || at === mem.lastReadAt) return mem;
  if (soc === null) return { ...mem, lastReadAt: at };
  const inRow = mem.lastReadAt !== null && mem.lastReadAt === mem.socAt;
  return { ...mem, soc, socAt: at, socPairAt: inRow ? mem.socAt : null, lastReadAt: at };
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
  /** Time of that grid reading, ms; null when unknown. */
  gridReadingAt: number | null;
  /** The grid meter's fail-safe is in force (stale, or not yet 2 fresh readings since). */
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

/** A decision before the memory bookkeeping. */
interface Choice {
  setpointA: number;
  blockedBy: string | null;
  failsafe: FailsafeReason | null;
  /** This cycle runs (or continues) a probe. */
  probe?: boolean;
}

/** One control cycle of load_follow for one online charger. */
export function followStep(input: FollowInput): FollowStep {
  const { now, charger: c } = input;
  const known = socKnown(input.memory, c, now);
  const socFresh = trackFreshness(
    input.memory.socFresh,
    known ? null : 'state of charge unknown',
    now,
    input.memory.socPairAt,
  );
  const mem: FollowMemory = { ...input.memory, socFresh };
  const errorW = input.gridW === null ? null : input.targetW - input.gridW;
  const choice = choose(input, mem, errorW);
  const held = c.lastCommandedA ?? 0;
  const probeCycles = choice.probe ? mem.probeCycles + 1 : 0;
  const probeEnded = mem.probeCycles > 0 && !choice.probe;
  return {
    ...choice,
    errorW: errorW === null ? null : Math.round(errorW),
    memory: {
      ...mem,
      probeCycles,
      probeEndedAt: probeEnded ? now : mem.probeEndedAt,
      stepAt: choice.setpointA !== held ? now : mem.stepAt,
    },
  };
}

/** The setpoint of this cycle and why. */
function choose(input: FollowInput, mem: FollowMemory, errorW: number | null): Choice {
  const { now, charger: c } = input;
  const min = c.minCurrentA;
  const maxDis = c.maxDischargeA ?? 0;
  const floor = (c.minStateOfChargePct ?? 20) + SOC_MARGIN_PCT;
  const idle = (blockedBy: string | null, failsafe: FailsafeReason | null = null): Choice => ({
    setpointA: 0,
    blockedBy,
    failsafe,
  });
  if (!c.vehicleConnected) return idle('no vehicle');
  if (input.gridFailsafe || errorW === null) return idle('failsafe: grid meter stale', 'grid meter stale');

  const perAmpW = c.voltageV * (c.phasesInUse ?? c.phasesWired);
  const flowA = c.powerW !== null ? c.powerW / perAmpW : (c.currentA ?? 0);
  const held = c.lastCommandedA ?? 0;
  const valid = (a: number) => a === 0 || Math.abs(a) >= min - 1e-9;
  // hold inside the deadband, and until a grid reading taken after the last change arrives (it
  // would not show the change yet: stepping again would correct the same error twice)
  const inDeadband = Math.abs(errorW) < DEADBAND_STEPS * c.resolutionA * perAmpW;
  const oldReading = input.gridReadingAt !== null && mem.stepAt !== null && input.gridReadingAt <= mem.stepAt;
  const probing = mem.probeCycles > 0 && mem.probeCycles < PROBE_MAX_CYCLES;
  const socLow = mem.soc !== null && mem.soc <= floor;
  const probe: Choice = {
    setpointA: Math.min(min, c.maxCurrentA),
    blockedBy: 'state of charge unknown',
    failsafe: 'state of charge unknown',
    probe: true,
  };
  // a probe goes on until a grid reading shows the house with the probe running
  if (probing && oldReading && mem.socFresh.active && !socLow) return probe;
  const want =
    (inDeadband || oldReading) && valid(held) ? held : roundSigned(flowA + errorW / perAmpW, c.resolutionA);

  if (want >= 0) {
    if (want > c.maxCurrentA) return { setpointA: c.maxCurrentA, blockedBy: 'max current', failsafe: null };
    return idleOr(want < min - 1e-9 ? 0 : want);
  }
  // a discharge is wanted
  if (-want < min - 1e-9) return idleOr(0);
  if (maxDis < min) return idle('max discharge');
  if (socLow) return idle('state of charge low');
  if (mem.socFresh.active) {
    // the state of charge is unknown (or not yet 2 reads in a row back): idle, or probe to read it
    const discharging = held < 0 || flowA < -0.5;
    const mayStart =
      mem.probeCycles === 0 &&
      !discharging &&
      (mem.probeEndedAt === null || now - mem.probeEndedAt >= PROBE_INTERVAL_S * 1000);
    if (probing || mayStart) return probe;
    return idle('state of charge unknown', 'state of charge unknown');
  }
  if (-want > maxDis) return { setpointA: -maxDis, blockedBy: 'max discharge', failsafe: null };
  return idleOr(want);
}

/** A setpoint with nothing blocking it. */
function idleOr(setpointA: number): Choice {
  return { setpointA, blockedBy: null, failsafe: null };
}
