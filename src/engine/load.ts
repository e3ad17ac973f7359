/**
 * Load management (docs/engine.md): per phase, house load + charger currents stay under site.max_current.
 * Pure: demands in, grants out, all currents A.
 */
import type { ChargerInput, Phase, PhaseCurrents } from './types.js';

/** Which phases a charger loads: [L1, L2, L3]. */
export type PhaseMask = readonly [boolean, boolean, boolean];

/** Who gets headroom first when filling above min_current: people, then automatic modes, then idle. */
export type LoadClass = 'manual' | 'auto' | 'idle';

/** One charger's demand on the site limit; currents A. */
export interface LoadDemand {
  id: string;
  /** Phases it loads (all three when a 1-phase charger's phase is unknown: the worst phase is any). */
  mask: PhaseMask;
  /** Counted as is and never changed (offline, or left as is), A; null = adjustable. */
  fixedA: number | null;
  /** Desired current, A; 0 = paused or disabled. */
  wantA: number;
  /** A */
  minA: number;
  /** Step of charge_current, A. */
  resolutionA: number;
  cls: LoadClass;
}

/** Granted current per charger in input order, A; 0 = must pause. */
export interface LoadGrant {
  id: string;
  /** A; 0 = paused (or not adjustable when fixedA was set: then fixedA). */
  grantedA: number;
  /** The site limit lowered the grant below the demand. */
  capped: boolean;
}

const EPS = 1e-6;
const PHASE_INDEX: Record<Phase, 0 | 1 | 2> = { L1: 0, L2: 1, L3: 2 };

/** Phases a charger loads on `phases` in use: 3 → all; 1 → its phase, or all when unknown. */
export function phaseMask(c: Pick<ChargerInput, 'phase'>, phases: 1 | 3): PhaseMask {
  if (phases === 3 || c.phase === null) return [true, true, true];
  const i = PHASE_INDEX[c.phase];
  return [i === 0, i === 1, i === 2];
}

/**
 * House load per phase, A. Negative phase currents (export) count as 0 because PV can vanish within a
 * cycle. Without per-phase data the whole house load (W ÷ V) counts on one phase; which one is unknown,
 * so every phase is checked as if it carried it.
 */
export function houseLoadPerPhase(
  houseCurrentsA: PhaseCurrents | null,
  houseW: number | null,
  voltageV: number,
): PhaseCurrents | null {
  if (houseCurrentsA)
    return [Math.max(0, houseCurrentsA[0]), Math.max(0, houseCurrentsA[1]), Math.max(0, houseCurrentsA[2])];
  if (houseW === null) return null;
  const a = Math.max(0, houseW) / voltageV;
  return [a, a, a];
}

const round = (a: number) => Math.round(a * 1000) / 1000;

/** Adds `a` A to every phase of `mask` in `load`. */
function addOn(load: number[], mask: PhaseMask, a: number): void {
  for (let p = 0; p < 3; p++) if (mask[p]) load[p] = (load[p] ?? 0) + a;
}

/** Currents at a common level `levelA`: each demand's grid step below it, never below its grant or above its want. */
function atLevel(d: LoadDemand, granted: Map<LoadDemand, number>, levelA: number): number {
  const g = granted.get(d) ?? 0;
  const stepped = Math.floor(levelA / d.resolutionA + 1e-9) * d.resolutionA;
  return Math.max(g, Math.min(d.wantA, round(stepped)));
}

/**
 * Raises `open` to the highest common level that fits (binary search), so that the step-by-step fill
 * after it only hands out the last few resolution steps. Keeps the fill fast with 0.1 A chargers.
 */
function raiseLevel(
  limitA: number,
  load: number[],
  granted: Map<LoadDemand, number>,
  open: readonly LoadDemand[],
): void {
  if (open.length === 0) return;
  const fits = (levelA: number) => {
    const extra = [0, 0, 0];
    for (const d of open) addOn(extra, d.mask, atLevel(d, granted, levelA) - (granted.get(d) ?? 0));
    return extra.every((e, p) => e < EPS || (load[p] ?? 0) + e <= limitA + EPS);
  };
  let lo = 0;
  let hi = Math.max(...open.map((d) => d.wantA));
  if (fits(hi)) lo = hi;
  // The grants change only at resolution steps: a quarter of the finest one is precise enough.
  const precision = Math.min(...open.map((d) => d.resolutionA)) / 4;
  for (let i = 0; i < 40 && hi - lo > precision; i++) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  for (const d of open) {
    const a = atLevel(d, granted, lo);
    addOn(load, d.mask, a - (granted.get(d) ?? 0));
    granted.set(d, a);
  }
}

