import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { trackIo } from '../core/activity.js';
import type { Clock } from '../core/clock.js';

/** HTTP methods the drivers use. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Options of a device HTTP client. */
export interface HttpOptions {
  /** e.g. http://192.168.1.50:80 (a path prefix is kept: http://host/prefix + /api → /prefix/api) */
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

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
};

/** What one raw exchange returns: status, body text and the response headers. */
export interface RawReply {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** Where a request goes: node:http(s) request options, worked out once per client, not per request. */
export interface Endpoint {
  https: boolean;
  hostname: string;
  port: number | undefined;
  /** userinfo of the URL (`user:password`), when it has one. */
  auth?: string;
  /** Path prefix of the base URL, without the trailing slash ('' for none). */
  prefix: string;
}

/** The endpoint of a base URL such as http://192.168.1.50:80 or http://host/prefix. */
export function endpointOf(baseUrl: string | URL): Endpoint {
  const u = typeof baseUrl === 'string' ? new URL(baseUrl) : baseUrl;
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    https: u.protocol === 'https:',
    hostname,
    port: u.port ? Number(u.port) : undefined,
    ...(u.username ? { auth: `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` } : {}),
    prefix: u.pathname.replace(/\/+$/, ''),
  };
}

/** Paths sent as given: RFC 3986 characters, no fragment, no dot segment (the rest goes through URL). */
const PLAIN_PATH = /^\/[A-Za-z0-9\-_~:/?[\]@!$&'()*+,;=%.]*$/;

/** The request target for `path` under `ep`, encoded as a browser would (spaces as %20 etc.). */
export function targetPath(ep: Endpoint, path: string): string {
  const p = `${ep.prefix}${path.startsWith('/') ? '' : '/'}${path}`;
  if (PLAIN_PATH.test(p) && !p.includes('/.')) return p;
  const u = new URL(p, 'http://x');
  return `${u.pathname}${u.search}`;
}

/**
 * The per-request timeout: when it expires, the request in flight is destroyed. Cheaper than an
 * AbortController per request (signal, listeners, end-of-stream hooks), which at 1000 chargers
 * was a tenth of what the bridge allocated and outlived young-generation collections.
 */
class Deadline {
  expired = false;
  private req?: http.ClientRequest;

  expire(): void {
    this.expired = true;
    this.req?.destroy(new Error('timed out'));
  }

  watch(req: http.ClientRequest): void {
    this.req = req;
    if (this.expired) req.destroy(new Error('timed out'));
  }
}

/** Options of one raw request. */
interface RawRequestOptions {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: string;
  agent?: http.Agent;
}

/** Methods a client may send again when the first attempt is lost (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * One request with node:http(s): no redirects followed, the body read as UTF-8 text, rejected on
 * network errors and when the deadline expires.
 *
 * A kept-alive connection that the device closes as idle just as the next request goes out resets
 * that request (likely when the device's idle timeout equals the poll interval, 5 s for both in
 * node's HTTP server). Such a request never reached the device, so an idempotent one is sent once
 * more on a new connection (RFC 9112 §9.3.1) instead of failing the poll.
 */
async function rawRequest(ep: Endpoint, opts: RawRequestOptions, deadline: Deadline): Promise<RawReply> {
  try {
    return await rawOnce(ep, opts, deadline);
  } catch (e) {
    if (!(e as StaleSocketError).staleSocket || !IDEMPOTENT.has(opts.method) || deadline.expired) throw e;
    return rawOnce(ep, opts, deadline);
  }
}

type StaleSocketError = Error & { staleSocket?: boolean };

/** The largest device reply body read, bytes (device replies are kilobytes; README, "Hostile input"). */
export const MAX_REPLY_BYTES = 1024 * 1024;

/** A reply over MAX_REPLY_BYTES: reading stopped and the connection was dropped. */
function tooLarge(bytes: number | null): Error {
  const said = bytes === null ? 'more than 1 MiB' : `${bytes} bytes`;
  return new Error(`reply too large (${said}; the limit is 1 MiB): the device sent more than a status`);
}

function rawOnce(ep: Endpoint, opts: RawRequestOptions, deadline: Deadline): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const options: http.RequestOptions = {
      hostname: ep.hostname,
      port: ep.port,
      path: opts.path,
      method: opts.method,
      agent: opts.agent ?? agents[ep.https ? 'https:' : 'http:'],
      headers: opts.headers,
    };
    if (ep.auth !== undefined) options.auth = ep.auth;
    const req = (ep.https ? https : http).request(options, (res) => {
      // a hostile or broken device may answer with gigabytes: refuse what is announced as too
      // large, count what arrives, and drop the connection at the limit (its body is unread)
      const declared = res.headers['content-length'];
      if (declared !== undefined && Number(declared) > MAX_REPLY_BYTES) {
        reject(tooLarge(Number(declared)));
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REPLY_BYTES) {
          reject(tooLarge(null));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            text:
              chunks.length === 1
                ? (chunks[0] as Buffer).toString('utf8')
                : Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          });
        } catch (e) {
          reject(e); // a decode never throws out of the listener
        }
      });
    });
    req.on('error', (e: StaleSocketError & { code?: string }) => {
      if (req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) e.staleSocket = true;
      reject(e);
    });
    deadline.watch(req);
    req.end(opts.body);
  });
}

