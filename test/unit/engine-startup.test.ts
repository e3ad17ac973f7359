/**
 * A restart never starts the car (docs/engine.md, start-up): an input without a live reading since
 * start is pending until its max_age has passed; meanwhile nothing starts or raises charging, and a
 * fail-safe that follows never starts it either. Pure: meter states → meterFields → decide.
 */
import { describe, expect, it } from '@jest/globals';
import type { Mode } from '../../src/core/model.js';
import { decide, initialMemory } from '../../src/engine/decide.js';
import { inputState, type MeterInput, meterFields } from '../../src/engine/inputs.js';
import type { ChargerInput, ChargerOutput, EngineMemory } from '../../src/engine/types.js';

const START = Date.UTC(2026, 0, 15, 23, 0, 0); // a winter night
const MAX_AGE_S = 30;

/** How the grid meter behaves after the restart. */
type MeterKind = 'late' | 'never' | 'retained';
/** The live readings of a late meter begin this long after the start, s (then one a second). */
const LATE_S = 25;

/** The grid meter at `t` s after the start, and its power, W (+ import). */
function gridMeter(kind: MeterKind, t: number): { meter: MeterInput; gridW: number | null } {
  const base = { role: 'grid' as const, maxAgeS: MAX_AGE_S };
  if (kind === 'late' && t >= LATE_S) {
    const last = Math.floor(t);
    const pair = last - 1 >= LATE_S ? START + (last - 1) * 1000 : null;
    return { meter: { ...base, stale: false, live: true, freshPairAt: pair }, gridW: 2000 };
  }
  // retained: a sunny reading from the broker's store (5 kW export), of unknown age
  if (kind === 'retained')
    return { meter: { ...base, stale: true, live: false, freshPairAt: null }, gridW: -5000 };
  return { meter: { ...base, stale: true, live: false, freshPairAt: null }, gridW: null };
}

/** A charger as the restart finds it: paused, or charging at 16 A. */
function charger(mode: Mode, charging: boolean): ChargerInput {
  const bidirectional = mode === 'load_follow';
  return {
    id: 'garage',
    mode,
    online: true,
    vehicleConnected: true,
    minCurrentA: 6,
    maxCurrentA: 16,
    resolutionA: 1,
    phasesWired: 1,
    phasesInUse: 1,
    canSwitchPhases: false,
    phase: 'L1',
    voltageV: 230,
    currentA: charging ? 16 : 0,
    powerW: charging ? 16 * 230 : 0,
    // smart without a tariff charges at once: the plan asks for max_current
    requested: mode === 'smart' ? { enabled: true, chargeCurrentA: 16 } : null,
    lastCommandedA: null,
    enabled: bidirectional ? true : charging,
    limitA: bidirectional && !charging ? 0 : 16,
    bidirectional,
    maxDischargeA: bidirectional ? 16 : 0,
    stateOfCharge: bidirectional ? 60 : null,
    readAt: START,
    pollIntervalS: 5,
  };
}

/** Current offered to the car, A (signed for load_follow; 0 while paused or idle). */
const offered = (c: ChargerInput) => (c.enabled ? (c.limitA ?? 0) : 0);

interface Cycle {
  t: number;
  before: number;
  after: number;
  out: ChargerOutput;
}

