import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type HostileReply, sendHostile } from './hostile.js';

/** One request a simulator received, for tests that assert what reached the device. */
export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  /** Raw body text. */
  body: string;
  /** Parsed JSON body, when it parsed. */
  json?: unknown;
  /** Authorization header as sent. */
  authorization?: string;
  /** Date.now() at receipt. */
  at: number;
}

/** A reply a handler returns. */
export interface SimReply {
  status: number;
  body?: unknown;
  /** Raw text body (wins over `body`). */
  text?: string;
  headers?: Record<string, string>;
}

/**
 * Base of the HTTP device simulators: a real node:http server on a loopback port, a record of the
 * requests, stop/start to simulate an outage (keeping the port), and a "hang" switch that accepts
 * connections but never answers. Emits `request` with each RecordedRequest.
 */
export abstract class HttpSimulator extends EventEmitter {
  readonly requests: RecordedRequest[] = [];
  /** When true, requests are accepted and never answered (a hung device). */
  hang = false;
  /** When set, every request gets this hostile answer (a device that sends gigabytes). */
  hostile?: HostileReply;
  protected server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  private physicsTimer?: NodeJS.Timeout;

  constructor(
    private readonly wantedPort = 0,
    readonly host = '127.0.0.1',
  ) {
    super();
  }

  /** Port the simulator listens on (after start). */
  get port(): number {
    return this.boundPort;
  }

  /** Starts listening (again, on the same port after a stop). Resolves with the port. */
  async start(): Promise<number> {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort || this.wantedPort, this.host, () => resolve());
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    return this.boundPort;
  }

  /** Stops listening and drops every connection (the device went away). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.detach();
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Advances the simulated device by `ms` (energy counters, limits that expire…); nothing by default. */
  tick(_ms: number): void {}

  /** Runs tick() on a real interval (the demo). */
  startPhysics(intervalMs = 1000): void {
    this.stopPhysics();
    this.physicsTimer = setInterval(() => this.tick(intervalMs), intervalMs);
    this.physicsTimer.unref();
  }

  /** Stops the interval of startPhysics(). */
  stopPhysics(): void {
    if (this.physicsTimer) clearInterval(this.physicsTimer);
    this.physicsTimer = undefined;
  }

  /** Requests matching `method` and a path prefix. */
  requestsTo(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  /** Hook for subclasses that add a WebSocket server on the same HTTP server. */
  protected attach(_server: http.Server): void {}
  /** Hook to close WebSocket clients on stop. */
  protected detach(): void {}

  /** Handles one request; `json` is the parsed body or undefined. */
  protected abstract handle(
    req: RecordedRequest,
    json: unknown,
    raw: IncomingMessage,
  ): SimReply | Promise<SimReply>;

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body.length > 0 ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        body,
        ...(json !== undefined ? { json } : {}),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        at: Date.now(),
      };
      this.requests.push(rec);
      if (this.requests.length > 5000) this.requests.splice(0, 1000);
      this.emit('request', rec);
      if (this.hang) return;
      if (this.hostile) {
        sendHostile(res, this.hostile);
        return;
      }
      Promise.resolve()
        .then(() => this.handle(rec, json, req))
        .then(
          (reply) => send(res, reply),
          (e: Error) => send(res, { status: 500, body: { msg: `simulator error: ${e.message}` } }),
        );
    });
  }
}

function send(res: ServerResponse, reply: SimReply): void {
  if (res.destroyed) return;
  const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.text === undefined && reply.body !== undefined && !headers['Content-Type']) {
    headers['Content-Type'] = 'application/json';
  }
  res.writeHead(reply.status, headers);
  res.end(text);
}

/** Checks HTTP basic auth; true when no user is configured or the header matches. */
export function basicAuthOk(header: string | undefined, user?: string, password?: string): boolean {
  if (!user) return true;
  if (!header?.startsWith('Basic ')) return false;
  const [u, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return u === user && rest.join(':') === (password ?? '');
}

/** A request body that is a JSON object, else undefined (arrays and scalars are not). */
export function asJsonObject(json: unknown): Record<string, unknown> | undefined {
  return typeof json === 'object' && json !== null && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : undefined;
}
