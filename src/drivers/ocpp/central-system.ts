import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { SharedService } from '../types.js';
import type { ChargePoint, OcppSocket } from './charge-point.js';
import type { OcppSection } from './meta.js';
import { RPCServer } from './rpc.js';
import { OcppStore } from './store.js';

/** An unknown identity is named on bridge/logging at most this often, ms. */
const UNKNOWN_WARNING_MS = 3_600_000;

/** What the central system is built from. */
export interface CentralSystemDeps {
  section: OcppSection;
  dataDir: string;
  clock: Clock;
  log: Logger;
}

/**
 * The bridge's OCPP 1.6J central system (one per bridge, shared by its OCPP chargers): an
 * ocpp-rpc RPCServer on the bridge's own HTTP(S) server. Only configured identities get the
 * WebSocket upgrade (others 404, named once an hour on bridge/logging), with their password when
 * one is configured (else 401) and subprotocol `ocpp1.6`.
 */
export class CentralSystem implements SharedService {
  readonly store: OcppStore;
  /** Resolves with the port once listening; never rejects (a failure is logged). */
  readonly listening: Promise<number | null>;
  private readonly points = new Map<string, ChargePoint>();
  private readonly warned = new Map<string, number>();
  private readonly rpc: RPCServer;
  private readonly http: Server;
  private closed = false;

  constructor(private readonly deps: CentralSystemDeps) {
    this.store = new OcppStore(deps.dataDir, deps.log, deps.clock.now());
    // lenient inbound: strict schemas would drop a charger's slightly-off StopTransaction (README.md in this folder)
    this.rpc = new RPCServer({
      protocols: ['ocpp1.6'],
      strictMode: false,
      callConcurrency: 1,
      pingIntervalMs: 30_000,
    });
    this.rpc.auth((accept, reject, handshake) => {
      const id = handshake.identity;
      const cp = this.points.get(id);
      const path = deps.section.path || '/';
      if (!cp || handshake.endpoint !== path) {
        this.warnUnknown(id, handshake.endpoint);
        reject(404, 'Not found');
        return;
      }
      const want = cp.cfg.password;
      if (want && !samePassword(handshake.password, want)) {
        cp.log.warn(
          { remote: handshake.remoteAddress },
          'a connection with a wrong or no password was refused',
        );
        reject(401, 'Unauthorized');
        return;
      }
      if (!handshake.protocols.has('ocpp1.6')) {
        cp.log.warn(
          { protocols: [...handshake.protocols] },
          'a connection without subprotocol ocpp1.6 was refused',
        );
        reject(400, 'subprotocol ocpp1.6 required');
        return;
      }
      accept({ id }, 'ocpp1.6');
    });
    this.rpc.on(
      'client',
      (client: OcppSocket & { identity: string; handshake: { remoteAddress?: string } }) => {
        const cp = this.points.get(client.identity);
        if (!cp) {
          void client.close({ force: true });
          return;
        }
        cp.attach(client, client.handshake?.remoteAddress);
      },
    );
    const tls = deps.section.tls;
    this.http =
      tls.cert && tls.key
        ? createHttps({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) })
        : createHttp();
    this.http.on('upgrade', this.rpc.handleUpgrade);
    this.http.on('request', (_req, res) => {
      res
        .writeHead(426, { 'Content-Type': 'text/plain' })
        .end('OCPP 1.6J central system: connect with a WebSocket\n');
    });
    this.listening = this.listen();
  }

  /** The port it listens on once bound (the configured one may be 0: any free port). */
  private boundPort: number | null = null;

  /** The URL a charger types (its identity appended). */
  url(identity: string): string {
    const s = this.deps.section;
    const scheme = s.tls.cert ? 'wss' : 'ws';
    const host = s.host === '0.0.0.0' || s.host === '::' ? '<bridge-ip>' : s.host;
    return `${scheme}://${host}:${this.boundPort ?? s.port}${s.path}/${encodeURIComponent(identity)}`;
  }

  /** Adds a charge point; its charger may connect from now on. */
  register(cp: ChargePoint): void {
    this.points.set(cp.cfg.charge_point_id, cp);
  }

  /** Removes a charge point and closes its socket. */
  async unregister(cp: ChargePoint): Promise<void> {
    if (this.points.get(cp.cfg.charge_point_id) === cp) this.points.delete(cp.cfg.charge_point_id);
    await cp.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.points.values()].map((cp) => cp.close()));
    await this.rpc.close({ force: true }).catch(() => {});
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections?.();
  }

  private async listen(): Promise<number | null> {
    const { host, port } = this.deps.section;
    try {
      await new Promise<void>((resolve, reject) => {
        this.http.once('error', reject);
        this.http.listen(port, host, () => {
          this.http.off('error', reject);
          resolve();
        });
      });
      const bound = (this.http.address() as AddressInfo).port;
      this.boundPort = bound;
      this.deps.log.info(
        { host, port: bound },
        `OCPP central system listening; chargers connect to ${this.url('')}<charge_point_id>`,
      );
      return bound;
    } catch (e) {
      this.deps.log.error(
        { host, port, err: (e as Error).message },
        `OCPP central system cannot listen on ${host}:${port}: ${(e as Error).message}; set ocpp.port to a free port`,
      );
      return null;
    }
  }

  private warnUnknown(identity: string, endpoint: string): void {
    const now = this.deps.clock.now();
    const last = this.warned.get(identity);
    if (last !== undefined && now - last < UNKNOWN_WARNING_MS) return;
    this.warned.set(identity, now);
    this.deps.log.warn(
      { charge_point_id: identity, path: endpoint },
      `unknown OCPP charger refused: charge_point_id: ${identity}; to add it: chargers: [{id: <id>, type: ocpp, charge_point_id: ${identity}, max_current: <A>}]`,
    );
  }
}

/** Compares a basic-auth password in constant time. */
function samePassword(given: Buffer | undefined, want: string): boolean {
  if (!given) return false;
  const w = Buffer.from(want);
  return given.length === w.length && timingSafeEqual(given, w);
}
