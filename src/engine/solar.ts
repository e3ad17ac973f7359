/**
 * Solar control of one charger (docs/engine.md#solar-and-min_solar, 1p/3p switching), modelled on evcc's
 * PV mode: start after enable_delay, follow the surplus, stop after disable_delay. Pure.
 */
import type { ChargerInput, ChargerMemory, NextChange } from './types.js';

/** Floors a current to the charger's resolution, A (tolerates float noise such as 15.999999). */
export function floorToResolution(currentA: number, resolutionA: number): number {
  const steps = Math.floor(currentA / resolutionA + 1e-9);
  return Math.round(steps * resolutionA * 1000) / 1000;
}

/** The current the surplus allows on `phases`, A: floor(surplus W ÷ (phases × V)) at the resolution. */
export function allowedCurrent(
  surplusW: number,
  phases: 1 | 3,
  voltageV: number,
  resolutionA: number,
): number {
  return floorToResolution(surplusW / (phases * voltageV), resolutionA);
}

/** A charger's memory before its first cycle. */
export function initialChargerMemory(): ChargerMemory {
  return {
    running: false,
    enableSince: null,
    disableSince: null,
    phases: null,
    toOneSince: null,
    toThreeSince: null,
    lastSwitchAt: null,
  };
}

/** Inputs of one solar step; surplus W, delays s, now ms. */
export interface SolarStepInput {
  now: number;
  mode: 'solar' | 'min_solar';
  /** Surplus offered to this charger, W. */
  surplusW: number;
  charger: ChargerInput;
  memory: ChargerMemory;
  enableDelayS: number;
  disableDelayS: number;
}

/** Result of one solar step: desired current A (0 = paused) and the new memory. */
export interface SolarStepResult {
  /** Desired current before load management, A; 0 = paused. */
  currentA: number;
  phases: 1 | 3;
  /** The phases changed this cycle (the integrator sequences the paused switch). */
  switched: boolean;
  blockedBy: string | null;
  next: NextChange | null;
  memory: ChargerMemory;
}

/** The charger can switch phases under engine control (wired for 3, switch capability). */
export function isSwitcher(c: ChargerInput): boolean {
  return c.canSwitchPhases && c.phasesWired === 3;
}

/** Phases the charger uses now: the engine's choice for switchers, else what it reports or is wired for. */
export function phasesOf(c: ChargerInput, m: ChargerMemory): 1 | 3 {
  if (isSwitcher(c) && m.phases !== null) return m.phases;
  return c.phasesInUse ?? c.phasesWired;
}

/** Starts (or keeps) a delay timer while `met`, clears it otherwise; returns the new start, ms. */
function timer(since: number | null, met: boolean, now: number): number | null {
  return met ? (since ?? now) : null;
}

/** `at` (ms) as ISO 8601. */
const iso = (ms: number): string => new Date(ms).toISOString();

/** 1p/3p decision for a switcher: to 1 below the 3-phase minimum for disable_delay, to 3 after enable_delay. */
function decidePhases(
  s: SolarStepInput,
  m: ChargerMemory,
): { phases: 1 | 3; switched: boolean; next: number | null } {
  const c = s.charger;
  const phases = phasesOf(c, m);
  m.phases = phases;
  const disableMs = s.disableDelayS * 1000;
  const threePhaseMinW = c.minCurrentA * 3 * c.voltageV;
  const meetsThree = s.surplusW >= threePhaseMinW;
  // At most one switch per disable_delay, whichever direction (no flapping under passing clouds).
  const earliestSwitch = m.lastSwitchAt === null ? s.now : m.lastSwitchAt + disableMs;
  const delayMs = phases === 3 ? disableMs : s.enableDelayS * 1000;
  if (phases === 3) {
    m.toThreeSince = null;
    m.toOneSince = timer(m.toOneSince, !meetsThree, s.now);
  } else {
    m.toOneSince = null;
    m.toThreeSince = timer(m.toThreeSince, meetsThree, s.now);
  }
  const since = phases === 3 ? m.toOneSince : m.toThreeSince;
  if (since === null) return { phases, switched: false, next: null };
  const due = Math.max(since + delayMs, earliestSwitch);
  if (s.now < due) return { phases, switched: false, next: due };
  const to: 1 | 3 = phases === 3 ? 1 : 3;
  m.phases = to;
  m.lastSwitchAt = s.now;
  m.toOneSince = null;
  m.toThreeSince = null;
  return { phases: to, switched: true, next: null };
}

/** One control cycle of `solar` or `min_solar` for a charger with a vehicle and a usable surplus. */
export function solarStep(s: SolarStepInput): SolarStepResult {
  const c = s.charger;
  const m: ChargerMemory = { ...s.memory };
  const ph = isSwitcher(c)
    ? decidePhases(s, m)
    : { phases: phasesOf(c, m), switched: false, next: null as number | null };
  const phases = ph.phases;
  const allowed = allowedCurrent(s.surplusW, phases, c.voltageV, c.resolutionA);
  const clamp = (a: number) => Math.min(c.maxCurrentA, Math.max(c.minCurrentA, a));
  let next: NextChange | null =
    ph.next === null
      ? null
      : { action: phases === 3 ? 'switch_to_1_phase' : 'switch_to_3_phases', at: iso(ph.next) };
  const sooner = (cand: NextChange, atMs: number) => {
    if (next === null || (next.at !== null && iso(atMs) < next.at)) next = cand;
  };

  if (s.mode === 'min_solar') {
    m.running = true;
    m.enableSince = null;
    m.disableSince = null;
    const blockedBy = allowed < c.minCurrentA ? 'surplus below minimum' : null;
    return { currentA: clamp(allowed), phases, switched: ph.switched, blockedBy, next, memory: m };
  }

  let blockedBy: string | null = null;
  if (!m.running) {
    m.disableSince = null;
    m.enableSince = timer(m.enableSince, s.surplusW >= c.minCurrentA * phases * c.voltageV, s.now);
    if (m.enableSince !== null && s.now - m.enableSince >= s.enableDelayS * 1000) {
      m.running = true;
      m.enableSince = null;
    } else if (m.enableSince !== null) {
      blockedBy = 'enable delay';
      const at = m.enableSince + s.enableDelayS * 1000;
      sooner({ action: 'start', at: iso(at) }, at);
    } else {
      blockedBy = 'surplus below minimum';
    }
  } else {
    m.enableSince = null;
    // Keep charging at min_current while a cloud passes; stop only after disable_delay.
    m.disableSince = timer(m.disableSince, allowed < c.minCurrentA, s.now);
    if (m.disableSince !== null && s.now - m.disableSince >= s.disableDelayS * 1000) {
      m.running = false;
      m.disableSince = null;
      blockedBy = 'surplus below minimum';
    } else if (m.disableSince !== null) {
      blockedBy = 'surplus below minimum';
      const at = m.disableSince + s.disableDelayS * 1000;
      sooner({ action: 'stop', at: iso(at) }, at);
    }
  }
  const currentA = m.running ? clamp(allowed) : 0;
  return { currentA, phases, switched: ph.switched, blockedBy, next, memory: m };
}

/** Clears the start/stop and phase timers (no vehicle, fail-safe, other mode); keeps the phases chosen. */
export function resetSolarTimers(m: ChargerMemory, running: boolean): ChargerMemory {
  return { ...m, running, enableSince: null, disableSince: null, toOneSince: null, toThreeSince: null };
}
