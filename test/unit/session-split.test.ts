/** The arithmetic of a charging session: energy per interval from the best source, its grid/solar split, and its cost. */
import { describe, expect, it } from '@jest/globals';
import type { TariffConfig } from '../../src/config/types.js';
import { csvField } from '../../src/sessions/query.js';
import {
  averagePrice,
  chargedEnergy,
  dischargedEnergy,
  type EnergyMarks,
  gridFraction,
  intervalCost,
  splitInterval,
} from '../../src/sessions/split.js';
import { Tariff } from '../../src/tariff/tariff.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const marks = (at: number, m: Partial<EnergyMarks> = {}): EnergyMarks => ({
  at,
  total: null,
  sessionEnergy: null,
  power: null,
  ...m,
});

describe('the energy of an interval between two readings', () => {
  it.each([
    ['the lifetime counter rises', { total: 100 }, { total: 100.5, sessionEnergy: 9 }, 0.5],
    ['a lifetime counter that goes back counts nothing', { total: 100 }, { total: 3 }, 0],
    [
      'without a lifetime counter, the session counter rises',
      { sessionEnergy: 2 },
      { sessionEnergy: 2.25 },
      0.25,
    ],
    ['a session counter that restarted counts from 0', { sessionEnergy: 12 }, { sessionEnergy: 0.1 }, 0.1],
    ['without counters, 7200 W over 5 minutes', { power: 7200 }, { power: 7000 }, 0.6],
    [
      'a lifetime counter missing in one reading falls back to the session counter',
      { total: 5, sessionEnergy: 1 },
      { total: null, sessionEnergy: 1.2 },
      0.2,
    ],
  ])('%s', (_name, a, b, kwh) => {
    expect(chargedEnergy(marks(0, a), marks(5 * MIN, b), 15 * MIN)).toBeCloseTo(kwh, 9);
  });

  it('does not integrate power over a gap longer than the charger could be read', () => {
    expect(chargedEnergy(marks(0, { power: 7200 }), marks(HOUR, { power: 7200 }), 15 * MIN)).toBe(0);
  });

  it('counts negative power as discharged energy, not charged', () => {
    const a = marks(0, { power: -3600 });
    const b = marks(10 * MIN, { power: -3600 });
    expect(dischargedEnergy(a, b, 15 * MIN)).toBeCloseTo(0.6, 9);
    expect(chargedEnergy(a, b, 15 * MIN)).toBe(0);
  });
});

describe('the grid/solar split of an interval', () => {
  // E kWh of this charger; P W of all charging chargers and g W of grid import, at the interval's end
  it.each([
    ['one charger, all from the grid', 1, 7000, 7500, { grid: 1, solar: 0 }],
    ['one charger, half from the grid', 1, 7000, 3500, { grid: 0.5, solar: 0.5 }],
    ['one charger while the site exports: all solar', 1, 7000, -1200, { grid: 0, solar: 1 }],
    [
      'export then import: the next interval imports 2800 of 7000 W',
      1,
      7000,
      2800,
      { grid: 0.4, solar: 0.6 },
    ],
    [
      'two chargers of 7000 and 3000 W with 5000 W import: the 7 kW one gets 3500 W of grid',
      0.7,
      10000,
      5000,
      { grid: 0.35, solar: 0.35 },
    ],
    ['two chargers: the 3 kW one gets 1500 W of grid', 0.3, 10000, 5000, { grid: 0.15, solar: 0.15 }],
    ['a stale or missing grid meter counts as grid', 1, 7000, null, { grid: 1, solar: 0 }],
    ['no charging power at the end: the fraction is 0', 0.1, 0, 4000, { grid: 0, solar: 0.1 }],
  ])('%s', (_name, e, p, g, want) => {
    const s = splitInterval(e, p, g);
    expect(s.grid).toBeCloseTo(want.grid, 9);
    expect(s.solar).toBeCloseTo(want.solar, 9);
  });

  it('shares the grid power between two chargers in proportion to their power', () => {
    // 5000 W import shared by 7000 W and 3000 W: 3500 W and 1500 W, the same fraction for both
    const f = gridFraction(10_000, 5000);
    expect(7000 * f).toBeCloseTo(3500, 9);
    expect(3000 * f).toBeCloseTo(1500, 9);
  });
});

