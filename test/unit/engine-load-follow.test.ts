import { describe, expect, it } from '@jest/globals';
import { decide, initialMemory } from '../../src/engine/decide.js';
import { PROBE_INTERVAL_S, PROBE_MAX_CYCLES } from '../../src/engine/load-follow.js';
import type { ChargerInput, ChargerOutput, EngineMemory, SiteInput } from '../../src/engine/types.js';

const T0 = Date.UTC(2026, 0, 15, 18, 0, 0);

/** A site with a fresh grid meter reading `gridW` (+ import) at `now`. */
const site = (extra: Partial<SiteInput> = {}): SiteInput => ({
  now: T0,
  surplusW: null,
  surplusStale: null,
  surplusPairAt: T0,
  gridStale: false,
  gridReadingAt: extra.now ?? T0,
  gridPairAt: (extra.now ?? T0) - 10_000,
  houseCurrentsA: null,
  houseW: null,
  maxCurrentA: null,
  residualW: 0,
  enableDelayS: 60,
  disableDelayS: 180,
  failsafe: 'min_current',
  gridW: 0,
  loadFollowTargetW: 100,
  ...extra,
});

/** A Quasar in load_follow, idle, SoC 60 % read at `readAt` (default: this cycle). */
const quasar = (extra: Partial<ChargerInput> = {}): ChargerInput => ({
  id: 'v2g',
  mode: 'load_follow',
  online: true,
  vehicleConnected: true,
  minCurrentA: 6,
  maxCurrentA: 32,
  resolutionA: 1,
  phasesWired: 1,
  phasesInUse: null,
  canSwitchPhases: false,
  phase: null,
  voltageV: 230,
  currentA: 0,
  powerW: 0,
  requested: null,
  lastCommandedA: 0,
  bidirectional: true,
  maxDischargeA: 16,
  minStateOfChargePct: 20,
  stateOfCharge: 60,
  readAt: T0,
  pollIntervalS: 5,
  ...extra,
});

/** One cycle from fresh memory. */
function once(s: Partial<SiteInput>, c: Partial<ChargerInput> = {}): ChargerOutput {
  return decide(site(s), [quasar(c)], initialMemory()).outputs[0]!;
}

/**
 * Runs cycles 10 s apart; each step gives the site and charger inputs of its cycle (times set here).
 * The grid meter delivers a reading before each cycle unless the step says otherwise; the pair that
 * ends a fail-safe is its last two distinct readings.
 */
function run(steps: Array<{ s?: Partial<SiteInput>; c?: Partial<ChargerInput> }>, memory = initialMemory()) {
  let m: EngineMemory = memory;
  const readings: number[] = [];
  return steps.map((step, i) => {
    const now = T0 + i * 10_000;
    const c = quasar({ readAt: now, ...step.c });
    const at = step.s?.gridReadingAt === undefined ? now : step.s.gridReadingAt;
    if (at !== null && readings.at(-1) !== at) readings.push(at);
    const gridPairAt = readings.length >= 2 ? readings.at(-2)! : null;
    const r = decide(site({ now, gridReadingAt: now, gridPairAt, ...step.s }), [c], m);
    m = r.memory;
    return r.outputs[0]!;
  });
}

const setpoint = (o: ChargerOutput) => o.targets?.charge_current;