/** Cycles every 10 s for 90 s after a restart; the charger follows the targets. */
function restart(mode: Mode, kind: MeterKind, charging: boolean, failsafe: 'min_current' | 'pause') {
  const lm = mode === 'fast' || mode === 'smart';
  let c = charger(mode, charging);
  let memory: EngineMemory = initialMemory();
  const cycles: Cycle[] = [];
  for (let t = 0; t <= 90; t += 10) {
    const now = START + t * 1000;
    const { meter, gridW } = gridMeter(kind, t);
    const chargerW = offered(c) * 230;
    const r = decide(
      {
        now,
        surplusW: gridW === null ? null : -gridW + (mode === 'solar' || mode === 'min_solar' ? chargerW : 0),
        ...meterFields([meter], now, START),
        gridReadingAt: gridW === null ? null : now - 1000,
        houseCurrentsA: null,
        houseW: gridW === null ? null : Math.max(0, gridW - chargerW),
        maxCurrentA: lm ? 25 : null,
        residualW: 0,
        enableDelayS: 60,
        disableDelayS: 180,
        failsafe,
        gridW,
        loadFollowTargetW: 100,
      },
      [{ ...c, readAt: now }],
      memory,
    );
    memory = r.memory;
    const out = r.outputs[0]!;
    const before = offered(c);
    if (out.targets)
      c = {
        ...c,
        enabled: out.targets.enabled,
        limitA: out.targets.charge_current,
        lastCommandedA: out.targets.charge_current,
        currentA: out.targets.enabled ? Math.abs(out.targets.charge_current) : 0,
        powerW: out.targets.enabled ? out.targets.charge_current * 230 : 0,
      };
    cycles.push({ t, before, after: offered(c), out });
  }
  return cycles;
}

const MODES: Mode[] = ['solar', 'min_solar', 'smart', 'load_follow', 'fast'];
const KINDS: MeterKind[] = ['late', 'never', 'retained'];
const CASES = MODES.flatMap((mode) =>
  KINDS.flatMap((kind) => [[mode, kind, 'paused'] as const, [mode, kind, 'charging'] as const]),
);

describe('after a restart, before the meter has delivered a live reading', () => {
  it.each(CASES)(
    '%s with a meter that is %s, the car %s: nothing starts or raises charging',
    (mode, kind, state) => {
      for (const failsafe of ['min_current', 'pause'] as const) {
        const cycles = restart(mode, kind, state === 'charging', failsafe);
        const blind = cycles.filter((c) => kind !== 'late' || c.t < LATE_S);
        expect(blind.length).toBeGreaterThan(2);
        for (const c of blind) {
          if (c.before === 0) expect(c.after).toBe(0);
          expect(Math.abs(c.after)).toBeLessThanOrEqual(Math.abs(c.before));
        }
      }
    },
  );

  it.each(MODES)(
    '%s: while the meter is pending, a paused car gets no command at all and no fail-safe',
    (mode) => {
      const cycles = restart(mode, 'never', false, 'min_current').filter((c) => c.t < MAX_AGE_S);
      for (const c of cycles) {
        expect(c.out.targets).toBeNull();
        expect(c.out.failsafe).toBeNull();
        expect(c.out.decision.blocked_by).toBe('grid meter pending');
      }
    },
  );

  it.each(MODES)('%s: a meter that never arrives brings the fail-safe once max_age has passed', (mode) => {
    for (const kind of ['never', 'retained'] as const) {
      const cycles = restart(mode, kind, false, 'min_current');
      expect(cycles.filter((c) => c.t >= MAX_AGE_S).every((c) => c.out.failsafe === 'grid meter stale')).toBe(
        true,
      );
      expect(cycles.every((c) => c.after === 0)).toBe(true);
    }
  });

  it('a charging car in solar stays as it is while pending; the fail-safe then lowers it to min_current, or pauses it', () => {
    const atMin = restart('solar', 'never', true, 'min_current');
    expect(atMin.filter((c) => c.t < MAX_AGE_S).every((c) => c.out.targets === null && c.after === 16)).toBe(
      true,
    );
    expect(atMin.at(-1)!.after).toBe(6);
    expect(restart('solar', 'never', true, 'pause').at(-1)!.after).toBe(0);
  });

  it('solar takes over a car it finds charging: when the meter arrives it keeps charging until disable_delay, no stop and restart', () => {
    const cycles = restart('solar', 'late', true, 'min_current').filter((c) => c.t >= LATE_S);
    // it follows the (small) surplus at min_current or more, and would stop only after disable_delay
    expect(cycles.every((c) => c.after >= 6)).toBe(true);
    expect(cycles.at(-1)!.out.decision).toMatchObject({
      blocked_by: 'surplus below minimum',
      next_change: { action: 'stop' },
    });
  });

  it('under site.max_current a charging car is lowered at once to what surely fits: min_current', () => {
    const cycles = restart('fast', 'late', true, 'min_current');
    expect(cycles[0]!.out.targets).toEqual({ enabled: true, charge_current: 6 });
    expect(cycles[0]!.out.decision.blocked_by).toBe('grid meter pending');
    expect(cycles[0]!.out.failsafe).toBeNull();
  });

  it('smart under site.max_current may still pause for its plan while the meter is pending', () => {
    const site = {
      now: START,
      surplusW: null,
      ...meterFields([gridMeter('never', 0).meter], START, START),
      gridReadingAt: null,
      houseCurrentsA: null,
      houseW: null,
      maxCurrentA: 25,
      residualW: 0,
      enableDelayS: 60,
      disableDelayS: 180,
      failsafe: 'min_current' as const,
    };
    const waiting = { ...charger('smart', true), requested: { enabled: false, chargeCurrentA: 16 } };
    const out = decide(site, [waiting], initialMemory()).outputs[0]!;
    expect(out.targets).toMatchObject({ enabled: false });
    expect(out.failsafe).toBeNull();
  });

  it.each([
    ['fast', 16],
    ['smart', 16],
    ['min_solar', 6],
  ] as const)('%s starts normally once the late meter has delivered a live reading', (mode, amps) => {
    const cycles = restart(mode, 'late', false, 'min_current');
    const after = cycles.filter((c) => c.t >= LATE_S);
    expect(after[0]!.after).toBe(amps);
    expect(after.every((c) => c.out.failsafe === null)).toBe(true);
  });

  it('load_follow discharges into the house once the late meter shows the import', () => {
    const cycles = restart('load_follow', 'late', false, 'min_current');
    expect(cycles.filter((c) => c.t >= LATE_S).some((c) => c.after < 0)).toBe(true);
  });
});

