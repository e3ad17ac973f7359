/**
 * Fail-safe entry and recovery of one input (docs/engine.md, fail-safes). Pure; times ms.
 *
 * Recovery counts readings, not control cycles: it takes two live readings in a row that each
 * arrived fresh (within `max_age`), both after the last cycle that found the input unusable. A
 * meter that reports less often than `site.interval` (a Shelly over MQTT every 30 s, cycles every
 * 10 s) therefore recovers too: the cycles between its readings do not reset the count.
 */
import type { FailsafeReason } from '../core/model.js';
import type { FreshnessMemory } from './types.js';

/** Live readings in a row, each arrived fresh, that end a fail-safe. */
export const FRESH_READINGS_TO_RECOVER = 2;

/** A fresh, inactive fail-safe state. */
export function initialFreshness(): FreshnessMemory {
  return { active: false, reason: null, unusableAt: null };
}

/**
 * Advances one input's fail-safe by a cycle at `now`. `stale` is the reason the input is stale or
 * missing (null when usable); `pairAt` is when the earlier of the input's last two live readings
 * arrived, provided both arrived fresh one after the other (null otherwise). Enters at once when
 * stale; leaves on the first usable cycle at which that pair arrived after the last unusable cycle.
 */
export function trackFreshness(
  prev: FreshnessMemory,
  stale: FailsafeReason | null,
  now: number,
  pairAt: number | null,
): FreshnessMemory {
  if (stale !== null) return { active: true, reason: stale, unusableAt: now };
  if (!prev.active) return prev;
  if (pairAt !== null && (prev.unusableAt === null || pairAt > prev.unusableAt)) return initialFreshness();
  return prev;
}
