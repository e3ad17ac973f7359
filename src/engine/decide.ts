/**
 * One control cycle of the smart-charging engine (docs/engine.md): modes, fail-safes and load management
 * combined into per-charger targets and `decision` objects. Pure: time comes in `site.now`.
 */
import type { FailsafeReason } from '../core/model.js';
import { initialFreshness, trackFreshness } from './failsafe.js';
import { allocate, houseLoadPerPhase, type LoadDemand, phaseMask } from './load.js';
import { DEFAULT_TARGET_W, followStep, initialFollowMemory, observeSoc } from './load-follow.js';
import { initialChargerMemory, isSwitcher, phasesOf, resetSolarTimers, solarStep } from './solar.js';
import type {
  ChargerInput,
  ChargerMemory,
  ChargerOutput,
  CycleResult,
  Decision,
  EngineMemory,
  EngineTargets,
  FollowMemory,
  NextChange,
  SiteInput,
} from './types.js';

/** Memory before the first cycle. */
export function initialMemory(): EngineMemory {
  return {
    chargers: {},
    surplus: initialFreshness(),
    grid: initialFreshness(),
    followGrid: initialFreshness(),
    follow: {},
  };
}

/** What a mode wants for one charger before load management; current A. */
interface Want {
  /** null = leave as is (manual or planner without a target). */
  wantA: number | null;
  phases: 1 | 3;
  /** Include `phases` in the targets (switchers under automatic control). */
  setPhases: boolean;
  surplusW: number | null;
  blockedBy: string | null;
  next: NextChange | null;
  failsafe: FailsafeReason | null;
  memory: ChargerMemory;
  /** load_follow: the signed setpoint, A (negative = discharge); undefined in the other modes. */
  followA?: number;
  /** An input it needs is pending: it may be lowered, never started or raised (see holdOf). */
  hold?: boolean;
}

const isSolar = (c: ChargerInput) => c.mode === 'solar' || c.mode === 'min_solar';

/** The charger offers current to a vehicle now (enabled, vehicle present): what a fail-safe may keep, never start. */
function onNow(c: ChargerInput): boolean {
  return c.vehicleConnected && c.enabled === true;
}

/** The current a charger offers now, A: its limit in force while on (max_current when unknown), else 0. */
function nowA(c: ChargerInput): number {
  return onNow(c) ? Math.max(0, c.limitA ?? c.maxCurrentA) : 0;
}

/**
 * The pending input that holds an automatic mode (docs/engine.md, start-up): after a restart, an
 * input without a live reading yet is pending until its max_age has passed. `own` is true when the
 * mode cannot decide at all without it (solar on its surplus, load_follow on the grid meter): the
 * charger then stays as it is; otherwise (load management's grid meter) the mode's target is kept
 * at or below what the charger does now. Either way nothing starts or raises charging.
 */
function holdOf(site: SiteInput, c: ChargerInput, lm: boolean): { reason: string; own: boolean } | null {
  if (isSolar(c) && site.surplusPending) return { reason: site.surplusPending, own: true };
  if (!site.gridPending) return null;
  if (c.mode === 'load_follow') return { reason: 'grid meter pending', own: true };
  if (lm && c.mode !== 'manual' && c.mode !== 'off') return { reason: 'grid meter pending', own: false };
  return null;
}

/** charge_current to keep while paused, A: the last commanded limit within [min, max], else min_current. */
function keptCurrent(c: ChargerInput): number {
  return Math.min(c.maxCurrentA, Math.max(c.minCurrentA, c.lastCommandedA ?? c.minCurrentA));
}

/** Runs the mode logic of one online charger; `surplus` is what is left for it, W. */
function wantOf(
  site: SiteInput,
  c: ChargerInput,
  mem: ChargerMemory,
  surplusW: number | null,
  solarFs: FailsafeReason | null,
): Want {
  // Outside the automatic phase control the charger's own phases count (a person may have changed them).
  const engineControlsPhases = isSolar(c) || c.mode === 'fast';
  const phases = engineControlsPhases ? phasesOf(c, mem) : (c.phasesInUse ?? c.phasesWired);
  const base: Want = {
    wantA: 0,
    phases,
    setPhases: false,
    surplusW,
    blockedBy: null,
    next: null,
    failsafe: null,
    memory: mem,
  };
  switch (c.mode) {
    case 'off':
      return { ...base, blockedBy: 'mode off', memory: { ...resetSolarTimers(mem, false), phases: null } };
    case 'fast': {
      const ph = isSwitcher(c) ? 3 : phases;
      return {
        ...base,
        wantA: c.maxCurrentA,
        phases: ph,
        setPhases: isSwitcher(c),
        memory: { ...resetSolarTimers(mem, false), phases: isSwitcher(c) ? 3 : mem.phases },
      };
    }
    case 'manual':
    case 'smart':
    case 'load_follow': {
      // load_follow is decided by followStep() in decide(); this branch serves manual and smart
      const r = c.requested;
      if (r === null) return { ...base, wantA: null };
      return {
        ...base,
        wantA: r.enabled ? r.chargeCurrentA : 0,
        memory: { ...resetSolarTimers(mem, false), phases: null },
      };
    }
    case 'solar':
    case 'min_solar': {
      if (solarFs !== null) {
        // a fail-safe never starts charging: min_current lowers a charging car, a paused one stays paused
        const atMin = site.failsafe === 'min_current' && onNow(c);
        const blockedBy = `failsafe: ${solarFs}`;
        return {
          ...base,
          setPhases: isSwitcher(c),
          wantA: atMin ? c.minCurrentA : 0,
          blockedBy,
          failsafe: solarFs,
          memory: resetSolarTimers(mem, atMin),
        };
      }
      if (!c.vehicleConnected && c.mode === 'solar') {
        return { ...base, blockedBy: 'no vehicle', memory: resetSolarTimers(mem, false) };
      }
      const s = solarStep({
        now: site.now,
        mode: c.mode,
        surplusW: surplusW ?? 0,
        charger: c,
        memory: mem,
        enableDelayS: site.enableDelayS,
        disableDelayS: site.disableDelayS,
      });
      return {
        ...base,
        wantA: s.currentA,
        phases: s.phases,
        setPhases: isSwitcher(c),
        blockedBy: s.blockedBy,
        next: s.next,
        memory: s.memory,
      };
    }
  }
}

