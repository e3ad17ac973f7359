import { describe, expect, it } from '@jest/globals';
import {
  allowedCurrent,
  floorToResolution,
  initialChargerMemory,
  type SolarStepResult,
  solarStep,
} from '../../src/engine/solar.js';
import type { ChargerInput, ChargerMemory } from '../../src/engine/types.js';

const T0 = Date.UTC(2025, 5, 21, 10, 0, 0);
const V = 230;

const charger = (extra: Partial<ChargerInput> = {}): ChargerInput => ({
  id: 'garage',
  mode: 'solar',
  online: true,
  vehicleConnected: true,
  minCurrentA: 6,
  maxCurrentA: 16,
  resolutionA: 1,
  phasesWired: 1,
  phasesInUse: null,
  canSwitchPhases: false,
  phase: 'L1',
  voltageV: V,
  currentA: null,
  powerW: null,
  requested: null,
  lastCommandedA: null,
  ...extra,
});

/** Runs solarStep over `surplus` W, one reading every 10 s; enable_delay 60 s, disable_delay 180 s. */
function run(
  surplus: number[],
  c: ChargerInput = charger(),
  mode: 'solar' | 'min_solar' = 'solar',
  memory: ChargerMemory = initialChargerMemory(),
  startMs = T0,
): SolarStepResult[] {
  const out: SolarStepResult[] = [];
  let m = memory;
  surplus.forEach((w, i) => {
    const r = solarStep({
      now: startMs + i * 10_000,
      mode,
      surplusW: w,
      charger: c,
      memory: m,
      enableDelayS: 60,
      disableDelayS: 180,
    });
    m = r.memory;
    out.push(r);
  });
  return out;
}

const currents = (rs: SolarStepResult[]) => rs.map((r) => r.currentA);
const repeat = (w: number, n: number) => Array.from({ length: n }, () => w);
const MIN_1P = 6 * V; // 1380 W

describe('current the surplus allows', () => {
  it.each([
    [3680, 1, 1, 16],
    [3679, 1, 1, 15],
    [1380, 1, 1, 6],
    [1379, 1, 1, 5],
    [4140, 3, 1, 6],
    [4139, 3, 1, 5],
    [3679, 1, 0.1, 15.9],
    [-500, 1, 1, -3],
  ])('%d W on %d phase(s) at %d A resolution allows %d A', (w, phases, res, a) => {
    expect(allowedCurrent(w, phases as 1 | 3, V, res)).toBe(a);
  });

  it('floors float noise to the resolution without losing a step', () => {
    expect(floorToResolution(15.999999999999, 1)).toBe(16);
    expect(floorToResolution(6.3, 0.1)).toBe(6.3);
    expect(floorToResolution(6.29, 0.1)).toBe(6.2);
  });
});

describe('solar start after enable_delay', () => {
  it('starts on the reading 60 s after the first one that met the minimum, not one reading before', () => {
    const r = run(repeat(MIN_1P, 8));
    expect(currents(r)).toEqual([0, 0, 0, 0, 0, 0, 6, 6]);
    expect(r[0]?.blockedBy).toBe('enable delay');
    expect(r[0]?.next).toEqual({ action: 'start', at: new Date(T0 + 60_000).toISOString() });
  });

  it('does not start 1 W below the minimum', () => {
    expect(currents(run(repeat(MIN_1P - 1, 20)))).toEqual(repeat(0, 20));
    expect(run([MIN_1P - 1])[0]?.blockedBy).toBe('surplus below minimum');
  });

  it('restarts the delay when the surplus dips below the minimum during it', () => {
    const r = run([...repeat(2000, 5), 1000, ...repeat(2000, 7)]);
    // Dip at index 5; the timer restarts at index 6 and fires 60 s later at index 12.
    expect(currents(r)).toEqual([...repeat(0, 12), 8]);
  });

  it('follows the surplus each cycle within [min_current, max_current]', () => {
    const r = run([...repeat(2000, 7), 2500, 3000, 5000, 1500]);
    expect(currents(r).slice(6)).toEqual([8, 10, 13, 16, 6]);
  });
});