/** What every exchange needs besides the request: the timeout on the bridge clock and the log. */
export interface ExchangeContext {
  clock: Clock;
  /** Per-request timeout, ms, measured on `clock`. */
  timeoutMs: number;
  log: Logger;
}

/**
 * One request with the timeout on the bridge clock, a debug wire line and errors a user can act
 * on (HttpError naming method and path). Resolves with any HTTP status and the body parsed as
 * JSON when it is JSON. Shared by HttpClient and DigestHttpClient.
 */
export async function exchange(
  ctx: ExchangeContext,
  method: string,
  path: string,
  ep: Endpoint,
  init: { headers: http.OutgoingHttpHeaders; body?: string; agent?: http.Agent },
): Promise<RawReply & { json: unknown }> {
  const deadline = new Deadline();
  const timer = ctx.clock.setTimeout(() => deadline.expire(), ctx.timeoutMs);
  const started = Date.now();
  try {
    const res = await trackIo(rawRequest(ep, { method, path: targetPath(ep, path), ...init }, deadline));
    ctx.log.debug({ method, path, status: res.status, ms: Date.now() - started, body: init.body }, 'http');
    return { ...res, json: parseJsonBody(res.text) };
  } catch (e) {
    if (deadline.expired)
      throw new HttpError(`${method} ${path}: no answer within ${ctx.timeoutMs / 1000} s`);
    throw new HttpError(`${method} ${path}: ${networkReason(e)}`);
  } finally {
    ctx.clock.clearTimeout(timer);
  }
}

/** Parses a body as JSON; undefined when it is empty or not JSON. */
function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Small HTTP client shared by the drivers: timeout on the bridge clock, basic or bearer auth,
 * text bodies parsed by the caller's rules (some devices send JSON that is not JSON), debug wire log.
 *
 * It speaks node:http directly rather than through axios: at 1000 chargers axios allocated ~57 kB
 * per request (config merging, header objects), half of everything the bridge allocated, and the
 * garbage set its memory and GC pauses (BENCHMARKS.md).
 */
export class HttpClient {
  private readonly endpoint: Endpoint;
  private readonly auth?: string;

  constructor(private readonly opts: HttpOptions) {
    this.endpoint = endpointOf(opts.baseUrl);
    if (opts.token) this.auth = `${opts.tokenScheme ?? 'Bearer'} ${opts.token}`;
    else if (opts.user)
      this.auth = `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`;
  }

  /** Sends a request; resolves with any HTTP status, rejects on network errors and timeouts. */
  async request(method: Method, path: string, body?: unknown, contentType?: string): Promise<HttpReply> {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {};
    if (this.auth) headers.Authorization = this.auth;
    if (data !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(data);
    }
    const res = await exchange(this.opts, method, path, this.endpoint, { headers, body: data });
    return { status: res.status, text: res.text, json: res.json };
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
