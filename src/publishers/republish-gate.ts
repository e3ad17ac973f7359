import type { Clock, TimerHandle } from '../core/clock.js';

/** The window of `homeassistant/status` republishes, ms: at most one full republish per window. */
export const REPUBLISH_WINDOW_MS = 10_000;

/**
 * Debounces the full republish that `homeassistant/status: online` asks for (README, "Hostile
 * input"): six bytes must not buy thousands of messages. The first request runs at once; requests
 * while it runs are merged into it; a request after it but inside its window runs once when the
 * window ends (Home Assistant may really have restarted twice), however many arrive meanwhile.
 */
export class RepublishGate {
  private running = false;
  private startedAt = Number.NEGATIVE_INFINITY;
  private timer?: TimerHandle;

  constructor(
    private readonly clock: Clock,
    private readonly republish: () => Promise<void>,
    private readonly windowMs = REPUBLISH_WINDOW_MS,
  ) {}

  /** Asks for a republish; returns whether one starts now. */
  request(): boolean {
    if (this.running || this.timer) return false;
    const wait = this.startedAt + this.windowMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.run();
      }, wait);
      return false;
    }
    this.run();
    return true;
  }

  /** Cancels a deferred republish (bridge stopping). */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.running = true;
    this.startedAt = this.clock.now();
    void this.republish()
      .catch(() => {})
      .finally(() => {
        this.running = false;
      });
  }
}
