/** Poll slots per interval: 100, i.e. one every 50 ms at a 5 s poll (see pollPhase). */
export const POLL_SLOTS = 100;

/**
 * Where charger `index` of `count` polls within the interval, as a fraction: the chargers are
 * spread over POLL_SLOTS slots, several per slot when there are more chargers than slots. Spread
 * so that commands and pushes never queue behind all the chargers' reads at once; grouped because
 * reads made together share the process's wake-ups (on the benchmark machine one poll every 5 ms
 * cost 3.5 times the CPU of the same polls in one burst; BENCHMARKS.md).
 */
export function pollPhase(index: number, count: number): number {
  if (count <= 1) return 0;
  return Math.floor((index / count) * POLL_SLOTS) / POLL_SLOTS;
}

/**
 * Time from `now` to the next poll slot (anchor + k × pollMs) at least half an interval away:
 * polls stay on their slots instead of drifting by the read time.
 */
export function untilNextSlot(now: number, anchor: number, pollMs: number): number {
  const k = Math.ceil((now + pollMs / 2 - anchor) / pollMs);
  return anchor + k * pollMs - now;
}