describe('load_follow: the control law', () => {
  const table: Array<[string, Partial<SiteInput>, Partial<ChargerInput>, number, string | null]> = [
    ['the house imports 1500 W: discharges 6 A', { gridW: 1500 }, {}, -6, null],
    [
      'already discharging 6 A with 1000 W still imported: 10 A',
      { gridW: 1000 },
      { powerW: -1380, lastCommandedA: -6 },
      -10,
      null,
    ],
    ['2000 W exported: charges 9 A from it', { gridW: -2000 }, {}, 9, null],
    [
      'charging 9 A with the import at the target: keeps 9 A (deadband)',
      { gridW: 150 },
      { powerW: 2070, lastCommandedA: 9 },
      9,
      null,
    ],
    [
      'discharging 6 A, 200 W above the target: one step more',
      { gridW: 300 },
      { powerW: -1380, lastCommandedA: -6 },
      -7,
      null,
    ],
    [
      'discharging 6 A, 100 W above the target: inside the deadband, unchanged',
      { gridW: 200 },
      { powerW: -1380, lastCommandedA: -6 },
      -6,
      null,
    ],
    ['a 10 kW import: never beyond max_discharge_current', { gridW: 10_000 }, {}, -16, 'max discharge'],
    ['a 10 kW export: never beyond max_current', { gridW: -10_000 }, {}, 32, 'max current'],
    ['600 W above the target is less than min_current: idle', { gridW: 700 }, {}, 0, null],
    ['700 W of export is less than min_current: idle', { gridW: -700 }, {}, 0, null],
    [
      'discharging 6 A while the house drops: below min_current goes to 0',
      { gridW: -300 },
      { powerW: -1380, lastCommandedA: -6 },
      0,
      null,
    ],
    ['max_discharge_current 0: never discharges', { gridW: 3000 }, { maxDischargeA: 0 }, 0, 'max discharge'],
    ['max_discharge_current 0 still charges from export', { gridW: -3000 }, { maxDischargeA: 0 }, 13, null],
    ['no vehicle: idle', { gridW: 3000 }, { vehicleConnected: false, stateOfCharge: null }, 0, 'no vehicle'],
    ['a target of 500 W import is aimed at', { gridW: 2000, loadFollowTargetW: 500 }, {}, -7, null],
  ];
  it.each(table)('%s', (_name, s, c, expected, blocked) => {
    const out = once(s, c);
    expect(out.targets).toEqual({ enabled: true, charge_current: expected });
    expect(out.decision).toMatchObject({
      mode: 'load_follow',
      target_current: expected,
      blocked_by: blocked,
    });
    expect(out.failsafe).toBeNull();
  });

  it('holds its setpoint until a grid reading taken after its last change arrives (no double correction)', () => {
    const outs = run([
      { s: { gridW: 1500 } },
      { s: { gridW: 1500, gridReadingAt: T0 }, c: { powerW: -1380, lastCommandedA: -6 } }, // the same reading
      { s: { gridW: 120 }, c: { powerW: -1380, lastCommandedA: -6 } },
    ]);
    expect(outs.map(setpoint)).toEqual([-6, -6, -6]);
  });

  it('publishes the grid error as surplus_power (target − grid)', () => {
    expect(once({ gridW: 1500 }).decision.surplus_power).toBe(-1400);
  });

  it('uses the phases in use: a 3-phase charger moves a third as much per watt', () => {
    expect(setpoint(once({ gridW: -7000 }, { phasesWired: 3 }))).toBe(10);
  });
});

