import type { Config } from '../config/types.js';
import type { TimerHandle } from '../core/clock.js';
import { deviceCapabilities } from '../core/device.js';
import type { LogRecord } from '../core/logger.js';
import { VERSION } from '../core/version.js';
import { redactUrl } from '../mqtt/connection.js';
import { json, type PublisherContext } from './context.js';

/** Keys never published: secrets never appear on MQTT or in bridge/info (`password`, `token`, `auth_token`…). */
const isSecretKey = (k: string): boolean =>
  k === 'password' || k === 'token' || k.endsWith('_password') || k.endsWith('_token');

/** A URL with userinfo (`scheme://user:pass@host`): the userinfo is a secret too. */
const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/** A copy of the configuration without secrets: secret keys dropped, URL userinfo redacted. */
export function publicConfig(cfg: Config): unknown {
  const strip = (v: unknown): unknown => {
    if (typeof v === 'string') return URL_WITH_USERINFO.test(v) ? redactUrl(v) : v;
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isSecretKey(k)) out[k] = strip(x);
    return out;
  };
  return strip(cfg);
}

/**
 * The bridge's own topics: `bridge/state` (retained; the main connection's will says offline),
 * `bridge/info`, `bridge/devices` (retained) and `bridge/logging` (warn and error lines).
 */
export class BridgePublisher {
  private infoTimer?: TimerHandle;

  constructor(private readonly ctx: PublisherContext) {}

  /** bridge/info follows device identities (an OCPP charger's BootNotification), at most once a second. */
  start(): void {
    this.ctx.bus.on(this, 'device.info', () => {
      if (this.infoTimer || !this.ctx.conn.connected) return;
      this.infoTimer = this.ctx.clock.setTimeout(() => {
        this.infoTimer = undefined;
        void this.publishInfo().catch(() => {});
      }, 1000);
    });
  }

  /** Stops following identities. */
  stop(): void {
    this.ctx.bus.off(this);
    this.ctx.clock.clearTimeout(this.infoTimer);
  }

  private topic(sub: string): string {
    return `${this.ctx.cfg.mqtt.base_topic}/bridge/${sub}`;
  }

  publishState(online: boolean): Promise<void> {
    return this.ctx.conn.publish(this.topic('state'), json({ state: online ? 'online' : 'offline' }), {
      retain: true,
    });
  }

  /** bridge/info and bridge/devices. */
  async publishInfo(): Promise<void> {
    await Promise.all([
      this.ctx.conn.publish(this.topic('info'), json(this.info()), { retain: true }),
      this.ctx.conn.publish(this.topic('devices'), json(this.deviceList()), { retain: true }),
    ]);
  }

  /** The bridge/info payload. */
  info(): Record<string, unknown> {
    const devices = this.ctx.devices().filter((d) => d.kind !== 'site');
    const entry = (d: (typeof devices)[number]) => ({
      id: d.id,
      name: d.name,
      type: d.type,
      capabilities: deviceCapabilities(d),
      ...(d.kind === 'charger' ? { watchdog: d.watchdog === true } : {}),
      ...d.details,
    });
    return {
      version: VERSION,
      mqtt_version: this.ctx.conn.protocolVersion === 5 ? '5' : '3.1.1',
      chargers: devices.filter((d) => d.kind === 'charger').map(entry),
      meters: devices.filter((d) => d.kind === 'meter').map(entry),
      config: publicConfig(this.ctx.cfg),
    };
  }

  /** The bridge/devices payload. */
  deviceList(): Array<Record<string, unknown>> {
    const devices = this.ctx.devices().filter((d) => d.kind !== 'site');
    return devices.map((d) => ({
      id: d.id,
      name: d.name,
      type: d.type,
      kind: d.kind,
      capabilities: deviceCapabilities(d),
    }));
  }

  /** Sink for warn/error log lines. */
  logSink = (record: LogRecord): void => {
    if (!this.ctx.conn.connected) return;
    void this.ctx.conn.publish(this.topic('logging'), json(record), { retain: false });
  };
}
