/**
 * Inputs and outputs of the pure smart-charging engine (docs/engine.md).
 * The caller gathers the figures, calls `decide()` once per control cycle and keeps `EngineMemory`.
 */
import type { FailsafeReason, Mode, Targets } from '../core/model.js';

/** A grid phase. */
export type Phase = 'L1' | 'L2' | 'L3';

/** Per-phase values [L1, L2, L3], A. */
export type PhaseCurrents = readonly [number, number, number];

/** Site figures and settings of one control cycle; powers W, currents A, times ms since the epoch. */
export interface SiteInput {
  /** Time of this cycle, ms since the epoch (the only clock the engine knows). */
  now: number;
  /** `surplus_power`, W: −grid − residual_power + power of the solar/min_solar chargers; null if underivable. */
  surplusW: number | null;
  /** Why the surplus figure is stale or missing (its meters are too old), null when it is usable. */
  surplusStale: FailsafeReason | null;
  /**
   * Recovery evidence of the surplus figure, ms: when the earlier of its meters' last two live
   * readings arrived, both fresh and one after the other (the earliest such time over its meters);
   * null while any of its meters has no such pair. See trackFreshness().
   */
  surplusPairAt: number | null;
  /**
   * The surplus's meter that has not delivered a live reading since start while its max_age since
   * start has not passed (`grid meter pending`, …): no fail-safe, but nothing starts or raises.
   */
  surplusPending?: string | null;
  /** The grid meter (needed by load management) is stale or missing. */
  gridStale: boolean;
  /** The grid meter is pending (no live reading since start, max_age since start not passed). */
  gridPending?: boolean;
  /** Time of the latest grid meter reading, ms (load_follow holds until one after its last step); null if none. */
  gridReadingAt: number | null;
  /** Recovery evidence of the grid meter, ms (as surplusPairAt); null if none. */
  gridPairAt: number | null;
  /** House load per phase without the chargers, A (grid per-phase currents − charger currents); null if unknown. */
  houseCurrentsA: PhaseCurrents | null;
  /** `house_power`, W (load without the chargers); null if underivable. Used when houseCurrentsA is null. */
  houseW: number | null;
  /** site.max_current, A per phase; null = no load management. */
  maxCurrentA: number | null;
  /** site.residual_power, W (already inside surplusW; informational). */
  residualW: number;
  /** site.enable_delay, s. */
  enableDelayS: number;
  /** site.disable_delay, s. */
  disableDelayS: number;
  /** site.failsafe: what solar/min_solar chargers do while the surplus is stale. */
  failsafe: 'min_current' | 'pause';
  /** `grid_power`, W, signed: + import, − export; null if no grid meter or no reading (load_follow). */
  gridW?: number | null;
  /** site.load_follow_target: W of grid import that load_follow aims at; default 100. */
  loadFollowTargetW?: number;
}

/** A target asked for by a person (manual) or another planner (smart, load_follow); current A. */
export interface RequestedTarget {
  enabled: boolean;
  /** A */
  chargeCurrentA: number;
}

/** One charger's state and settings for a cycle (pass them in configuration order); currents A, power W. */
export interface ChargerInput {
  id: string;
  mode: Mode;
  /** The charger answers its polls. */
  online: boolean;
  /** A vehicle is plugged in. */
  vehicleConnected: boolean;
  /** Effective min_current, A. */
  minCurrentA: number;
  /** Effective max_current, A. */
  maxCurrentA: number;
  /** Resolution of charge_current, A (1 or 0.1). */
  resolutionA: number;
  /** Phases wired to the charger. */
  phasesWired: 1 | 3;
  /** Phases in use now (measured or commanded); null = phasesWired. */
  phasesInUse: 1 | 3 | null;
  /** The charger can switch between 1 and 3 phases. */
  canSwitchPhases: boolean;
  /** The phase a 1-phase charger (or a switcher on 1 phase) is on; null = unknown. */
  phase: Phase | null;
  /** Nominal voltage, V. */
  voltageV: number;
  /** Measured current (highest phase), A; null if unknown. Informational. */
  currentA: number | null;
  /** Measured power, W; null if unknown. Informational. */
  powerW: number | null;
  /** manual: the person's target; smart/load_follow: the planner's target; null = none known. */
  requested: RequestedTarget | null;
  /** Last charge_current commanded to it, A (negative = discharge); null if never. */
  lastCommandedA: number | null;
  /** `enabled` as the charger reports it now; null or absent = unknown (counts as not enabled). */
  enabled?: boolean | null;
  /** `charge_current` in force on the charger now, A; null or absent = unknown. */
  limitA?: number | null;
  /** It can discharge (signed charge_current); default false. */
  bidirectional?: boolean;
  /** max_discharge_current, A (0 = never discharge); default 0. */
  maxDischargeA?: number;
  /** min_state_of_charge, %: never discharge at or below it + 2 %; default 20. */
  minStateOfChargePct?: number;
  /** `state_of_charge` of the last read, %; null while unknown (Quasar: whenever no energy flows). */
  stateOfCharge?: number | null;
  /** Time of the last successful read, ms (the read `stateOfCharge` comes from); null if none. */
  readAt?: number | null;
  /** poll_interval, s (a state of charge counts as known for 3 polls); default 5. */
  pollIntervalS?: number;
}