/** Power a solar charger takes from the surplus, W: its target, or its minimum while its start delay runs. */
function solarUseW(c: ChargerInput, w: Want): number {
  if (!c.vehicleConnected) return 0;
  const a = w.wantA !== null && w.wantA > 0 ? w.wantA : w.memory.enableSince !== null ? c.minCurrentA : 0;
  return a * w.phases * c.voltageV;
}

/**
 * One control cycle: `chargers` in configuration order, `memory` from the previous cycle (or
 * `initialMemory()`). Returns each charger's targets, `decision` and `failsafe`, and the new memory.
 */
export function decide(
  site: SiteInput,
  chargers: readonly ChargerInput[],
  memory: EngineMemory,
): CycleResult {
  // a pending input (no live reading since start yet) is not stale: no fail-safe, its memory waits
  const surplusUsable = site.surplusW !== null && site.surplusStale === null;
  const surplusFresh = site.surplusPending
    ? memory.surplus
    : trackFreshness(
        memory.surplus,
        surplusUsable ? null : (site.surplusStale ?? 'grid meter stale'),
        site.now,
        site.surplusPairAt,
      );
  const solarFs: FailsafeReason | null = surplusFresh.active
    ? (surplusFresh.reason ?? 'grid meter stale')
    : null;
  const lm = site.maxCurrentA !== null;
  const gridPending = site.gridPending === true;
  const voltage = chargers[0]?.voltageV ?? 230;
  const house = houseLoadPerPhase(site.houseCurrentsA, site.houseW, voltage);
  const gridFresh = !lm
    ? initialFreshness()
    : gridPending
      ? memory.grid
      : trackFreshness(
          memory.grid,
          site.gridStale || house === null ? 'grid meter stale' : null,
          site.now,
          site.gridPairAt,
        );
  const loadFs: FailsafeReason | null = gridFresh.active ? 'grid meter stale' : null;
  // without a usable house load, load management keeps to what surely fits: Σ min_current per phase
  const lmBlind = loadFs !== null || (lm && gridPending);
  // load_follow's own view of the grid meter: tracked in every cycle, with or without a site limit
  const gridW = site.gridW ?? null;
  const followGrid = gridPending
    ? (memory.followGrid ?? initialFreshness())
    : trackFreshness(
        memory.followGrid ?? initialFreshness(),
        site.gridStale || gridW === null ? 'grid meter stale' : null,
        site.now,
        site.gridPairAt,
      );
  const follow: Record<string, FollowMemory> = {};
  for (const c of chargers) {
    if (c.bidirectional) follow[c.id] = observeSoc(memory.follow?.[c.id] ?? initialFollowMemory(), c);
  }

  // Mode logic; the surplus goes to solar chargers in configuration order.
  let remaining = site.surplusW;
  const wants: Want[] = chargers.map((c) => {
    let mem = memory.chargers[c.id] ?? initialChargerMemory();
    if (!c.online)
      return {
        wantA: null,
        phases: phasesOf(c, mem),
        setPhases: false,
        surplusW: remaining,
        blockedBy: 'charger offline',
        next: null,
        failsafe: 'charger offline',
        memory: mem,
      };
    // after a restart, solar takes over a car it finds charging as its own: no needless stop and restart
    if (!mem.resumed) mem = { ...mem, resumed: true, running: isSolar(c) ? onNow(c) : mem.running };
    const hold = holdOf(site, c, lm);
    if (hold?.own) {
      // the mode cannot decide without the input: the charger stays as it is (load management may lower it)
      return {
        wantA: nowA(c),
        phases: c.phasesInUse ?? c.phasesWired,
        setPhases: false,
        surplusW: null,
        blockedBy: hold.reason,
        next: null,
        failsafe: null,
        memory: mem,
        hold: true,
      };
    }
    if (c.mode === 'load_follow') {
      const f = followStep({
        now: site.now,
        gridW,
        gridReadingAt: site.gridReadingAt,
        gridFailsafe: followGrid.active,
        targetW: site.loadFollowTargetW ?? DEFAULT_TARGET_W,
        charger: c,
        memory: follow[c.id] ?? observeSoc(initialFollowMemory(), c),
      });
      follow[c.id] = f.memory;
      return {
        wantA: Math.max(0, f.setpointA),
        phases: c.phasesInUse ?? c.phasesWired,
        setPhases: false,
        surplusW: f.errorW,
        blockedBy: f.blockedBy,
        next: null,
        failsafe: f.failsafe,
        memory: { ...resetSolarTimers(mem, false), phases: null },
        followA: f.setpointA,
      };
    }
    const w = wantOf(site, c, mem, remaining, solarFs);
    if (isSolar(c) && remaining !== null && solarFs === null) remaining -= solarUseW(c, w);
    if (hold === null) return w;
    // load management's grid meter is pending: the mode's target, but never above what it does now
    const held = w.wantA === null ? null : Math.min(w.wantA, nowA(c));
    const blockedBy = held !== null && w.wantA !== null && held < w.wantA ? hold.reason : w.blockedBy;
    return { ...w, wantA: held, setPhases: false, blockedBy, hold: true };
  });

  // Load management: everything counted per phase, the overload cut in this cycle.
  const demands: LoadDemand[] = chargers.map((c, i) => {
    const w = wants[i]!;
    // a discharge (negative) counts as 0: it lowers the import, but may stop at any time (SoC, the car),
    // so no other charger may rely on the headroom it frees
    const fixed = !c.online
      ? Math.max(0, c.lastCommandedA ?? c.maxCurrentA)
      : w.wantA === null
        ? Math.max(0, c.lastCommandedA ?? c.maxCurrentA)
        : w.followA !== undefined && w.followA <= 0
          ? 0
          : null;
    const want = w.wantA ?? 0;
    // blind (grid meter stale or pending): min_current at most; a fail-safe never starts a charger
    const blindA = loadFs !== null && !onNow(c) ? 0 : Math.min(want, c.minCurrentA);
    return {
      id: c.id,
      mask: phaseMask(c, w.phases),
      fixedA: fixed,
      wantA: lmBlind ? blindA : want,
      minA: c.minCurrentA,
      resolutionA: c.resolutionA,
      cls: !c.vehicleConnected ? 'idle' : c.mode === 'manual' ? 'manual' : 'auto',
    };
  });
  const grants = lm
    ? allocate(site.maxCurrentA ?? 0, lmBlind ? [0, 0, 0] : (house ?? [0, 0, 0]), demands)
    : demands.map((d) => ({ id: d.id, grantedA: d.wantA, capped: false }));

  const outputs: ChargerOutput[] = chargers.map((c, i) => {
    const w = wants[i]!;
    const g = grants[i]!;
    const failsafe = w.failsafe ?? (lm && c.online && w.wantA !== null ? loadFs : null);
    let blockedBy = w.blockedBy;
    if (g.capped)
      blockedBy =
        loadFs !== null ? `failsafe: ${loadFs}` : lm && gridPending ? 'grid meter pending' : 'site limit';
    let targets: EngineTargets | null = null;
    if (c.online && w.hold) {
      // held by a pending input: a command only when it lowers what the charger does now
      const lowered = w.wantA !== null && g.grantedA < nowA(c) - 1e-6;
      if (lowered) {
        if (lm && gridPending && g.grantedA < (w.wantA ?? 0) - 1e-6) blockedBy = 'grid meter pending';
        const on = g.grantedA > 0;
        targets = { enabled: on, charge_current: on ? g.grantedA : keptCurrent(c) };
      }
    } else if (c.online && w.followA !== undefined) {
      // load_follow: setpoint 0 = idle (the charger stays enabled; the Quasar stops with action 2)
      const a = w.followA > 0 ? g.grantedA : w.followA;
      targets = { enabled: true, charge_current: a };
    } else if (c.online && w.wantA !== null && !(c.mode === 'manual' && !lm)) {
      const on = g.grantedA > 0;
      const kept = c.mode === 'manual' && c.requested ? c.requested.chargeCurrentA : keptCurrent(c);
      targets = { enabled: on, charge_current: on ? g.grantedA : kept };
      if (w.setPhases) targets.phases = w.phases;
    }
    const decision: Decision = {
      mode: c.mode,
      surplus_power: w.surplusW === null ? null : Math.round(w.surplusW),
      target_current: targets === null ? null : targets.enabled ? targets.charge_current : 0,
      phases: w.phases,
      blocked_by: blockedBy,
      next_change: w.next,
    };
    return { id: c.id, targets, decision, failsafe };
  });

  const chargerMemory: Record<string, ChargerMemory> = {};
  chargers.forEach((c, i) => {
    chargerMemory[c.id] = wants[i]!.memory;
  });
  return {
    outputs,
    memory: { chargers: chargerMemory, surplus: surplusFresh, grid: gridFresh, followGrid, follow },
  };
}
