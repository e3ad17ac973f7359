import { describe, expect, it } from '@jest/globals';
import { decide, initialMemory } from '../../src/engine/decide.js';
import { allocate, houseLoadPerPhase, type LoadDemand, phaseLoad, phaseMask } from '../../src/engine/load.js';
import type { ChargerInput, SiteInput } from '../../src/engine/types.js';

const T0 = Date.UTC(2025, 5, 21, 10, 0, 0);
const ALL = [true, true, true] as const;
const L1 = [true, false, false] as const;
const L2 = [false, true, false] as const;

const demand = (id: string, wantA: number, extra: Partial<LoadDemand> = {}): LoadDemand => ({
  id,
  mask: ALL,
  fixedA: null,
  wantA,
  minA: 6,
  resolutionA: 1,
  cls: 'auto',
  ...extra,
});

const site = (extra: Partial<SiteInput> = {}): SiteInput => ({
  now: T0,
  surplusW: 0,
  surplusStale: null,
  surplusPairAt: T0,
  gridStale: false,
  gridReadingAt: T0,
  gridPairAt: T0,
  houseCurrentsA: [0, 0, 0],
  houseW: 0,
  maxCurrentA: 25,
  residualW: 0,
  enableDelayS: 60,
  disableDelayS: 180,
  failsafe: 'min_current',
  ...extra,
});

const charger = (id: string, extra: Partial<ChargerInput> = {}): ChargerInput => ({
  id,
  mode: 'fast',
  online: true,
  vehicleConnected: true,
  minCurrentA: 6,
  maxCurrentA: 32,
  resolutionA: 1,
  phasesWired: 3,
  phasesInUse: null,
  canSwitchPhases: false,
  phase: null,
  voltageV: 230,
  currentA: null,
  powerW: null,
  requested: null,
  lastCommandedA: null,
  ...extra,
});

const grants = (limit: number, base: [number, number, number], ds: LoadDemand[]) =>
  allocate(limit, base, ds).map((g) => g.grantedA);

describe('allocate under the site limit', () => {
  it.each<[string, number, [number, number, number], LoadDemand[], number[]]>([
    ['one charger takes what it wants when it fits', 25, [5, 5, 5], [demand('a', 16)], [16]],
    ['one charger is capped at the headroom exactly', 25, [9, 0, 0], [demand('a', 32)], [16]],
    ['min_current exactly at the headroom still fits', 25, [19, 0, 0], [demand('a', 32)], [6]],
    ['one ampere less than min_current pauses', 25, [20, 0, 0], [demand('a', 32)], [0]],
    [
      'two automatic chargers share the headroom fairly',
      25,
      [5, 5, 5],
      [demand('a', 32), demand('b', 32)],
      [10, 10],
    ],
    [
      'an odd ampere goes to the first in configuration order',
      25,
      [4, 4, 4],
      [demand('a', 32), demand('b', 32)],
      [11, 10],
    ],
    [
      'a small demand leaves the rest to the other',
      25,
      [5, 5, 5],
      [demand('a', 7), demand('b', 32)],
      [7, 13],
    ],
    [
      'an overload pauses in reverse configuration order',
      25,
      [14, 14, 14],
      [demand('a', 32), demand('b', 32)],
      [11, 0],
    ],
    [
      'a 1-phase charger on L2 is not limited by a loaded L1',
      25,
      [20, 2, 2],
      [demand('a', 32, { mask: L2 })],
      [23],
    ],
    [
      'a 1-phase charger of unknown phase counts on the worst phase',
      25,
      [20, 2, 2],
      [demand('a', 32, { mask: ALL })],
      [0],
    ],
    [
      'an offline charger counts at its last limit',
      25,
      [0, 0, 0],
      [demand('off', 0, { fixedA: 16 }), demand('b', 32)],
      [16, 9],
    ],
    [
      'a manual charger gets its target before automatic ones share the rest',
      25,
      [0, 0, 0],
      [demand('auto', 32), demand('man', 16, { cls: 'manual' })],
      [9, 16],
    ],
    [
      'an idle charger (no vehicle) is paused before a charging one',
      25,
      [10, 10, 10],
      [demand('idle', 32, { cls: 'idle' }), demand('car', 32)],
      [0, 15],
    ],
    [
      'a mixed 1.0/0.1 A resolution stays on each grid',
      25,
      [0, 0, 0],
      [demand('a', 32, { resolutionA: 0.1 }), demand('b', 9)],
      [16, 9],
    ],
  ])('%s', (_name, limit, base, ds, expected) => {
    const g = allocate(limit, base, ds);
    expect(g.map((x) => x.grantedA)).toEqual(expected);
    for (const load of phaseLoad(base, ds, g)) expect(load).toBeLessThanOrEqual(limit + 1e-9);
  });

  it('shares L1 fairly between a 1-phase and a 3-phase charger', () => {
    expect(grants(25, [0, 0, 0], [demand('one', 32, { mask: L1 }), demand('three', 32)])).toEqual([13, 12]);
  });

  it('marks a grant below the demand as capped', () => {
    expect(allocate(25, [10, 0, 0], [demand('a', 32)])[0]).toEqual({ id: 'a', grantedA: 15, capped: true });
  });
});

