import type { CommandResult, SetOptions } from './set-command.js';

/** The answer to a command merged into a newer one before it was written. */
export const SUPERSEDED = 'superseded by a newer command';

/** A person's `/set` as the queue hands it to the charger: the merged body and its options. */
export type SetRunner = (raw: Record<string, unknown>, opts: SetOptions) => Promise<CommandResult>;

interface Waiter {
  resolve(r: CommandResult): void;
  reject(e: unknown): void;
}

/** People's commands waiting, merged into one body (later keys win). */
interface PendingSet {
  raw: Record<string, unknown>;
  opts: SetOptions;
  /** Keys whose value came as raw text on `/set/<key>` (numeric text counts as a number). */
  rawKeys: Set<string>;
  merged: boolean;
  waiter: Waiter;
}

/** The engine's command waiting: the newest replaces an older one. */
interface PendingEngine {
  run: () => Promise<CommandResult>;
  waiter: Waiter;
}

const superseded: CommandResult = { status: 'error', error: SUPERSEDED };

/**
 * One charger's commands (README, "Hostile input"): one is written at a time; behind it wait at
 * most one person's command, into which later ones merge (later keys win, the merged-away ones are
 * answered `superseded by a newer command`), and at most one engine command, which a newer engine
 * command replaces. So a burst of 3000 `/set`s costs two device writes and the device sees the
 * last wish, not the history. Waiting commands run in the order they first queued.
 */
export class CommandQueue {
  private busy = false;
  private set: PendingSet | null = null;
  private engine: PendingEngine | null = null;
  /** When both wait: whether the person's command queued first. */
  private setFirst = true;

  constructor(private readonly runSet: SetRunner) {}

  /** Commands waiting behind the one being written (0 to 2). */
  get waiting(): number {
    return (this.set ? 1 : 0) + (this.engine ? 1 : 0);
  }

  /** A person's `/set`: written now, or merged into the one waiting. */
  person(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const prev = this.set;
      if (prev) {
        prev.waiter.resolve(superseded);
        prev.raw = { ...prev.raw, ...raw };
        for (const k of Object.keys(raw)) {
          if (opts.rawTopic) prev.rawKeys.add(k);
          else prev.rawKeys.delete(k);
        }
        prev.opts = opts;
        prev.merged = true;
        prev.waiter = waiter;
      } else {
        if (!this.engine) this.setFirst = true;
        const rawKeys = new Set(opts.rawTopic ? Object.keys(raw) : []);
        this.set = { raw, opts, rawKeys, merged: false, waiter };
      }
      this.pump();
    });
  }

  /** An engine command (`run` decides at run time what to write): written now, or replacing the one waiting. */
  control(run: () => Promise<CommandResult>): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const prev = this.engine;
      if (prev) prev.waiter.resolve(superseded);
      else if (!this.set) this.setFirst = false;
      this.engine = { run, waiter: { resolve, reject } };
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    const takeSet = this.set !== null && (this.setFirst || this.engine === null);
    let job: (() => Promise<CommandResult>) | undefined;
    let waiter: Waiter | undefined;
    if (takeSet) {
      const s = this.set!;
      this.set = null;
      const opts: SetOptions = s.merged ? { ...s.opts, rawTopic: false, rawKeys: s.rawKeys } : s.opts;
      job = () => this.runSet(s.raw, opts);
      waiter = s.waiter;
    } else if (this.engine) {
      const e = this.engine;
      this.engine = null;
      job = e.run;
      waiter = e.waiter;
    }
    if (!job || !waiter) return;
    // whichever waits now queued after the one starting
    this.setFirst = this.set !== null;
    this.busy = true;
    const w = waiter;
    let done: Promise<CommandResult>;
    try {
      done = job();
    } catch (e) {
      done = Promise.reject(e);
    }
    done.then(w.resolve, w.reject).finally(() => {
      this.busy = false;
      this.pump();
    });
  }
}