describe('load_follow: the state of charge', () => {
  it('never discharges at or below min_state_of_charge + 2 %', () => {
    expect(once({ gridW: 2000 }, { stateOfCharge: 22 }).decision.blocked_by).toBe('state of charge low');
    expect(setpoint(once({ gridW: 2000 }, { stateOfCharge: 22 }))).toBe(0);
    expect(setpoint(once({ gridW: 2000 }, { stateOfCharge: 23 }))).toBe(-8);
  });

  it('stops a running discharge at once when the state of charge reaches the limit', () => {
    const out = once({ gridW: 300 }, { stateOfCharge: 22, powerW: -1840, lastCommandedA: -8 });
    expect(setpoint(out)).toBe(0);
    expect(out.decision.blocked_by).toBe('state of charge low');
    expect(out.failsafe).toBeNull();
  });

  it('a state of charge read more than 3 polls ago stops a discharge at once, with the fail-safe', () => {
    const out = once(
      { gridW: 300 },
      { stateOfCharge: 60, readAt: T0 - 16_000, powerW: -1840, lastCommandedA: -8 },
    );
    expect(setpoint(out)).toBe(0);
    expect(out.failsafe).toBe('state of charge unknown');
    expect(out.decision.blocked_by).toBe('state of charge unknown');
  });

  it('a state of charge read 3 polls ago still counts', () => {
    expect(setpoint(once({ gridW: 300 }, { readAt: T0 - 15_000, powerW: -1840, lastCommandedA: -8 }))).toBe(
      -9,
    );
  });

  it('an unknown state of charge never blocks charging from export, and shows no fail-safe then', () => {
    const out = once({ gridW: -2000 }, { stateOfCharge: null, readAt: T0 });
    expect(setpoint(out)).toBe(9);
    expect(out.failsafe).toBeNull();
  });

  it('from idle with the state of charge unknown: charges at min_current to read it, then discharges after 2 fresh cycles', () => {
    const unknown = { stateOfCharge: null };
    const probing = { stateOfCharge: 60, powerW: 1380, lastCommandedA: 6 };
    const outs = run([
      { s: { gridW: 1500 }, c: unknown }, // idle, the house imports: probe
      { s: { gridW: 2880 }, c: probing }, // read during the probe: 1 fresh cycle
      { s: { gridW: 2880 }, c: probing }, // 2 fresh cycles: the fail-safe ends, the discharge starts
      { s: { gridW: 120 }, c: { stateOfCharge: 60, powerW: -1380, lastCommandedA: -6 } },
    ]);
    expect(outs.map(setpoint)).toEqual([6, 6, -6, -6]);
    expect(outs.map((o) => o.failsafe)).toEqual([
      'state of charge unknown',
      'state of charge unknown',
      null,
      null,
    ]);
    expect(outs[0]!.decision.blocked_by).toBe('state of charge unknown');
  });

  it('a probe goes on while the grid reading predates it', () => {
    const outs = run([
      { s: { gridW: 1500 }, c: { stateOfCharge: null } },
      { s: { gridW: 1500, gridReadingAt: T0 }, c: { stateOfCharge: 60, powerW: 1380, lastCommandedA: 6 } },
      { s: { gridW: 2880 }, c: { stateOfCharge: 60, powerW: 1380, lastCommandedA: 6 } },
    ]);
    expect(outs.map(setpoint)).toEqual([6, 6, -6]);
  });

  it('never probes while discharging: a state of charge lost mid-discharge goes to 0, not to a charge', () => {
    const discharging = { powerW: -1380, lastCommandedA: -6 };
    const outs = run([
      { s: { gridW: 1500 }, c: discharging },
      // the reads stop carrying a state of charge while the car still discharges
      { s: { gridW: 1500 }, c: { ...discharging, stateOfCharge: null } },
      { s: { gridW: 1500 }, c: { ...discharging, stateOfCharge: null } },
    ]);
    expect(setpoint(outs[2]!)).toBe(0);
    expect(outs[2]!.failsafe).toBe('state of charge unknown');
  });

  it('does not probe again when the last state of charge read this plug-in was at the limit', () => {
    const outs = run([
      { s: { gridW: 300 }, c: { stateOfCharge: 22, powerW: -1380, lastCommandedA: -6 } },
      { s: { gridW: 1700 }, c: { stateOfCharge: null, lastCommandedA: 0 } },
      { s: { gridW: 1700 }, c: { stateOfCharge: null, lastCommandedA: 0 } },
    ]);
    expect(outs.map(setpoint)).toEqual([0, 0, 0]);
    expect(outs[2]!.decision.blocked_by).toBe('state of charge low');
  });

  it('an unplug forgets the state of charge: the next car is probed', () => {
    const outs = run([
      { s: { gridW: 300 }, c: { stateOfCharge: 22, powerW: -1380, lastCommandedA: -6 } },
      { s: { gridW: 1700 }, c: { vehicleConnected: false, stateOfCharge: null, lastCommandedA: 0 } },
      { s: { gridW: 1700 }, c: { stateOfCharge: null, lastCommandedA: 0 } },
    ]);
    expect(outs.map(setpoint)).toEqual([0, 0, 6]);
  });

  it('a probe that does not reveal the state of charge ends after 6 cycles; the next comes 5 minutes later', () => {
    const steps = Array.from({ length: 40 }, () => ({
      s: { gridW: 2900 },
      c: { stateOfCharge: null, powerW: 0, lastCommandedA: 0 },
    }));
    const outs = run(steps);
    const probes = outs.map((o) => setpoint(o) === 6);
    expect(probes.slice(0, PROBE_MAX_CYCLES).every(Boolean)).toBe(true); // 0 … 50 s
    const again = PROBE_MAX_CYCLES + PROBE_INTERVAL_S / 10; // ended at 60 s, again at 360 s
    expect(probes.slice(PROBE_MAX_CYCLES, again).some(Boolean)).toBe(false);
    expect(probes[again]).toBe(true);
    expect(outs.every((o) => o.failsafe === 'state of charge unknown')).toBe(true);
  });
});

