import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { FrontendConfig } from '../config/types.js';
import { Hub, type HubDeps } from './hub.js';
import {
  COOKIE,
  cookieValue,
  fromSupervisor,
  hostAllowed,
  LoginThrottle,
  originAllowed,
  peerAddress,
  Sessions,
  tokenMatches,
} from './security.js';
import { defaultPageRoot, StaticFiles } from './static-files.js';

/** Headers on every answer (docs/web-interface.md, "Security"). */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** How the web page server is built. */
export interface FrontendOptions extends Omit<HubDeps, 'readOnly' | 'log'> {
  cfg: FrontendConfig;
  log: Logger;
  /** The built page's folder (default `dist/web`). */
  root?: string;
  /** Demo: take a free port when the configured one is in use. */
  portFallback?: boolean;
}

/**
 * The built-in web page: static files and the `api` WebSocket under `base_url`, with the Host,
 * Origin and token checks of docs/web-interface.md on every request and upgrade.
 */
export class FrontendServer {
  readonly hub: Hub;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  private readonly files: StaticFiles;
  private readonly sessions = new Sessions();
  private readonly throttle: LoginThrottle;
  private readonly cfg: FrontendConfig;
  private readonly log: Logger;
  private bound?: AddressInfo;

  constructor(private readonly opts: FrontendOptions) {
    this.cfg = opts.cfg;
    this.log = opts.log;
    this.files = new StaticFiles(opts.root ?? defaultPageRoot());
    this.throttle = new LoginThrottle(() => opts.clock.now());
    this.hub = new Hub({ ...opts, readOnly: opts.cfg.read_only });
    this.http = createServer((req, res) => this.onRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** The port it listens on (after start). */
  get port(): number {
    return this.bound?.port ?? 0;
  }

  /** The page's URL on this machine, e.g. `http://127.0.0.1:8090/`. */
  get localUrl(): string {
    const h = this.cfg.host === '0.0.0.0' || this.cfg.host === '::' ? '127.0.0.1' : this.cfg.host;
    return `http://${h.includes(':') ? `[${h}]` : h}:${this.port}${this.cfg.base_url}`;
  }

  /** Listens; with `portFallback` a busy port is replaced by a free one. */
  async start(): Promise<void> {
    if (!this.files.present)
      this.log.warn(
        { root: this.files.root },
        'the web page is not built (npm run build); only its socket is served',
      );
    try {
      await this.listen(this.cfg.port);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.opts.portFallback) throw e;
      this.log.info({ port: this.cfg.port }, 'web page port in use; taking a free one');
      await this.listen(0);
    }
    this.hub.start();
    this.log.info({ url: this.localUrl }, `web page on ${this.localUrl}`);
  }

  /** Says offline to the pages, closes them and the server. */
  async stop(): Promise<void> {
    this.hub.stop();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.http.once('error', onError);
      this.http.listen(port, this.cfg.host, () => {
        this.http.off('error', onError);
        this.bound = this.http.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** Null when the request may go on, else the status and reason to refuse it with. */
  private refusal(req: IncomingMessage, checkOrigin: boolean): [number, string] | null {
    if (fromSupervisor(req)) return null;
    if (!hostAllowed(req.headers.host, this.cfg.url)) return [403, 'host not allowed'];
    if (checkOrigin && !originAllowed(req.headers.origin, req.headers.host, this.cfg.url))
      return [403, 'origin not allowed'];
    return null;
  }

  /** Logged in: no token configured, the Supervisor, a live session cookie, or `?token=` (throttled). */
  private authorised(req: IncomingMessage, url: URL): boolean {
    const token = this.cfg.auth_token;
    if (!token || fromSupervisor(req)) return true;
    if (this.sessions.has(cookieValue(req.headers.cookie, COOKIE))) return true;
    const given = url.searchParams.get('token');
    return given !== null && this.checkToken(req, given) === 'ok';
  }

  private checkToken(req: IncomingMessage, given: string): 'ok' | 'wrong' | 'throttled' {
    const addr = peerAddress(req);
    if (this.throttle.waitSeconds(addr) > 0) return 'throttled';
    if (tokenMatches(given, this.cfg.auth_token ?? '')) {
      this.throttle.succeed(addr);
      return 'ok';
    }
    this.throttle.fail(addr);
    this.log.warn({ address: addr }, 'web page: a wrong token was given');
    return 'wrong';
  }

  /** Answers one HTTP request; true once answered (always). */
  private onRequest(req: IncomingMessage, res: ServerResponse): boolean {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const method = req.method ?? 'GET';
    const isPost = method === 'POST';
    const refused = this.refusal(req, isPost);
    if (refused) return plain(res, ...refused);
    let url: URL;
    let rel: string;
    try {
      url = new URL(req.url ?? '/', 'http://x');
      rel = decodeURIComponent(url.pathname.slice(this.cfg.base_url.length));
    } catch {
      return plain(res, 400, 'bad request');
    }
    const base = this.cfg.base_url;
    if (`${url.pathname}/` === base) {
      // /evse → /evse/, so the page's relative URLs resolve under the prefix
      res.setHeader('Location', base);
      res.writeHead(308);
      res.end();
      return true;
    }
    if (!url.pathname.startsWith(base)) return plain(res, 404, 'not found');
    if (isPost && rel === 'login') {
      void this.login(req, res);
      return true;
    }
    if (isPost && rel === 'logout') {
      this.sessions.end(cookieValue(req.headers.cookie, COOKIE));
      res.setHeader('Set-Cookie', this.cookie('', 0));
      return plain(res, 200, 'logged out');
    }
    if (method !== 'GET' && method !== 'HEAD') return plain(res, 405, 'method not allowed');
    if (rel === 'auth') {
      // "open": no token needed here; "session": logged in (the page offers a log-out)
      if (!this.authorised(req, url)) return plain(res, 401, 'login needed');
      return plain(res, 200, this.cfg.auth_token && !fromSupervisor(req) ? 'session' : 'open');
    }
    if (rel === '' && url.searchParams.has('token') && this.cfg.auth_token) {
      // a bookmarked ?token= logs in like the form, and leaves the address at once
      const given = url.searchParams.get('token') ?? '';
      if (this.checkToken(req, given) === 'ok')
        res.setHeader('Set-Cookie', this.cookie(this.sessions.create()));
      res.setHeader('Location', './');
      res.setHeader('Cache-Control', 'no-store');
      res.writeHead(303);
      res.end();
      return true;
    }
    if (rel.includes('..') || rel.startsWith('/')) return plain(res, 404, 'not found');
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    return this.files.serve(rel, res, gzip, method === 'HEAD') || plain(res, 404, 'not found');
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const body = await readBody(req, 4096).catch(() => null);
    if (body === null) return plain(res, 413, 'too large');
    if (!this.cfg.auth_token) return plain(res, 200, 'no token needed');
    const given = new URLSearchParams(body).get('token') ?? '';
    const verdict = this.checkToken(req, given);
    if (verdict === 'throttled') {
      const s = this.throttle.waitSeconds(peerAddress(req));
      res.setHeader('Retry-After', String(s));
      return plain(res, 429, `too many failed logins; try again in ${s} s`);
    }
    if (verdict === 'wrong') return plain(res, 401, 'wrong token');
    res.setHeader('Set-Cookie', this.cookie(this.sessions.create()));
    return plain(res, 200, 'logged in');
  }

  private cookie(value: string, maxAge?: number): string {
    const age = maxAge === undefined ? '' : `; Max-Age=${maxAge}`;
    return `${COOKIE}=${value}; Path=${this.cfg.base_url}; HttpOnly; SameSite=Strict${age}`;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // a client that drops the connection mid-upgrade must not take the process down
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      socket.destroy();
      return false;
    }
    const deny = (status: number, reason: string): boolean => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return false;
    };
    if (url.pathname !== `${this.cfg.base_url}api`) return deny(404, 'Not Found');
    const refused = this.refusal(req, true);
    if (refused) {
      this.log.warn(
        { origin: req.headers.origin, host: req.headers.host },
        `web socket refused: ${refused[1]}`,
      );
      return deny(refused[0], 'Forbidden');
    }
    if (!this.authorised(req, url)) return deny(401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.hub.add(ws));
    return true;
  }
}

/** A short text answer; returns true (answered). */
function plain(res: ServerResponse, status: number, text: string): boolean {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.writeHead(status);
  res.end(text);
  return true;
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Error('too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