describe('the state of a meter input', () => {
  const m = (extra: Partial<MeterInput>): MeterInput => ({
    role: 'grid',
    maxAgeS: 30,
    stale: true,
    live: false,
    freshPairAt: null,
    ...extra,
  });
  it.each([
    ['a fresh live reading is usable', m({ stale: false, live: true }), 5, 'usable'],
    ['no reading yet, within max_age of the start, is pending', m({}), 29, 'pending'],
    ['no reading max_age after the start is stale', m({}), 30, 'stale'],
    ['a retained reading within max_age of the start is pending', m({ live: false }), 10, 'pending'],
    ['a retained reading max_age after the start is stale', m({ live: false }), 31, 'stale'],
    ['a live reading gone old is stale at once, even soon after the start', m({ live: true }), 10, 'stale'],
  ] as const)('%s', (_name, meter, t, state) => {
    expect(inputState(meter, START + t * 1000, START)).toBe(state);
  });

  it('a stale pv meter beside a pending house meter brings the fail-safe, not a wait', () => {
    const f = meterFields([m({ role: 'pv', live: true }), m({ role: 'house' })], START + 10_000, START);
    expect(f).toMatchObject({ surplusStale: 'pv meter stale', surplusPending: null });
  });

  it('the surplus of pv + house recovers on the later of their reading pairs', () => {
    const f = meterFields(
      [
        m({ role: 'pv', stale: false, live: true, freshPairAt: START + 5000 }),
        m({ role: 'house', stale: false, live: true, freshPairAt: START + 2000 }),
      ],
      START + 10_000,
      START,
    );
    expect(f.surplusPairAt).toBe(START + 2000);
    const g = meterFields([m({ role: 'pv', stale: false, live: true, freshPairAt: START })], START, START);
    expect(g).toMatchObject({
      surplusStale: null,
      surplusPending: null,
      gridStale: true,
      gridPending: false,
    });
  });
});
