import type { MeterSample } from './types.js';

/** The largest power magnitude a house meter can read, W (10 MW). */
export const MAX_POWER_W = 10_000_000;
/** The largest current magnitude a house meter can read, A (10 kA). */
export const MAX_CURRENT_A = 10_000;

/**
 * Why a reading cannot be real (README, "Hostile input"), or null when it can: `1.7e308` W would
 * become Infinity in the site arithmetic. `powerW` is the power after `scale`.
 */
export function implausible(powerW: number, s: MeterSample): string | null {
  if (!(Math.abs(powerW) <= MAX_POWER_W)) return 'power beyond ±10 MW';
  for (const a of [s.current_l1, s.current_l2, s.current_l3])
    if (typeof a === 'number' && !(Math.abs(a) <= MAX_CURRENT_A)) return 'a current beyond ±10 kA';
  return null;
}
