import http from 'node:http';
import axios, { type AxiosInstance, type Method } from 'axios';
import type { Logger } from 'pino';
import { trackIo } from '../core/activity.js';
import type { Clock } from '../core/clock.js';

/** Options of a device HTTP client. */
export interface HttpOptions {
  /** e.g. http://192.168.1.50:80 */
  baseUrl: string;
  user?: string;
  password?: string;
  /** Bearer token (sent instead of basic auth when set). */
  token?: string;
  /** Scheme for `token`: `Bearer` (default) or `Token` (InfluxDB 2). */
  tokenScheme?: 'Bearer' | 'Token';
  /** Per-request timeout, ms, measured on `clock`. */
  timeoutMs: number;
  clock: Clock;
  log: Logger;
}

/** A device reply. `json` is the parsed body when it parsed as JSON, else undefined. */
export interface HttpReply {
  status: number;
  text: string;
  json: unknown;
}

/** A failed request, with a message a user can act on. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/**
 * Small HTTP client shared by the drivers: timeout on the bridge clock, basic or bearer auth,
 * text bodies parsed by the caller's rules (some devices send JSON that is not JSON), debug wire log.
 */
export class HttpClient {
  private readonly ax: AxiosInstance;

  constructor(private readonly opts: HttpOptions) {
    this.ax = axios.create({
      baseURL: opts.baseUrl,
      httpAgent: agent,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 0,
      headers: opts.token ? { Authorization: `${opts.tokenScheme ?? 'Bearer'} ${opts.token}` } : {},
      auth: !opts.token && opts.user ? { username: opts.user, password: opts.password ?? '' } : undefined,
    });
  }

  /** Sends a request; resolves with any HTTP status, rejects on network errors and timeouts. */
  async request(method: Method, path: string, body?: unknown, contentType?: string): Promise<HttpReply> {
    const ctrl = new AbortController();
    const timer = this.opts.clock.setTimeout(() => ctrl.abort(), this.opts.timeoutMs);
    const started = Date.now();
    try {
      const res = await trackIo(
        this.ax.request<string>({
          method,
          url: path,
          data: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
          headers: body === undefined ? {} : { 'Content-Type': contentType ?? 'application/json' },
          signal: ctrl.signal,
        }),
      );
      const text = typeof res.data === 'string' ? res.data : '';
      let json: unknown;
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      this.opts.log.debug({ method, path, status: res.status, ms: Date.now() - started, body }, 'http');
      return { status: res.status, text, json };
    } catch (e) {
      if (ctrl.signal.aborted) {
        throw new HttpError(`${method} ${path}: no answer within ${this.opts.timeoutMs / 1000} s`);
      }
      throw new HttpError(`${method} ${path}: ${networkReason(e)}`);
    } finally {
      this.opts.clock.clearTimeout(timer);
    }
  }

  /** GET that must answer 2xx with a JSON object; anything else is an HttpError saying what came back. */
  async getObject(path: string): Promise<Record<string, unknown>> {
    const r = await this.request('GET', path);
    expectOk(r, 'GET', path);
    if (typeof r.json !== 'object' || r.json === null || Array.isArray(r.json)) {
      throw new HttpError(`GET ${path}: expected a JSON object, got ${preview(r.text)}`, r.status, r.text);
    }
    return r.json as Record<string, unknown>;
  }
}

/** Throws unless the reply is 2xx, naming the status and what to check for auth failures. */
export function expectOk(r: HttpReply, method: string, path: string): void {
  if (r.status >= 200 && r.status < 300) return;
  const hint = r.status === 401 || r.status === 403 ? ' (check user and password in the configuration)' : '';
  const msg =
    (r.json as { msg?: unknown; message?: unknown } | undefined)?.msg ??
    (r.json as { message?: unknown })?.message;
  const detail = typeof msg === 'string' ? `: ${msg}` : r.text ? `: ${preview(r.text)}` : '';
  throw new HttpError(`${method} ${path}: HTTP ${r.status}${detail}${hint}`, r.status, r.text);
}

/** First 80 characters of a body, for error messages. */
export function preview(text: string): string {
  if (text.length === 0) return 'an empty body';
  const t = text.replace(/\s+/g, ' ');
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t);
}

/** A user-fit reason for a socket error; `refusedHint` says what to check when the connection is refused. */
export function networkReason(e: unknown, refusedHint = 'is the device on and the host/port right?'): string {
  const code = (e as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused (${refusedHint})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable (check host in the configuration)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found (check host in the configuration)';
    case 'ECONNRESET':
      return 'connection reset by the device';
    default:
      return (e as Error | undefined)?.message || String(e);
  }
}