describe('solar stop after disable_delay', () => {
  const started = run(repeat(3000, 7));
  const mem = started[6]!.memory;
  const T1 = T0 + 70_000;

  it('keeps min_current through a cloud shorter than disable_delay', () => {
    const cloud = [...repeat(300, 18), ...repeat(3000, 3)]; // 170 s of cloud
    expect(currents(run(cloud, charger(), 'solar', mem, T1))).toEqual([...repeat(6, 18), 13, 13, 13]);
  });

  it('stops on the reading 180 s after the first one below the minimum', () => {
    const r = run(repeat(300, 20), charger(), 'solar', mem, T1);
    expect(currents(r)).toEqual([...repeat(6, 18), 0, 0]);
    expect(r[0]?.next).toEqual({ action: 'stop', at: new Date(T1 + 180_000).toISOString() });
  });

  it('counts a surplus exactly at the minimum as enough to keep charging', () => {
    expect(currents(run(repeat(MIN_1P, 30), charger(), 'solar', mem, T1))).toEqual(repeat(6, 30));
  });

  it('does not flap: a surplus oscillating around the minimum every 2 minutes never stops a started charge', () => {
    const wave = Array.from({ length: 120 }, (_, i) => (Math.floor(i / 12) % 2 === 0 ? 1000 : 1500));
    const r = currents(run(wave, charger(), 'solar', mem, T1));
    expect(r.every((a) => a >= 6)).toBe(true);
  });

  it('does not flap: once stopped it waits a full enable_delay before starting again', () => {
    const r = currents(run([...repeat(300, 19), ...repeat(2000, 8)], charger(), 'solar', mem, T1));
    expect(r.slice(18)).toEqual([0, 0, 0, 0, 0, 0, 0, 8, 8]);
  });
});

describe('min_solar', () => {
  it.each([
    [0, 6],
    [1379, 6],
    [2300, 10],
    [10_000, 16],
  ])('charges max(min_current, what %d W allows) = %d A at once', (w, a) => {
    expect(currents(run([w], charger(), 'min_solar'))).toEqual([a]);
  });
});

describe('1p/3p switching', () => {
  const switcher = charger({ phasesWired: 3, canSwitchPhases: true, phasesInUse: 3, phase: null });
  const MIN_3P = 6 * 3 * V; // 4140 W

  it('goes to 1 phase after disable_delay below the 3-phase minimum, then starts after enable_delay on 1 phase', () => {
    const r = run(repeat(3000, 20), switcher);
    expect(r.map((x) => x.phases)).toEqual([...repeat(3, 18), 1, 1]);
    expect(r[18]?.switched).toBe(true);
    expect(r[0]?.next?.action).toBe('switch_to_1_phase');
    // On 1 phase the start delay counts from the first reading that met the 1-phase minimum.
    expect(currents(r).slice(18)).toEqual([0, 0]);
    const later = run(repeat(3000, 7), switcher, 'solar', r[19]!.memory, T0 + 200_000);
    // The 1-phase start delay counts from the switch (T0+180 s): charging from T0+240 s.
    expect(currents(later)).toEqual([0, 0, 0, 0, 13, 13, 13]);
  });

  it('goes back to 3 phases after enable_delay, but at most once per disable_delay', () => {
    const on1 = run(repeat(3000, 19), switcher);
    const mem = on1[18]!.memory;
    const r = run(repeat(MIN_3P + 500, 30), switcher, 'solar', mem, T0 + 190_000);
    // Switched to 1 at T0+180 s; met from T0+190 s: enable_delay allows index 6, once-per-180 s holds it to index 17.
    expect(r.map((x) => x.phases).indexOf(3)).toBe(17);
  });

  it('stays on 3 phases at exactly the 3-phase minimum', () => {
    const r = run(repeat(MIN_3P, 30), switcher);
    expect(r.every((x) => x.phases === 3)).toBe(true);
    expect(currents(r).slice(6)).toEqual(repeat(6, 24));
  });

  it('switches at most twice an hour when clouds alternate every 5 minutes', () => {
    const wave = Array.from({ length: 360 }, (_, i) => (Math.floor(i / 30) % 2 === 0 ? 6000 : 2500));
    const r = run(wave, switcher);
    const switches = r.filter((x) => x.switched).length;
    expect(switches).toBeLessThanOrEqual(12);
    expect(switches).toBeGreaterThan(0);
  });

  it('never switches a charger that cannot', () => {
    const fixed3 = charger({ phasesWired: 3, phasesInUse: 3, phase: null });
    expect(run(repeat(3000, 40), fixed3).every((x) => x.phases === 3 && !x.switched)).toBe(true);
  });
});
