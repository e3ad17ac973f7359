import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The Home Assistant Supervisor's address: its ingress proxy is trusted (docs/web-interface.md). */
export const SUPERVISOR_ADDRESS = '172.30.32.2';

/** The name of the session cookie. */
export const COOKIE = 'evse2mqtt_session';

/** The host name of a `Host` header or URL authority, without port and brackets, lower-cased. */
export function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']'));
  const colon = a.lastIndexOf(':');
  return colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a;
}

/** The client's address without the IPv4-mapped prefix. */
export function peerAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Whether the request came from Home Assistant's ingress proxy. */
export function fromSupervisor(req: IncomingMessage): boolean {
  return peerAddress(req) === SUPERVISOR_ADDRESS;
}

/**
 * Host check against DNS rebinding: `localhost`, an IP address, or the host of the public `url`;
 * any other name is refused.
 */
export function hostAllowed(host: string | undefined, publicUrl: string | undefined): boolean {
  if (!host) return false;
  const name = hostName(host);
  if (name === 'localhost' || isIP(name) !== 0) return true;
  if (publicUrl) {
    try {
      return new URL(publicUrl).hostname.toLowerCase().replace(/^\[|\]$/g, '') === name;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Origin check against cross-site WebSocket hijacking and login CSRF: the Origin's host:port equals
 * the Host header, or the Origin is the public `url`'s. A request without Origin is not from a
 * browser page (scripts, curl) and passes; browsers always send one on these requests.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  publicUrl: string | undefined,
): boolean {
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  if (host && o.host.toLowerCase() === host.trim().toLowerCase()) return true;
  if (publicUrl) {
    try {
      return new URL(publicUrl).origin === o.origin;
    } catch {
      return false;
    }
  }
  return false;
}

/** Constant-time comparison of a given token with the configured one. */
export function tokenMatches(given: string, expected: string): boolean {
  // hash both so the comparison takes the same time whatever the lengths
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The value of one cookie in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Sessions of logged-in pages: random ids, never the token; a log-out ends one. */
export class Sessions {
  private readonly ids = new Set<string>();

  /** A new session id (32 random bytes, hex). */
  create(): string {
    const id = randomBytes(32).toString('hex');
    this.ids.add(id);
    return id;
  }

  /** Whether `id` is a live session. */
  has(id: string | undefined): boolean {
    return id !== undefined && this.ids.has(id);
  }

  /** Ends a session. */
  end(id: string | undefined): void {
    if (id) this.ids.delete(id);
  }
}

/**
 * Throttles failed logins per client address: after 5 failures within a minute, every further
 * attempt is refused until the minute is over (whatever the token).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly limit = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds to wait before `addr` may try again, 0 when it may try now. */
  waitSeconds(addr: string): number {
    const recent = this.recent(addr);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  /** Counts one failed attempt of `addr`. */
  fail(addr: string): void {
    const recent = this.recent(addr);
    recent.push(this.now());
    this.failures.set(addr, recent);
  }

  /** A successful login clears the count. */
  succeed(addr: string): void {
    this.failures.delete(addr);
  }

  private recent(addr: string): number[] {
    const t = this.now() - this.windowMs;
    const list = (this.failures.get(addr) ?? []).filter((x) => x > t);
    if (list.length === 0) this.failures.delete(addr);
    return list;
  }
}
