/**
 * The arithmetic of a session, as pure functions (docs/sessions.md): the energy of an interval
 * between two charger readings from the best source the charger has, its split into grid and
 * solar energy, and its cost. Energy kWh, power W, time ms, prices currency/kWh.
 */
import type { PriceSlot } from '../tariff/tariff.js';

/** What a charger reading says about energy: time ms, lifetime counter kWh, session counter kWh, power W (null = not reported). */
export interface EnergyMarks {
  at: number;
  total: number | null;
  sessionEnergy: number | null;
  power: number | null;
}

const KWH_PER_WMS = 1 / 3_600_000_000;

/**
 * kWh into the vehicle between two readings: the rise of the lifetime counter when both readings
 * have it (a counter that went back counts 0), else the rise of the session counter (one that
 * restarted counts from 0), else the earlier reading's power over the time between them (not over
 * a gap longer than `maxGapMs`, when the bridge could not read).
 */
export function chargedEnergy(prev: EnergyMarks, cur: EnergyMarks, maxGapMs: number): number {
  if (prev.total !== null && cur.total !== null) return cur.total >= prev.total ? cur.total - prev.total : 0;
  if (prev.sessionEnergy !== null && cur.sessionEnergy !== null)
    return cur.sessionEnergy >= prev.sessionEnergy
      ? cur.sessionEnergy - prev.sessionEnergy
      : cur.sessionEnergy;
  const dt = cur.at - prev.at;
  if (prev.power === null || prev.power <= 0 || dt <= 0 || dt > maxGapMs) return 0;
  return prev.power * dt * KWH_PER_WMS;
}

/** kWh out of the vehicle between two readings: the earlier reading's negative power over the time between them (gaps over `maxGapMs` skipped). */
export function dischargedEnergy(prev: EnergyMarks, cur: EnergyMarks, maxGapMs: number): number {
  const dt = cur.at - prev.at;
  if (prev.power === null || prev.power >= 0 || dt <= 0 || dt > maxGapMs) return 0;
  return -prev.power * dt * KWH_PER_WMS;
}

/**
 * The grid's fraction of the charging power at an interval's end: f = min(max(g, 0), P) / P, with
 * P the power of all charging chargers (W) and g the grid import (W, negative = export); 0 when P
 * is 0; 1 when the grid meter is stale or missing (`gridImport` null): that energy counts as grid.
 * Every charging charger gets the same fraction, which shares the grid power in proportion to
 * their power.
 */
export function gridFraction(chargingPower: number, gridImport: number | null): number {
  if (gridImport === null) return 1;
  if (!(chargingPower > 0)) return 0;
  return Math.min(Math.max(gridImport, 0), chargingPower) / chargingPower;
}

/** One interval's energy split into grid and solar kWh. */
export interface Split {
  grid: number;
  solar: number;
}

/** Splits `energy` kWh of one charger's interval with the site's figures at its end (see gridFraction). */
export function splitInterval(energy: number, chargingPower: number, gridImport: number | null): Split {
  const f = gridFraction(chargingPower, gridImport);
  return { grid: energy * f, solar: energy * (1 - f) };
}

/**
 * Cost of an interval [t0, t1): its grid kWh at the prices in force, shared between the price
 * slots by time when a price changes inside it, plus its solar kWh × `feedIn` (the export income
 * forgone). `prices` covers [t0, t1) (Tariff.segments); an empty interval takes the price at t0.
 */
export function intervalCost(
  grid: number,
  solar: number,
  t0: number,
  t1: number,
  prices: readonly PriceSlot[],
  feedIn: number,
): number {
  return grid * averagePrice(t0, t1, prices) + solar * feedIn;
}

/** The time-weighted price over [t0, t1), currency/kWh; the price at t0 when t1 <= t0; 0 with no slot. */
export function averagePrice(t0: number, t1: number, prices: readonly PriceSlot[]): number {
  if (t1 <= t0) return prices.find((s) => s.start <= t0 && t0 < s.end)?.price ?? prices[0]?.price ?? 0;
  let sum = 0;
  let covered = 0;
  for (const s of prices) {
    const a = Math.max(s.start, t0);
    const b = Math.min(s.end, t1);
    if (b > a) {
      sum += s.price * (b - a);
      covered += b - a;
    }
  }
  return covered > 0 ? sum / covered : 0;
}