const CFG: TariffConfig = {
  currency: 'EUR',
  zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
  default_price: 0.25,
  feed_in_price: 0.08,
};

function tariffAt(iso: string): Tariff {
  return new Tariff(CFG, 'Europe/Paris', new ManualClock(Date.parse(iso)), new MemoryLog().bundle.log);
}

/** Charges `kw` from t0 to t1 in 5-minute intervals; the split of each interval by `fraction(t)`; returns the cost. */
function sessionCost(
  tariff: Tariff,
  t0: number,
  t1: number,
  kw: number,
  fraction: (t: number) => number,
): number {
  let cost = 0;
  for (let t = t0; t < t1; t += 5 * MIN) {
    const e = (kw * 5) / 60;
    const f = fraction(t);
    cost += intervalCost(e * f, e * (1 - f), t, t + 5 * MIN, tariff.segments(t, t + 5 * MIN), 0.08);
  }
  return cost;
}

describe('the cost of a session', () => {
  it('prices grid energy at the tariff and solar energy at the feed-in price', () => {
    expect(intervalCost(2, 1, 0, 1, [{ start: 0, end: 10, price: 0.3 }], 0.08)).toBeCloseTo(0.68, 9);
  });

  it('prices each interval at its own price when the price changes in the middle of a session', () => {
    // 01:00 to 03:00 local on an ordinary day, 3.6 kW from the grid: 1 h at 0.25, 1 h at 0.15
    const tariff = tariffAt('2026-06-01T00:00:00+02:00');
    const cost = sessionCost(
      tariff,
      Date.parse('2026-06-01T01:00:00+02:00'),
      Date.parse('2026-06-01T03:00:00+02:00'),
      3.6,
      () => 1,
    );
    expect(cost).toBeCloseTo(3.6 * 0.25 + 3.6 * 0.15, 9);
  });

  it('shares an interval that straddles a price change by time', () => {
    const slots = [
      { start: 0, end: 30, price: 0.2 },
      { start: 30, end: 60, price: 0.4 },
    ];
    expect(averagePrice(0, 60, slots)).toBeCloseTo(0.3, 9);
    expect(intervalCost(1, 0, 0, 60, slots, 0)).toBeCloseTo(0.3, 9);
  });

  it('follows local time on the day the clocks go forward', () => {
    // 29 March 2026, Paris: 02:00 does not exist; the cheap zone runs 03:00+02:00 to 05:00+02:00 (2 h).
    // A night session from 01:00+01:00 to 06:00+02:00 lasts 4 h: 1 h before, 2 h cheap, 1 h after.
    const tariff = tariffAt('2026-03-28T12:00:00+01:00');
    const t0 = Date.parse('2026-03-29T01:00:00+01:00');
    const t1 = Date.parse('2026-03-29T06:00:00+02:00');
    expect(t1 - t0).toBe(4 * HOUR);
    const cost = sessionCost(tariff, t0, t1, 3.6, () => 1);
    expect(cost).toBeCloseTo(3.6 * (2 * 0.25 + 2 * 0.15), 9);
  });

  it('prices solar energy at the feed-in price and grid energy at the tariff, interval by interval', () => {
    // 2 h at 3.6 kW in the default price: the first hour all solar, the second all grid
    const tariff = tariffAt('2026-06-01T10:00:00+02:00');
    const t0 = Date.parse('2026-06-01T10:00:00+02:00');
    const cost = sessionCost(tariff, t0, t0 + 2 * HOUR, 3.6, (t) => (t < t0 + HOUR ? 0 : 1));
    expect(cost).toBeCloseTo(3.6 * 0.08 + 3.6 * 0.25, 9);
  });
});

describe('CSV fields (RFC 4180)', () => {
  it.each([
    ['plain', 'garage', 'garage'],
    ['a comma is quoted', 'a,b', '"a,b"'],
    ['a quote is doubled inside quotes', 'say "hi"', '"say ""hi"""'],
    ['a line break is quoted', 'a\nb', '"a\nb"'],
    ['null is an empty field', null, ''],
    ['modes are joined with ;', ['solar', 'manual'], 'solar;manual'],
    ['a number as written', 0.25, '0.25'],
  ])('%s', (_name, value, field) => {
    expect(csvField(value)).toBe(field);
  });
});
