import { ioInFlight } from '../../src/core/activity.js';
import type { Clock, TimerHandle } from '../../src/core/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Lets I/O started by a timer finish before fake time moves on: at least `ms`, then while device
 * requests are in flight (at most `maxMs`, so a hung device does not hang the test).
 */
export async function settle(ms = 15, maxMs = 400): Promise<void> {
  await pause(ms);
  for (let waited = ms; ioInFlight() > 0 && waited < maxMs; waited += 5) await pause(5);
  // the replies' consequences (MQTT publishes) get a moment too
  await pause(2);
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
