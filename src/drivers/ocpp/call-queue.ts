import type { Clock, TimerHandle } from '../../core/clock.js';

/** Why a call to a charger failed: `offline` (no socket), `timeout` (no answer), `callerror` (CALLERROR). */
export class OcppCallError extends Error {
  constructor(
    message: string,
    readonly kind: 'offline' | 'timeout' | 'callerror',
  ) {
    super(message);
    this.name = 'OcppCallError';
  }
}

/** The part of an ocpp-rpc client the queue uses. */
export interface CallTarget {
  call(
    method: string,
    params: unknown,
    opts: { signal: AbortSignal; callTimeoutMs: number },
  ): Promise<unknown>;
}

interface Job {
  method: string;
  params: unknown;
  key?: string;
  /** Clock ms after which the job counts as unanswered. */
  deadline: number;
  /** Sent before the charger's BootNotification (only TriggerMessage(BootNotification) is). */
  beforeBoot: boolean;
  settle: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  timer?: TimerHandle;
}

/**
 * The calls to one charger: at most one outstanding (OCPP-J §4.1.1), nothing but the boot trigger
 * before the charger's BootNotification was answered, a queued call with the same `key` replaced
 * by a newer one (its callers get the newer one's answer), and every deadline on the bridge clock.
 */
export class CallQueue {
  private target?: CallTarget;
  private booted = false;
  private readonly jobs: Job[] = [];
  private running?: Job;

  constructor(private readonly clock: Clock) {}

  /** A socket is open; nothing but boot-time calls run until `bootAccepted`. */
  attach(target: CallTarget): void {
    this.target = target;
    this.booted = false;
  }

  /** The charger's BootNotification was answered: queued calls go out. */
  bootAccepted(): void {
    this.booted = true;
    this.pump();
  }

  /** The socket closed: every queued and outstanding call fails with `charger offline`. */
  detach(): void {
    this.target = undefined;
    this.booted = false;
    const all = [...this.jobs, ...(this.running ? [this.running] : [])];
    this.jobs.length = 0;
    for (const j of all) this.fail(j, new OcppCallError('charger offline', 'offline'));
  }

  /** The socket is open. */
  get connected(): boolean {
    return this.target !== undefined;
  }

  /** Calls `method`; rejects with an OcppCallError. `timeoutMs` counts from now (queueing included). */
  call(
    method: string,
    params: unknown,
    opts: { timeoutMs: number; key?: string; beforeBoot?: boolean },
  ): Promise<unknown> {
    if (!this.target) return Promise.reject(new OcppCallError('charger offline', 'offline'));
    return new Promise((resolve, reject) => {
      const deadline = this.clock.now() + opts.timeoutMs;
      const same = opts.key ? this.jobs.find((j) => j.key === opts.key) : undefined;
      if (same) {
        // a newer target replaces the queued one; both callers get the newer one's answer
        same.params = params;
        same.deadline = deadline;
        same.settle.push({ resolve, reject });
        this.arm(same);
        return;
      }
      const job: Job = {
        method,
        params,
        deadline,
        beforeBoot: opts.beforeBoot === true,
        settle: [{ resolve, reject }],
      };
      if (opts.key) job.key = opts.key;
      this.jobs.push(job);
      this.arm(job);
      this.pump();
    });
  }

  private arm(job: Job): void {
    this.clock.clearTimeout(job.timer);
    job.timer = this.clock.setTimeout(
      () => {
        const i = this.jobs.indexOf(job);
        if (i >= 0) this.jobs.splice(i, 1);
        this.fail(job, new OcppCallError('charger did not answer', 'timeout'));
      },
      Math.max(0, job.deadline - this.clock.now()),
    );
  }

  private pump(): void {
    if (this.running || !this.target) return;
    const i = this.jobs.findIndex((j) => this.booted || j.beforeBoot);
    if (i < 0) return;
    const job = this.jobs.splice(i, 1)[0]!;
    this.running = job;
    const target = this.target;
    const abort = new AbortController();
    const onTimeout = this.clock.setTimeout(
      () => abort.abort(),
      Math.max(0, job.deadline - this.clock.now()),
    );
    target
      .call(job.method, job.params, { signal: abort.signal, callTimeoutMs: 2_147_483_647 })
      .then(
        (result) => {
          this.clock.clearTimeout(job.timer);
          const settle = job.settle;
          job.settle = [];
          for (const s of settle) s.resolve(result);
        },
        (e: unknown) => this.fail(job, toCallError(e, abort.signal.aborted)),
      )
      .finally(() => {
        this.clock.clearTimeout(onTimeout);
        if (this.running === job) this.running = undefined;
        this.pump();
      });
  }

  private fail(job: Job, e: OcppCallError): void {
    this.clock.clearTimeout(job.timer);
    const settle = job.settle;
    job.settle = [];
    for (const s of settle) s.reject(e);
  }
}

function toCallError(e: unknown, aborted: boolean): OcppCallError {
  if (e instanceof OcppCallError) return e;
  if (aborted) return new OcppCallError('charger did not answer', 'timeout');
  const code = (e as { rpcErrorCode?: string }).rpcErrorCode;
  if (code) return new OcppCallError(`charger answered CALLERROR ${code}`, 'callerror');
  return new OcppCallError('charger offline', 'offline');
}