/** Per-charger timers the engine keeps between cycles; times ms since the epoch. Opaque to the caller. */
export interface ChargerMemory {
  /** solar: the engine has started charging (stays true through short clouds). */
  running: boolean;
  /** First reading that met the start condition, ms; null while it is not met. */
  enableSince: number | null;
  /** First reading that met the stop condition, ms; null while it is not met. */
  disableSince: number | null;
  /** Phases the engine chose (switchers); null = not decided yet. */
  phases: 1 | 3 | null;
  /** First reading below the 3-phase minimum (while on 3 phases), ms. */
  toOneSince: number | null;
  /** First reading at or above the 3-phase minimum (while on 1 phase), ms. */
  toThreeSince: number | null;
  /** Last phase switch decided, ms; null if none. */
  lastSwitchAt: number | null;
  /** The engine has seen the charger online since it started (a restart resumes what it finds). */
  resumed?: boolean;
}

/** Fail-safe state of one input (surplus, grid meter, state of charge) across cycles; times ms. */
export interface FreshnessMemory {
  /** The fail-safe is in force. */
  active: boolean;
  /** The reason while active (kept until it ends). */
  reason: FailsafeReason | null;
  /** The last cycle that found the input unusable, ms: readings that end the fail-safe arrive after it. */
  unusableAt: number | null;
}

/** What load_follow remembers about one bidirectional charger between cycles; times ms. */
export interface FollowMemory {
  /** The last state of charge read during this plug-in, %, or null. */
  soc: number | null;
  /** When it was read, ms; null if never. */
  socAt: number | null;
  /** The read before `socAt` when it carried a state of charge too (two reads in a row), ms; else null. */
  socPairAt: number | null;
  /** The last read seen, with or without a state of charge, ms; null if none. */
  lastReadAt: number | null;
  /** Fail-safe `state of charge unknown` (stale after 3 polls; back after 2 reads in a row with one). */
  socFresh: FreshnessMemory;
  /** Cycles the current probe (a short charge at min_current to read the state of charge) has run; 0 = none. */
  probeCycles: number;
  /** When the last probe ended, ms (probes are rate-limited); null if none. */
  probeEndedAt: number | null;
  /** The cycle that last changed the setpoint, ms: grid readings up to it do not show the change yet. */
  stepAt: number | null;
}

/** Everything the engine remembers between cycles; start with `initialMemory()`. */
export interface EngineMemory {
  chargers: Record<string, ChargerMemory>;
  surplus: FreshnessMemory;
  grid: FreshnessMemory;
  /** load_follow: the grid meter's fail-safe (tracked whether or not site.max_current is set). */
  followGrid?: FreshnessMemory;
  /** load_follow: per bidirectional charger. */
  follow?: Record<string, FollowMemory>;
}

/** A change the engine will make by itself if nothing changes; `at` ISO 8601. */
export type NextChange = {
  action: 'start' | 'stop' | 'switch_to_1_phase' | 'switch_to_3_phases' | 'resume';
  at: string | null;
};

/** The published `decision` object (docs/engine.md#the-decision-object): surplus W, target current A. */
export type Decision = {
  mode: Mode;
  /**
   * Surplus this charger was offered, W (site surplus minus what chargers earlier in the order took);
   * load_follow: load_follow_target − grid_power, W (> 0 room to charge, < 0 power to give).
   */
  surplus_power: number | null;
  /** Target current, A (load_follow: signed, negative = discharge); 0 while paused or idle; null = left as is. */
  target_current: number | null;
  phases: 1 | 3;
  /** What keeps it from charging more (e.g. `site limit`, `enable delay`), null if nothing. */
  blocked_by: string | null;
  next_change: NextChange | null;
};

/** Targets the engine asks for (the writable keys of `Targets`); charge_current A. */
export type EngineTargets = Pick<Targets, 'enabled' | 'charge_current' | 'phases'>;

/** What the engine decided for one charger this cycle. */
export interface ChargerOutput {
  id: string;
  /** Targets to apply through the command path; null = leave as is. */
  targets: EngineTargets | null;
  decision: Decision;
  /** `failsafe` to publish, null when none. */
  failsafe: FailsafeReason | null;
}

/** The result of one control cycle. */
export interface CycleResult {
  outputs: ChargerOutput[];
  memory: EngineMemory;
}