/** Gives `group` its minimums (pausing from the end of the configuration order what does not fit), then fills. */
function fillGroup(
  limitA: number,
  load: number[],
  granted: Map<LoadDemand, number>,
  group: readonly LoadDemand[],
  classes: readonly LoadClass[],
): void {
  const active = new Set(group);
  const minLoad = (p: number) => {
    let sum = load[p] ?? 0;
    for (const d of active) if (d.mask[p]) sum += d.minA;
    return sum;
  };
  const cutOrder = [...group].reverse();
  for (let p = 0; p < 3; p++) {
    for (const d of cutOrder) {
      if (minLoad(p) <= limitA + EPS) break;
      if (d.mask[p]) active.delete(d);
    }
  }
  for (const d of active) {
    granted.set(d, d.minA);
    addOn(load, d.mask, d.minA);
  }
  for (const cls of classes) {
    const open = new Set([...active].filter((d) => d.cls === cls && d.minA < d.wantA));
    raiseLevel(limitA, load, granted, [...open]);
    while (open.size > 0) {
      let pick: LoadDemand | null = null;
      for (const d of open)
        if (pick === null || (granted.get(d) ?? 0) < (granted.get(pick) ?? 0) - EPS) pick = d;
      if (pick === null) break;
      const now = granted.get(pick) ?? 0;
      if (now >= pick.wantA - EPS) {
        open.delete(pick);
        continue;
      }
      const step = Math.min(pick.resolutionA, pick.wantA - now);
      if (!pick.mask.every((on, p) => !on || (load[p] ?? 0) + step <= limitA + EPS)) {
        open.delete(pick);
        continue;
      }
      granted.set(pick, round(now + step));
      addOn(load, pick.mask, step);
      if ((granted.get(pick) ?? 0) >= pick.wantA - EPS) open.delete(pick);
    }
  }
}

/**
 * Grants currents under `limitA` per phase given the house `baseA` per phase, A. Chargers with a vehicle
 * first: each gets its min_current; while a phase is overloaded, the last in configuration order on that
 * phase is paused. Then the rest is filled step by step, lowest current first (max-min fair), manual
 * chargers before automatic ones. Idle chargers (no vehicle) then get what is left the same way, so that
 * a car plugged in between cycles cannot overload a phase.
 */
export function allocate(limitA: number, baseA: PhaseCurrents, demands: readonly LoadDemand[]): LoadGrant[] {
  const load = [...baseA];
  for (const d of demands) {
    if (d.fixedA !== null) addOn(load, d.mask, d.fixedA);
  }
  const granted = new Map<LoadDemand, number>();
  const adjustable = demands.filter((d) => d.fixedA === null && d.wantA > 0);
  // Chargers with a vehicle first; idle ones (no vehicle) only get what is left.
  fillGroup(
    limitA,
    load,
    granted,
    adjustable.filter((d) => d.cls !== 'idle'),
    ['manual', 'auto'],
  );
  fillGroup(
    limitA,
    load,
    granted,
    adjustable.filter((d) => d.cls === 'idle'),
    ['idle'],
  );
  return demands.map((d) => {
    if (d.fixedA !== null) return { id: d.id, grantedA: d.fixedA, capped: false };
    const g = granted.get(d) ?? 0;
    return { id: d.id, grantedA: g, capped: g < d.wantA - EPS };
  });
}

/** Phase currents a set of grants puts on the site, A per phase (house + chargers), for checks and tests. */
export function phaseLoad(
  baseA: PhaseCurrents,
  demands: readonly LoadDemand[],
  grants: readonly LoadGrant[],
): number[] {
  const load = [...baseA];
  demands.forEach((d, i) => {
    const g = grants[i]?.grantedA ?? 0;
    addOn(load, d.mask, g);
  });
  return load;
}
