/** Fail-safe entry and recovery of one input (docs/engine.md#fail-safes). Pure. */
import type { FailsafeReason } from '../core/model.js';
import type { FreshnessMemory } from './types.js';

/** Cycles in a row, each with a reading newer than the previous cycle's, that end a fail-safe. */
export const FRESH_CYCLES_TO_RECOVER = 2;

/** A fresh, inactive fail-safe state. */
export function initialFreshness(): FreshnessMemory {
  return { active: false, reason: null, freshCycles: 0, lastReadingAt: null };
}

/**
 * Advances one input's fail-safe by a cycle. `stale` is the reason the input is stale or missing
 * (null when usable), `readingAt` the time of the reading this cycle saw, ms. Enters at once when
 * stale; leaves on the cycle that completes 2 cycles in a row that each saw a reading newer than
 * the previous cycle's (a cycle without a newer reading restarts the count).
 */
export function trackFreshness(
  prev: FreshnessMemory,
  stale: FailsafeReason | null,
  readingAt: number | null,
): FreshnessMemory {
  if (stale !== null || readingAt === null) {
    return { active: true, reason: stale ?? prev.reason ?? null, freshCycles: 0, lastReadingAt: readingAt };
  }
  if (!prev.active) return { ...prev, lastReadingAt: readingAt };
  const newer = prev.lastReadingAt === null || readingAt > prev.lastReadingAt;
  const freshCycles = newer ? prev.freshCycles + 1 : 0;
  if (freshCycles >= FRESH_CYCLES_TO_RECOVER) return initialFreshnessAt(readingAt);
  return { active: true, reason: prev.reason, freshCycles, lastReadingAt: readingAt };
}

function initialFreshnessAt(readingAt: number): FreshnessMemory {
  return { ...initialFreshness(), lastReadingAt: readingAt };
}
