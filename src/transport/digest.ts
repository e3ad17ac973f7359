import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { type Endpoint, endpointOf, exchange, type HttpReply } from './http.js';

/** Hash algorithms of RFC 7616 we speak (no `-sess` variants, no userhash). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** One `WWW-Authenticate: Digest …` challenge. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** True when the server offers qop=auth; false for the RFC 2069 form without qop. */
  qopAuth: boolean;
  opaque?: string;
}

/** Inputs of one digest response besides the challenge. */
export interface DigestInput {
  user: string;
  password: string;
  method: string;
  /** Request target as sent, path plus query. */
  uri: string;
  /** Nonce count, 1 for the first use of a nonce. */
  nc: number;
  cnonce: string;
}

/**
 * Parses a WWW-Authenticate header value; returns the best Digest challenge (SHA-256 over MD5)
 * or null when there is none we can answer.
 */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | null {
  if (!header) return null;
  let best: DigestChallenge | null = null;
  for (const part of header.split(/,?\s*(?=\b(?:Digest|Basic|Bearer)\s)/i)) {
    const m = /^Digest\s+(.*)$/is.exec(part.trim());
    if (!m?.[1]) continue;
    const p: Record<string, string> = {};
    for (const kv of m[1].matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
      const key = kv[1]?.toLowerCase();
      if (key) p[key] = kv[2] !== undefined ? kv[2].replace(/\\(.)/g, '$1') : (kv[3] ?? '');
    }
    const alg = (p.algorithm ?? 'MD5').toUpperCase();
    if ((alg !== 'MD5' && alg !== 'SHA-256') || p.realm === undefined || !p.nonce) continue;
    const qops = p.qop?.split(',').map((q) => q.trim().toLowerCase());
    if (qops && !qops.includes('auth')) continue;
    const ch: DigestChallenge = {
      realm: p.realm,
      nonce: p.nonce,
      algorithm: alg,
      qopAuth: qops !== undefined,
    };
    if (p.opaque !== undefined) ch.opaque = p.opaque;
    if (!best || (best.algorithm === 'MD5' && alg === 'SHA-256')) best = ch;
  }
  return best;
}

/** The `response` value of RFC 7616 §3.4.1 (hex) for `ch` and `input`. */
export function digestResponse(ch: DigestChallenge, input: DigestInput): string {
  const h = (s: string) =>
    createHash(ch.algorithm === 'SHA-256' ? 'sha256' : 'md5')
      .update(s)
      .digest('hex');
  const ha1 = h(`${input.user}:${ch.realm}:${input.password}`);
  const ha2 = h(`${input.method}:${input.uri}`);
  if (!ch.qopAuth) return h(`${ha1}:${ch.nonce}:${ha2}`);
  return h(`${ha1}:${ch.nonce}:${ncHex(input.nc)}:${input.cnonce}:auth:${ha2}`);
}

/** The full `Authorization: Digest …` header value answering `ch`. */
export function digestAuthorization(ch: DigestChallenge, input: DigestInput): string {
  const parts = [
    `username="${quote(input.user)}"`,
    `realm="${quote(ch.realm)}"`,
    `nonce="${quote(ch.nonce)}"`,
    `uri="${quote(input.uri)}"`,
    `algorithm=${ch.algorithm}`,
    `response="${digestResponse(ch, input)}"`,
  ];
  if (ch.qopAuth) parts.push('qop=auth', `nc=${ncHex(input.nc)}`, `cnonce="${quote(input.cnonce)}"`);
  if (ch.opaque !== undefined) parts.push(`opaque="${quote(ch.opaque)}"`);
  return `Digest ${parts.join(', ')}`;
}

const ncHex = (nc: number) => nc.toString(16).padStart(8, '0');
const quote = (s: string) => s.replace(/(["\\])/g, '\\$1');

/** Options of a DigestHttpClient. */
export interface DigestClientOptions {
  /** e.g. http://192.168.1.60:80 */
  baseUrl: string;
  user?: string;
  /** Digest is answered only when a password is set. */
  password?: string;
  /** Per-request timeout, ms, measured on `clock`. */
  timeoutMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * GET client with HTTP Digest auth (RFC 7616, qop=auth): answers a 401 challenge and retries once,
 * then reuses the nonce (nc + 1) until the server challenges again. Replies of any status resolve.
 */
export class DigestHttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  private challenge: DigestChallenge | null = null;
  private nc = 0;

  /** The path is the digest `uri` too, so it is sent as given, without the base URL's path. */
  private readonly endpoint: Endpoint;

  constructor(private readonly opts: DigestClientOptions) {
    this.endpoint = { ...endpointOf(opts.baseUrl), prefix: '' };
  }

  /** GET `path`; rejects only on network errors and timeouts (HttpError). */
  async get(path: string): Promise<HttpReply> {
    const canAuth = this.opts.password !== undefined && this.opts.password !== '';
    let r = await this.send(path, canAuth ? this.authorization(path) : undefined);
    if (r.status === 401 && canAuth) {
      const ch = parseDigestChallenge(r.wwwAuthenticate);
      if (ch) {
        this.challenge = ch;
        this.nc = 0;
        r = await this.send(path, this.authorization(path));
      }
    }
    return { status: r.status, text: r.text, json: r.json };
  }

  /** Frees the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private authorization(path: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nc += 1;
    return digestAuthorization(this.challenge, {
      user: this.opts.user ?? 'admin',
      password: this.opts.password ?? '',
      method: 'GET',
      uri: path,
      nc: this.nc,
      cnonce: randomBytes(8).toString('hex'),
    });
  }

  private async send(
    path: string,
    authorization?: string,
  ): Promise<HttpReply & { wwwAuthenticate?: string }> {
    const res = await exchange(this.opts, 'GET', path, this.endpoint, {
      agent: this.agent,
      headers: authorization ? { Authorization: authorization } : {},
    });
    const www = res.headers['www-authenticate'];
    return { status: res.status, text: res.text, json: res.json, ...(www ? { wwwAuthenticate: www } : {}) };
  }
}
