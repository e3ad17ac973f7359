import type { Clock, TimerHandle } from '../../src/core/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Waits for pending I/O (loopback HTTP, MQTT) to settle after a timer fires. */
export function settle(ms = 15): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A fake clock for time-driven logic: timers fire only when a test advances time. Real I/O still
 * happens on real sockets; after each fired timer the clock waits a moment for it to settle.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = Date.parse('2026-06-01T10:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle && 'id' in handle) this.timers.delete((handle as { id: number }).id);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Advances by `ms`, firing due timers in order and letting I/O settle after each. */
  async advance(ms: number, settleMs = 15): Promise<void> {
    const end = this.t + ms;
    await settle(settleMs);
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id)))
          next = timer;
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle(settleMs);
    }
    this.t = end;
  }

  /** Advances in steps until `promise` settles (at most `maxMs` of fake time). */
  async runUntil<T>(promise: Promise<T>, stepMs = 500, maxMs = 120_000): Promise<T> {
    let done = false;
    const p = promise.finally(() => {
      done = true;
    });
    for (let spent = 0; !done && spent < maxMs; spent += stepMs) await this.advance(stepMs);
    return p;
  }
}
