/** Time source of the bridge: real in production, manual in tests (test/helpers/manual-clock.ts). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds; returns a handle for clearTimeout. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer made by setTimeout; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly __timer: true } | object;

/** The system clock, with unref'd timers so that a stopped bridge lets the process exit. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on `clock`; rejects with an AbortError when `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with `message` if `promise` has not settled within `ms` on `clock`. */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Doubling back-off: `base`, 2×`base`, 4×`base` … capped at `max` (all ms). `failures` counts from 1. */
export function backoff(base: number, failures: number, max: number): number {
  const n = Math.max(0, failures - 1);
  return Math.min(max, base * 2 ** Math.min(n, 20));
}