describe('house load per phase', () => {
  it('counts the whole house on one (any) phase without per-phase data', () => {
    expect(houseLoadPerPhase(null, 2300, 230)).toEqual([10, 10, 10]);
  });
  it('counts exported phase current as 0', () => {
    expect(houseLoadPerPhase([-5, 3, 4], 0, 230)).toEqual([0, 3, 4]);
  });
  it('is unknown without any figure', () => {
    expect(houseLoadPerPhase(null, null, 230)).toBeNull();
  });
  it('maps phases to masks', () => {
    expect(phaseMask({ phase: 'L2' }, 1)).toEqual(L2);
    expect(phaseMask({ phase: null }, 1)).toEqual(ALL);
    expect(phaseMask({ phase: 'L2' }, 3)).toEqual(ALL);
  });
});

describe('load management in decide', () => {
  it('caps fast at the headroom and says so', () => {
    const r = decide(site({ houseCurrentsA: [12, 3, 3] }), [charger('a')], initialMemory());
    expect(r.outputs[0]?.targets).toEqual({ enabled: true, charge_current: 13 });
    expect(r.outputs[0]?.decision.blocked_by).toBe('site limit');
  });

  it('caps a manual charger at min(target, headroom) and keeps the person target when room returns', () => {
    const man = charger('m', { mode: 'manual', requested: { enabled: true, chargeCurrentA: 20 } });
    const tight = decide(site({ houseCurrentsA: [15, 0, 0] }), [man], initialMemory());
    expect(tight.outputs[0]?.targets).toEqual({ enabled: true, charge_current: 10 });
    expect(tight.outputs[0]?.decision).toMatchObject({ target_current: 10, blocked_by: 'site limit' });
    const roomy = decide(site({ houseCurrentsA: [2, 0, 0] }), [man], tight.memory);
    expect(roomy.outputs[0]?.targets).toEqual({ enabled: true, charge_current: 20 });
  });

  it('pauses a manual charger whose min_current does not fit and keeps its charge_current', () => {
    const man = charger('m', { mode: 'manual', requested: { enabled: true, chargeCurrentA: 20 } });
    const r = decide(site({ houseCurrentsA: [22, 0, 0] }), [man], initialMemory());
    expect(r.outputs[0]?.targets).toEqual({ enabled: false, charge_current: 20 });
  });

  it('leaves a manual charger alone without site.max_current', () => {
    const man = charger('m', { mode: 'manual', requested: { enabled: true, chargeCurrentA: 20 } });
    const r = decide(site({ maxCurrentA: null, houseCurrentsA: [30, 30, 30] }), [man], initialMemory());
    expect(r.outputs[0]?.targets).toBeNull();
    expect(r.outputs[0]?.decision.target_current).toBeNull();
  });

  it('counts the whole house W on one phase when no per-phase currents are known', () => {
    const r = decide(site({ houseCurrentsA: null, houseW: 3680 }), [charger('a')], initialMemory());
    expect(r.outputs[0]?.targets?.charge_current).toBe(9); // 25 − 3680 W ÷ 230 V
    const over = decide(site({ houseCurrentsA: null, houseW: 4600 }), [charger('a')], initialMemory());
    expect(over.outputs[0]?.targets?.enabled).toBe(false); // 5 A left < min_current
  });

  it('counts an offline charger at its last commanded limit, max_current if none', () => {
    const a = charger('a', { online: false, lastCommandedA: 10 });
    const b = charger('b', { online: false });
    const c = charger('c');
    expect(decide(site(), [a, c], initialMemory()).outputs[1]?.targets?.charge_current).toBe(15);
    const r = decide(site(), [b, c], initialMemory());
    expect(r.outputs[1]?.targets?.enabled).toBe(false);
    expect(r.outputs[0]).toMatchObject({ targets: null, failsafe: 'charger offline' });
  });

  it('cuts an overload in the same cycle in reverse configuration order', () => {
    const r = decide(site({ houseCurrentsA: [14, 14, 14] }), [charger('a'), charger('b')], initialMemory());
    expect(r.outputs.map((o) => o.targets?.enabled)).toEqual([true, false]);
    expect(r.outputs[1]?.decision.blocked_by).toBe('site limit');
  });

  it('disables a charger in off mode and keeps its last limit', () => {
    const r = decide(site(), [charger('a', { mode: 'off', lastCommandedA: 12 })], initialMemory());
    expect(r.outputs[0]?.targets).toEqual({ enabled: false, charge_current: 12 });
    expect(r.outputs[0]?.decision.blocked_by).toBe('mode off');
  });

  it('asks fast switchers for 3 phases', () => {
    const r = decide(site(), [charger('a', { canSwitchPhases: true, phasesInUse: 1 })], initialMemory());
    expect(r.outputs[0]?.targets).toEqual({ enabled: true, charge_current: 25, phases: 3 });
  });
});
