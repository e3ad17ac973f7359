import { describe, expect, it } from '@jest/globals';
import type { FailsafeReason } from '../../src/core/model.js';
import { decide, initialMemory } from '../../src/engine/decide.js';
import { initialFreshness, trackFreshness } from '../../src/engine/failsafe.js';
import type { ChargerInput, EngineMemory, FreshnessMemory, SiteInput } from '../../src/engine/types.js';

const T0 = Date.UTC(2025, 5, 21, 10, 0, 0);

const site = (extra: Partial<SiteInput> = {}): SiteInput => ({
  now: T0,
  surplusW: 5000,
  surplusStale: null,
  surplusReadingAt: T0,
  gridStale: false,
  gridReadingAt: T0,
  houseCurrentsA: [0, 0, 0],
  houseW: 0,
  maxCurrentA: null,
  residualW: 0,
  enableDelayS: 0,
  disableDelayS: 180,
  failsafe: 'min_current',
  ...extra,
});

const charger = (id: string, extra: Partial<ChargerInput> = {}): ChargerInput => ({
  id,
  mode: 'solar',
  online: true,
  vehicleConnected: true,
  minCurrentA: 6,
  maxCurrentA: 16,
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

describe('fail-safe entry and recovery of one input', () => {
  type Step = [FailsafeReason | null, number | null, boolean];
  /** Steps of [stale reason, reading time s, expected active]. */
  const table: [string, Step[]][] = [
    [
      'never enters while readings are fresh',
      [
        [null, 0, false],
        [null, 10, false],
        [null, 10, false],
      ],
    ],
    [
      'enters at once when stale',
      [
        [null, 0, false],
        ['grid meter stale', 0, true],
      ],
    ],
    ['enters at once when the reading is missing', [[null, null, true]]],
    [
      'leaves on the second cycle in a row with a newer reading',
      [
        ['grid meter stale', 0, true],
        [null, 70, true],
        [null, 80, false],
      ],
    ],
    [
      'a cycle without a newer reading restarts the count',
      [
        ['grid meter stale', 0, true],
        [null, 70, true],
        [null, 70, true],
        [null, 80, true],
        [null, 90, false],
      ],
    ],
    [
      'a stale reading during recovery starts over',
      [
        ['grid meter stale', 0, true],
        [null, 70, true],
        ['grid meter stale', 70, true],
        [null, 80, true],
        [null, 90, false],
      ],
    ],
  ];
  it.each(table)('%s', (_name, steps) => {
    let m: FreshnessMemory = initialFreshness();
    for (const [stale, at, active] of steps) {
      m = trackFreshness(m, stale, at === null ? null : T0 + at * 1000);
      expect(m.active).toBe(active);
    }
  });

  it('keeps the reason through the recovery cycles', () => {
    let m = trackFreshness(initialFreshness(), 'pv meter stale', T0);
    m = trackFreshness(m, null, T0 + 10_000);
    expect(m).toMatchObject({ active: true, reason: 'pv meter stale' });
  });
});

/** Runs decide once per 10 s over `sites` (overrides of the base site), returns the outputs of each cycle. */
function cycles(sites: Partial<SiteInput>[], chargers: ChargerInput[], base: Partial<SiteInput> = {}) {
  let m: EngineMemory = initialMemory();
  return sites.map((s, i) => {
    const r = decide(
      site({
        now: T0 + i * 10_000,
        surplusReadingAt: T0 + i * 10_000,
        gridReadingAt: T0 + i * 10_000,
        ...base,
        ...s,
      }),
      chargers,
      m,
    );
    m = r.memory;
    return r.outputs;
  });
}

describe('solar fail-safe', () => {
  const stale = { surplusStale: 'grid meter stale' as const, surplusReadingAt: T0 - 60_000 };

  it.each([
    ['min_current', { enabled: true, charge_current: 6 }],
    ['pause', { enabled: false, charge_current: 6 }],
  ] as const)('site.failsafe %s applies at once with the reason', (failsafe, targets) => {
    const out = cycles([{}, stale], [charger('a')], { failsafe });
    expect(out[0]?.[0]?.targets).toEqual({ enabled: true, charge_current: 7 });
    expect(out[1]?.[0]).toMatchObject({ targets, failsafe: 'grid meter stale' });
    expect(out[1]?.[0]?.decision.blocked_by).toBe('failsafe: grid meter stale');
  });

  it.each(['pv meter stale', 'house meter stale'] as const)('publishes %s for min_solar', (reason) => {
    const out = cycles([{ surplusStale: reason }], [charger('a', { mode: 'min_solar' })], {
      failsafe: 'pause',
    });
    expect(out[0]?.[0]).toMatchObject({ failsafe: reason, targets: { enabled: false } });
  });

  it('treats a missing surplus as a stale grid meter', () => {
    const out = cycles([{ surplusW: null, surplusReadingAt: null }], [charger('a')]);
    expect(out[0]?.[0]?.failsafe).toBe('grid meter stale');
  });

  it('resumes normal control on the second cycle in a row with a newer reading', () => {
    const out = cycles([{}, stale, stale, {}, {}], [charger('a')], { failsafe: 'pause' });
    expect(out.map((o) => o[0]?.failsafe ?? null)).toEqual([
      null,
      'grid meter stale',
      'grid meter stale',
      'grid meter stale',
      null,
    ]);
    expect(out[4]?.[0]?.targets).toEqual({ enabled: true, charge_current: 7 });
  });

  it('leaves manual and fast chargers alone', () => {
    const out = cycles([stale], [charger('f', { mode: 'fast' }), charger('m', { mode: 'manual' })]);
    expect(out[0]?.map((o) => o.failsafe)).toEqual([null, null]);
  });
});

describe('load management fail-safe (stale grid meter)', () => {
  const lm = { maxCurrentA: 16, houseCurrentsA: [2, 2, 2] as const };
  const stale = { gridStale: true, gridReadingAt: T0 - 60_000 };
  const man = charger('m', { mode: 'manual', requested: { enabled: true, chargeCurrentA: 16 } });

  it('caps every charger, manual ones too, to min_current and pauses what does not fit, in reverse order', () => {
    const three = [charger('a', { mode: 'fast' }), man, charger('c', { mode: 'fast' })];
    const out = cycles([stale], three, lm)[0]!;
    expect(out.map((o) => o.targets)).toEqual([
      { enabled: true, charge_current: 6 },
      { enabled: true, charge_current: 6 },
      { enabled: false, charge_current: 6 },
    ]);
    expect(out.map((o) => o.failsafe)).toEqual(['grid meter stale', 'grid meter stale', 'grid meter stale']);
  });

  it('ignores the unknown house load: Σ min_current per phase is what must fit', () => {
    const out = cycles(
      [{ ...stale, houseCurrentsA: [15, 15, 15] }],
      [charger('a', { mode: 'fast' })],
      lm,
    )[0]!;
    expect(out[0]?.targets).toEqual({ enabled: true, charge_current: 6 });
  });

  it('resumes sharing the headroom after two fresh cycles', () => {
    const out = cycles([stale, {}, {}], [charger('a', { mode: 'fast' })], lm);
    expect(out.map((o) => o[0]?.targets?.charge_current)).toEqual([6, 6, 14]);
    expect(out.map((o) => o[0]?.failsafe)).toEqual(['grid meter stale', 'grid meter stale', null]);
  });

  it('treats an unknown house load as a stale grid meter', () => {
    const out = cycles([{ houseCurrentsA: null, houseW: null }], [charger('a', { mode: 'fast' })], {
      maxCurrentA: 16,
    });
    expect(out[0]?.[0]?.failsafe).toBe('grid meter stale');
  });
});
