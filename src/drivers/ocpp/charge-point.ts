import type { Logger } from 'pino';
import type { ChargerConfig } from '../../config/types.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { ChargerReading, DeviceInfo } from '../../core/model.js';
import type { PushListener } from '../types.js';
import { CallQueue, type CallTarget } from './call-queue.js';
import { type AcceptedTarget, Connector } from './connector.js';
import { registerHandlers } from './handlers.js';
import type { OcppOptions } from './meta.js';
import { runSetup } from './setup.js';
import type { OcppStore } from './store.js';

/** The part of an ocpp-rpc server client a charge point uses. */
export interface OcppSocket extends CallTarget {
  handle(method: string, fn: (req: { params: unknown }) => unknown): void;
  on(event: 'close', fn: () => void): void;
  on(event: 'message', fn: (e: { message: Buffer | string; outbound: boolean }) => void): void;
  close(opts?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  /** ocpp-rpc per-connection options (the ping interval). */
  reconfigure?(opts: { pingIntervalMs: number }): void;
}

/** What the charger said in its BootNotification. */
export interface BootInfo {
  vendor: string;
  model: string;
  firmware: string | null;
  serial: string | null;
}

/** s after a connection without BootNotification before the bridge asks for one (evcc `TriggerBootDelay`). */
export const BOOT_TRIGGER_DELAY_MS = 5_000;
/** s between later boot triggers while none comes. */
export const BOOT_TRIGGER_REPEAT_MS = 60_000;
/** A charger stays online this long after its socket closed (Wallbox reconnects every ~30 s: evcc-io/evcc#26060). */
export const OFFLINE_GRACE_MS = 30_000;

/** What a charge point is built from. */
export interface ChargePointDeps {
  cfg: ChargerConfig & OcppOptions;
  clock: Clock;
  log: Logger;
  store: OcppStore;
  /** s, returned in BootNotification. */
  heartbeatInterval: number;
}

/**
 * One OCPP charge point: its connection (a second one replaces the first), the boot handshake, the
 * set-up after each boot, its calls, and the reading its connector makes (README.md in this folder).
 */
export class ChargePoint {
  readonly queue: CallQueue;
  readonly connector: Connector;
  /** Connector 0's status (the whole station). */
  station?: string;
  /** Connector 0's error text while it is Faulted. */
  stationError: string | null = null;
  boot: BootInfo | null = null;
  /** Configuration keys from GetConfiguration. */
  config = new Map<string, string>();
  rateUnit: 'A' | 'W' = 'A';
  maxStackLevel = 0;
  /** The stack level of the last accepted profile, null before one. */
  stackLevel: number | null = null;
  /** The last target the charger answered Accepted to (re-applied after a boot). */
  accepted: AcceptedTarget | null = null;
  connectedSince: string | null = null;
  online = false;
  /** RemoteStartTransaction went out for the current plug-in. */
  remoteStartSent = false;
  private socket?: OcppSocket;
  private booted = false;
  private bootTimer?: TimerHandle;
  private offlineTimer?: TimerHandle;
  private listener?: PushListener;

  constructor(readonly deps: ChargePointDeps) {
    this.queue = new CallQueue(deps.clock);
    this.connector = new Connector(deps.cfg.connector);
  }

  get cfg(): ChargerConfig & OcppOptions {
    return this.deps.cfg;
  }

  get log(): Logger {
    return this.deps.log;
  }

  /** The socket is open now. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Receives readings and availability. */
  subscribe(listener: PushListener): void {
    this.listener = listener;
  }

