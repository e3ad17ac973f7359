/**
 * The state of the engine's meter inputs (docs/engine.md, fail-safes and start-up): usable,
 * pending or stale, and the reading pair that ends a fail-safe. Pure; times ms, ages s.
 */
import type { FailsafeReason } from '../core/model.js';
import type { SiteInput } from './types.js';

/** What the engine needs to know of one meter. */
export interface MeterInput {
  role: 'grid' | 'pv' | 'house';
  /** max_age, s. */
  maxAgeS: number;
  /** The reading is older than max_age, missing, retained (unknown age) or its source is offline. */
  stale: boolean;
  /** The reading in hand arrived live (not from the broker's retained store). */
  live: boolean;
  /** When the earlier of its last two live readings arrived, both fresh, ms; null if there is no such pair. */
  freshPairAt: number | null;
}

/** usable; pending (no live reading since start, max_age since start not passed); or stale. */
export type InputState = 'usable' | 'pending' | 'stale';

/** The state of one meter at `now`, the engine having started at `startedAt` (ms). */
export function inputState(m: MeterInput, now: number, startedAt: number): InputState {
  if (!m.stale) return 'usable';
  return !m.live && now - startedAt < m.maxAgeS * 1000 ? 'pending' : 'stale';
}

/** The meter fields of a cycle's SiteInput. */
export type MeterFields = Pick<
  SiteInput,
  'surplusStale' | 'surplusPending' | 'surplusPairAt' | 'gridStale' | 'gridPending' | 'gridPairAt'
>;

/**
 * The surplus comes from the grid meter, else from pv + house meters. It is pending while a meter it
 * needs is pending and none is stale (a stale one brings the fail-safe); its recovery pair is the
 * earliest over its meters (every meter must have delivered its two fresh readings).
 */
export function meterFields(meters: readonly MeterInput[], now: number, startedAt: number): MeterFields {
  const grid = meters.find((m) => m.role === 'grid');
  const gridState = grid ? inputState(grid, now, startedAt) : 'stale';
  const used = grid ? [grid] : meters.filter((m) => m.role === 'pv' || m.role === 'house');
  let surplusStale: FailsafeReason | null = null;
  let surplusPending: string | null = null;
  for (const m of used) {
    const st = inputState(m, now, startedAt);
    if (st === 'stale') surplusStale ??= `${m.role} meter stale`;
    if (st === 'pending') surplusPending ??= `${m.role} meter pending`;
  }
  const pairs = used.map((m) => m.freshPairAt);
  return {
    surplusStale: surplusStale ?? (surplusPending !== null ? `${used[0]!.role} meter stale` : null),
    surplusPending: surplusStale === null ? surplusPending : null,
    surplusPairAt:
      pairs.length > 0 && pairs.every((p) => p !== null) ? Math.min(...(pairs as number[])) : null,
    gridStale: gridState !== 'usable',
    gridPending: gridState === 'pending',
    gridPairAt: grid?.freshPairAt ?? null,
  };
}
