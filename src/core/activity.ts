/**
 * Counts device I/O in flight (HTTP requests, Modbus transactions). Tests that drive time with a
 * fake clock wait for it to drop to zero before firing the next timer, so that fake time never
 * overtakes a real request that is merely slow (a loaded CI machine).
 */
let inFlight = 0;

/** Tracks `p` while it is pending. */
export function trackIo<T>(p: Promise<T>): Promise<T> {
  inFlight += 1;
  return p.finally(() => {
    inFlight -= 1;
  });
}

/** Device I/O operations pending now. */
export function ioInFlight(): number {
  return inFlight;
}
