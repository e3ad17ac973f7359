import type { Logger } from 'pino';
import type { InfluxConfig } from '../config/types.js';
import type { EventBus } from '../core/bus.js';
import { backoff, type Clock, type TimerHandle } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import type { SessionRecord } from '../sessions/types.js';
import { HttpClient } from '../transport/http.js';

const FLUSH_MS = 5_000;
const BATCH_LINES = 500;
const MAX_BUFFER = 20_000;

/** Escapes a tag key/value or a measurement name for InfluxDB line protocol. */
export function escapeTag(v: string): string {
  return v.replace(/[,= \\]/g, (c) => `\\${c}`);
}

/** One line of line protocol for a device state at `atMs`, or null when it has no field. */
export function toLine(
  d: Pick<DeviceView, 'id' | 'kind'>,
  state: Readonly<Record<string, unknown>>,
  atMs: number,
): string | null {
  const tags = [`${d.kind}=${escapeTag(d.id)}`];
  if (typeof state.mode === 'string') tags.push(`mode=${escapeTag(state.mode)}`);
  const plan = (state.plan as { state?: unknown } | undefined)?.state ?? state.plan_state;
  if (typeof plan === 'string') tags.push(`plan_state=${escapeTag(plan)}`);
  const fields: string[] = [];
  for (const [k, v] of Object.entries(state)) {
    if (k === 'mode' || k === 'last_seen') continue;
    if (typeof v === 'number' && Number.isFinite(v)) fields.push(`${escapeTag(k)}=${v}`);
    else if (typeof v === 'boolean') fields.push(`${escapeTag(k)}=${v}`);
    else if (k === 'status' && typeof v === 'string')
      fields.push(`status="${v.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  }
  if (fields.length === 0) return null;
  return `evse2mqtt_${d.kind},${tags.join(',')} ${fields.join(',')} ${Math.round(atMs)}`;
}

/** The point of an ended session: `evse2mqtt_session,charger=<id> energy=…,solar_energy=…,cost=…,duration=…` at its end, ms. */
export function sessionLine(s: Readonly<SessionRecord>): string {
  const fields: string[] = [];
  for (const k of [
    'energy',
    'discharged_energy',
    'solar_energy',
    'cost',
    'duration',
    'charging_time',
    'max_power',
  ] as const) {
    const v = s[k];
    if (typeof v === 'number' && Number.isFinite(v)) fields.push(`${k}=${v}`);
  }
  const at = Date.parse(s.end ?? s.start);
  return `evse2mqtt_session,charger=${escapeTag(s.charger)} ${fields.join(',')} ${at}`;
}

/**
 * InfluxDB 2 output: charger, meter and site states as line protocol on `/api/v2/write`, tagged
 * with the device id, mode and plan state, batched every 5 s (or 500 lines), retried with
 * back-off. It never blocks control: writes run on their own, and a full buffer drops the oldest.
 */
export class InfluxOutput {
  private readonly http: HttpClient;
  private buffer: string[] = [];
  private timer?: TimerHandle;
  private failures = 0;
  private flushing = false;
  private dropped = 0;

  constructor(
    private readonly cfg: InfluxConfig,
    private readonly deps: { bus: EventBus; clock: Clock; log: Logger; devices: () => readonly DeviceView[] },
  ) {
    this.http = new HttpClient({
      baseUrl: cfg.url,
      token: cfg.token,
      tokenScheme: 'Token',
      timeoutMs: 5_000,
      clock: deps.clock,
      log: deps.log,
    });
  }

  start(): void {
    this.deps.bus.on(this, 'device.state', ({ id, state }) => {
      const d = this.deps.devices().find((x) => x.id === id);
      if (!d) return;
      const planState = d.plan?.state;
      const line = toLine(
        d,
        typeof planState === 'string' ? { ...state, plan_state: planState } : state,
        this.deps.clock.now(),
      );
      if (line) this.push(line);
    });
    this.deps.bus.on(this, 'device.session', ({ session }) => {
      // one point per ended session, at its end time (docs/sessions.md)
      if (session?.state === 'ended') this.push(sessionLine(session));
    });
    this.schedule(FLUSH_MS);
  }

  private push(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length > MAX_BUFFER) {
      this.dropped += this.buffer.length - MAX_BUFFER;
      this.buffer.splice(0, this.buffer.length - MAX_BUFFER);
    }
    if (this.buffer.length >= BATCH_LINES) void this.flush();
  }

  /** Stops the timer and tries one last write. */
  async stop(): Promise<void> {
    this.deps.bus.off(this);
    this.deps.clock.clearTimeout(this.timer);
    await this.flush();
  }

  private schedule(ms: number): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      void this.flush().finally(() =>
        this.schedule(this.failures > 0 ? backoff(FLUSH_MS, this.failures, 60_000) : FLUSH_MS),
      );
    }, ms);
  }

  /** Writes what is buffered; on failure the lines stay for the next try. */
  async flush(): Promise<void> {
    if (this.flushing || this.buffer.length === 0) return;
    this.flushing = true;
    const batch = this.buffer.slice(0, BATCH_LINES * 4);
    const path = `/api/v2/write?org=${encodeURIComponent(this.cfg.org)}&bucket=${encodeURIComponent(this.cfg.bucket)}&precision=ms`;
    try {
      const r = await this.http.request('POST', path, batch.join('\n'), 'text/plain; charset=utf-8');
      if (r.status < 200 || r.status >= 300)
        throw new Error(`HTTP ${r.status}${r.text ? `: ${r.text.slice(0, 120)}` : ''}`);
      this.buffer.splice(0, batch.length);
      if (this.failures > 0) this.deps.log.info({ lines: batch.length }, 'InfluxDB writes work again');
      this.failures = 0;
      if (this.dropped > 0) {
        this.deps.log.warn(
          { dropped: this.dropped },
          `InfluxDB buffer was full: ${this.dropped} oldest lines dropped`,
        );
        this.dropped = 0;
      }
    } catch (e) {
      this.failures += 1;
      const msg = (e as Error).message;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.deps.log.warn(
          { err: msg, buffered: this.buffer.length },
          `InfluxDB write failed (${msg}); retrying with back-off`,
        );
      }
    } finally {
      this.flushing = false;
    }
  }
}