  /** A charger connected with this identity (a second connection replaces the first). */
  attach(socket: OcppSocket, remote: string | undefined): void {
    const old = this.socket;
    this.socket = socket;
    if (old) {
      this.log.info('a new connection with the same identity replaces the old one');
      this.queue.detach();
      void old.close({ code: 1000, reason: 'replaced by a new connection' }).catch(() => {});
    }
    this.deps.clock.clearTimeout(this.offlineTimer);
    this.booted = false;
    this.connectedSince = new Date(this.deps.clock.now()).toISOString();
    this.queue.attach(socket);
    // a charger that never answers pings would be dropped every minute (EN+: lbbrhzn/ocpp#211)
    socket.reconfigure?.({ pingIntervalMs: this.cfg.ping_interval * 1000 });
    registerHandlers(this, socket);
    socket.on('close', () => this.onClose(socket));
    // wire traffic at debug only (1000 chargers at info would log every MeterValues)
    if (this.log.isLevelEnabled('debug'))
      socket.on('message', (e) =>
        this.log.debug({ frame: String(e.message) }, e.outbound ? 'sent' : 'received'),
      );
    this.log.info({ remote }, 'charger connected');
    this.armBootTrigger(BOOT_TRIGGER_DELAY_MS);
  }

  /** Closes the socket (the bridge stops). */
  async close(): Promise<void> {
    this.deps.clock.clearTimeout(this.bootTimer);
    this.deps.clock.clearTimeout(this.offlineTimer);
    const s = this.socket;
    this.socket = undefined;
    this.queue.detach();
    await s?.close({ code: 1001, reason: 'central system stopping' }).catch(() => {});
  }

  /** Answers a BootNotification; the set-up runs once the answer is out. */
  onBoot(info: BootInfo): Record<string, unknown> {
    const first = this.boot === null;
    this.boot = info;
    this.log.info({ ...info }, first ? 'charger booted' : 'charger booted again');
    this.deps.clock.clearTimeout(this.bootTimer);
    // after the answer is written: nothing may reach the charger before it (Wallbox FW6.6: lbbrhzn/ocpp#1503)
    setImmediate(() => {
      if (!this.socket) return;
      this.booted = true;
      this.online = true;
      this.queue.bootAccepted();
      this.publish();
      void runSetup(this);
    });
    return {
      status: 'Accepted',
      currentTime: new Date(this.deps.clock.now()).toISOString(),
      interval: this.deps.heartbeatInterval,
    };
  }

  /** Something changed: the connector's reading goes out (while online). */
  publish(): void {
    if (this.online) this.listener?.reading(this.reading());
  }

  /** The reading of the configured connector. */
  reading(): ChargerReading {
    const r = this.connector.reading(this.station, this.accepted, this.cfg.max_current, this.stationError);
    const info = this.info();
    return info ? { ...r, info } : r;
  }

  /** Identity from BootNotification, for discovery. */
  info(): DeviceInfo | undefined {
    const b = this.boot;
    if (!b) return undefined;
    return {
      manufacturer: b.vendor,
      model: b.model,
      ...(b.firmware ? { sw_version: b.firmware } : {}),
      ...(b.serial ? { serial: b.serial } : {}),
    };
  }

  private armBootTrigger(ms: number): void {
    this.deps.clock.clearTimeout(this.bootTimer);
    this.bootTimer = this.deps.clock.setTimeout(() => {
      if (this.booted || !this.socket) return;
      // some chargers never send Boot on their own (Wallbox Pulsar Pro FW6: evcc-io/evcc#28539)
      this.log.info('no BootNotification yet; asking for one');
      this.queue
        .call(
          'TriggerMessage',
          { requestedMessage: 'BootNotification' },
          { timeoutMs: 10_000, beforeBoot: true },
        )
        .catch((e: Error) => this.log.debug({ err: e.message }, 'TriggerMessage(BootNotification) failed'));
      this.armBootTrigger(BOOT_TRIGGER_REPEAT_MS);
    }, ms);
  }

  private onClose(socket: OcppSocket): void {
    if (socket !== this.socket) return; // an old, replaced connection
    this.socket = undefined;
    this.booted = false;
    this.deps.clock.clearTimeout(this.bootTimer);
    this.queue.detach();
    this.log.info('charger disconnected');
    this.deps.clock.clearTimeout(this.offlineTimer);
    this.offlineTimer = this.deps.clock.setTimeout(() => {
      if (this.socket && this.online) return;
      this.online = false;
      this.listener?.lost(`the charger has been disconnected for ${OFFLINE_GRACE_MS / 1000} s`);
    }, OFFLINE_GRACE_MS);
  }
}