describe('load_follow: the grid meter', () => {
  it('a stale grid meter means setpoint 0 at once, whatever site.failsafe says; back after 2 fresh cycles', () => {
    const discharging = { powerW: -1840, lastCommandedA: -8 };
    const outs = run([
      { s: { gridW: 100 }, c: discharging },
      // stale: the last reading is the one of the previous cycle
      { s: { gridW: 100, gridStale: true, gridReadingAt: T0, failsafe: 'min_current' }, c: discharging },
      { s: { gridW: 1900 }, c: { powerW: 0, lastCommandedA: 0 } }, // a newer reading: 1 fresh cycle
      { s: { gridW: 1900 }, c: { powerW: 0, lastCommandedA: 0 } }, // another: 2 fresh cycles, back
    ]);
    expect(outs.map(setpoint)).toEqual([-8, 0, 0, -8]);
    expect(outs.map((o) => o.failsafe)).toEqual([null, 'grid meter stale', 'grid meter stale', null]);
    expect(outs[1]!.decision.blocked_by).toBe('failsafe: grid meter stale');
  });

  it('no grid reading at all: setpoint 0 with the fail-safe', () => {
    const out = once({ gridW: null, gridReadingAt: null }, { powerW: -1840, lastCommandedA: -8 });
    expect(setpoint(out)).toBe(0);
    expect(out.failsafe).toBe('grid meter stale');
  });
});

describe('load_follow under load management (site.max_current)', () => {
  it('charging from export is capped by the site limit', () => {
    const out = once({ gridW: -8000, maxCurrentA: 20, houseW: 2300 }, {});
    expect(setpoint(out)).toBe(10);
    expect(out.decision.blocked_by).toBe('site limit');
  });

  it('a discharge is never cut by the site limit (it lowers the import)', () => {
    const out = once({ gridW: 6000, maxCurrentA: 20, houseW: 6000 }, {});
    expect(setpoint(out)).toBe(-16);
  });

  it('a discharge frees no headroom for another charger: it may stop at any time', () => {
    const other: ChargerInput = { ...quasar({ id: 'ev', mode: 'fast', bidirectional: false }) };
    const r = decide(
      site({ gridW: 4600 - 16 * 230, maxCurrentA: 25, houseW: 4600 }),
      [quasar({ powerW: -16 * 230, lastCommandedA: -16 }), other],
      initialMemory(),
    );
    expect(r.outputs[0]!.targets?.charge_current).toBe(-16);
    // 20 A of house load under a 25 A fuse: 5 A left, below min_current: the fast car pauses
    expect(r.outputs[1]!.targets?.enabled).toBe(false);
  });
});
