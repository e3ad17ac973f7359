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
  surplusPairAt: T0 - 10_000,
  gridStale: false,
  gridReadingAt: T0,
  gridPairAt: T0 - 10_000,
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
  enabled: true,
  limitA: 16,
  ...extra,
});

describe('fail-safe entry and recovery of one input', () => {
  /** Steps of [cycle time s, stale reason, pair time s (the earlier of the last two fresh readings), expected active]. */
  type Step = [number, FailsafeReason | null, number | null, boolean];
  const table: [string, Step[]][] = [
    [
      'never enters while the input is usable',
      [
        [0, null, null, false],
        [10, null, 0, false],
      ],
    ],
    [
      'enters at once when stale',
      [
        [0, null, null, false],
        [10, 'grid meter stale', null, true],
      ],
    ],
    [
      'leaves once two readings arrived after the last stale cycle',
      [
        [0, 'grid meter stale', null, true],
        [10, null, -60, true], // the first reading back: its pair began before the fail-safe
        [20, null, 15, false],
      ],
    ],
    [
      'a meter slower than the cycle recovers: cycles without a new reading do not reset the count',
      [
        [0, 'grid meter stale', null, true],
        [10, null, -60, true], // reading at 5 s
        [20, null, -60, true],
        [30, null, -60, true],
        [40, null, 5, false], // reading at 35 s: the pair 5 s + 35 s
      ],
    ],
    [
      'a stale cycle during recovery starts over',
      [
        [0, 'grid meter stale', null, true],
        [10, null, -60, true],
        [20, 'grid meter stale', 5, true],
        [30, null, 5, true], // the pair began before the last stale cycle
        [40, null, 25, false],
      ],
    ],
  ];
  it.each(table)('%s', (_name, steps) => {
    let m: FreshnessMemory = initialFreshness();
    for (const [t, stale, pair, active] of steps) {
      m = trackFreshness(m, stale, T0 + t * 1000, pair === null ? null : T0 + pair * 1000);
      expect(m.active).toBe(active);
    }
  });

  it('keeps the reason until it ends', () => {
    let m = trackFreshness(initialFreshness(), 'pv meter stale', T0, null);
    m = trackFreshness(m, null, T0 + 10_000, T0 - 5_000);
    expect(m).toMatchObject({ active: true, reason: 'pv meter stale' });
  });
});

/**
 * Runs decide once per 10 s over `sites` (overrides of the base site), returns the outputs of each
 * cycle. The meters deliver a fresh reading just before each cycle that is not stale.
 */
function cycles(sites: Partial<SiteInput>[], chargers: ChargerInput[], base: Partial<SiteInput> = {}) {
  let m: EngineMemory = initialMemory();
  const readings: number[] = [];
  return sites.map((s, i) => {
    const now = T0 + i * 10_000;
    if (!s.surplusStale && !s.gridStale) readings.push(now - 1000);
    const pairAt = readings.length >= 2 ? readings.at(-2)! : null;
    const r = decide(
      site({ now, surplusPairAt: pairAt, gridReadingAt: now - 1000, gridPairAt: pairAt, ...base, ...s }),
      chargers,
      m,
    );
    m = r.memory;
    return r.outputs;
  });
}

describe('solar fail-safe', () => {
  const stale = { surplusStale: 'grid meter stale' as const };

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
    const out = cycles([{ surplusW: null, surplusPairAt: null }], [charger('a')]);
    expect(out[0]?.[0]?.failsafe).toBe('grid meter stale');
  });

  it('resumes normal control once two fresh readings arrived after the outage', () => {
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
  const stale = { gridStale: true };
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

  it('resumes sharing the headroom once two fresh readings arrived', () => {
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
