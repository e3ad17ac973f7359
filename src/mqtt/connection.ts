import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import mqtt, { type IClientOptions, type IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { backoff, type Clock, type TimerHandle } from '../core/clock.js';
import { MAX_PACKET_BYTES } from './topic-guard.js';

const noop = (): void => {};

/** A will message. */
export interface Will {
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
}

/** Options of one broker connection. */
export interface ConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** auto: 5 first, 3.1.1 when the broker refuses it (docs/configuration.md#mqtt). */
  version: 'auto' | 4 | 5;
  will?: Will;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  /**
   * Opens an in-process connection to the embedded broker; `url` is then only named in logs.
   * Called again for each reconnect.
   */
  stream?: () => Duplex;
  clock: Clock;
  log: Logger;
  /** First reconnect delay, ms (within 5 s, doubling to 60 s: docs/mqtt-api.md#availability). */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/** Publish options. */
export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
  /** MQTT 5 properties (ignored on 3.1.1). */
  properties?: { correlationData?: Buffer; responseTopic?: string };
}

/** An incoming message. */
export interface Incoming {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** MQTT 5 request/response properties. */
  responseTopic?: string;
  correlationData?: Buffer;
}

/**
 * One MQTT connection with the bridge's rules: version auto-detection, reconnect with doubling
 * back-off, TCP_NODELAY after every connect, resubscription on every connect, QoS 1 by default.
 * Events: `connect` (reconnect: boolean), `disconnect`, `message` (Incoming).
 */
export class MqttConnection extends EventEmitter {
  private client?: MqttClient;
  private version: 4 | 5;
  private readonly subscriptions = new Set<string>();
  private failures = 0;
  private everConnected = false;
  private closing = false;
  private retryTimer?: TimerHandle;
  private connectSent = false;
  private lastError?: string;
  private up = false;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.setMaxListeners(0);
    this.version = opts.version === 'auto' ? 5 : opts.version;
  }

  /** Broker URL. */
  get url(): string {
    return this.opts.url;
  }

  /** How to reach the same broker as this connection, for sibling connections (Homie devices). */
  get sibling(): Pick<
    ConnectionOptions,
    'url' | 'username' | 'password' | 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'stream'
  > {
    const { url, username, password, ca, cert, key, rejectUnauthorized, stream } = this.opts;
    return { url, username, password, ca, cert, key, rejectUnauthorized, stream };
  }

  /** MQTT protocol version in use (4 = 3.1.1). */
  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Starts connecting (and keeps reconnecting until close()). */
  start(): void {
    this.createClient();
  }

  /** Resolves when connected (now or later). */
  waitConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.once('connect', () => resolve()));
  }

  /** Publishes; dropped (with a debug line) while disconnected, as everything is republished on connect. */
  async publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client?.connected) {
      this.opts.log.debug({ topic }, 'not connected; publish dropped (republished on connect)');
      return;
    }
    const qos = opts.qos ?? 1;
    const properties = this.version === 5 && opts.properties ? opts.properties : undefined;
    this.opts.log.trace({ topic, retain: opts.retain === true, bytes: payload.length }, 'publish');
    try {
      await client.publishAsync(topic, payload, {
        qos,
        retain: opts.retain === true,
        ...(properties ? { properties } : {}),
      });
    } catch (e) {
      this.opts.log.debug({ topic, err: (e as Error).message }, 'publish failed');
    }
  }

  /** Subscribes now and after every reconnect. Retain As Published off (MQTT 5). */
  async subscribe(filters: string[]): Promise<void> {
    for (const f of filters) this.subscriptions.add(f);
    if (this.client?.connected) await this.rawSubscribe(filters);
  }

  /** Unsubscribes and forgets the filters. */
  async unsubscribe(filters: string[]): Promise<void> {
    for (const f of filters) this.subscriptions.delete(f);
    if (this.client?.connected) await this.client.unsubscribeAsync(filters).catch(() => {});
  }

  /** Disconnects cleanly (no will), after in-flight publishes. */
  async close(): Promise<void> {
    this.closing = true;
    this.opts.clock.clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => resolve(), 2000);
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    client.removeAllListeners();
    // mqtt.js may still fire a keepalive timeout after end(); an 'error' without a listener would crash the process
    client.on('error', () => {});
  }

  /** Drops the socket without DISCONNECT (tests: the will fires on a real broker). */
  destroy(): void {
    this.closing = true;
    this.opts.clock.clearTimeout(this.retryTimer);
    this.client?.stream?.destroy();
    this.client?.end(true);
  }

  private createClient(): void {
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: this.version,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: false,
      // MQTT 5: the broker sends nothing larger than the largest input the bridge reads (a price list)
      ...(this.version === 5 ? { properties: { maximumPacketSize: MAX_PACKET_BYTES } } : {}),
      // mqtt.js's own diagnostics (the `debug` package otherwise: an argument array per call, ~2 %
      // of what the bridge allocated at 1000 chargers, even with DEBUG unset): pino trace, or nothing
      log: o.log.isLevelEnabled('trace')
        ? (...args: unknown[]) => o.log.trace({ mqttjs: format(...args) }, 'mqtt.js')
        : noop,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.will
        ? {
            will: {
              topic: o.will.topic,
              payload: Buffer.from(o.will.payload),
              retain: o.will.retain,
              qos: o.will.qos,
            },
          }
        : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
      rejectUnauthorized: o.rejectUnauthorized !== false,
    };
    this.connectSent = false;
    const stream = o.stream;
    const client = stream ? new MqttClient(() => stream(), options) : mqtt.connect(o.url, options);
    this.client = client;
    client.on('packetsend', (p) => {
      if (p.cmd === 'connect') this.connectSent = true;
    });
    client.on('connect', () => this.onConnect());
    client.on('message', (topic, payload, packet: IPublishPacket) => {
      const props = packet.properties;
      this.emit('message', {
        topic,
        payload,
        retain: packet.retain === true,
        ...(props?.responseTopic ? { responseTopic: props.responseTopic } : {}),
        ...(props?.correlationData ? { correlationData: Buffer.from(props.correlationData) } : {}),
      } satisfies Incoming);
    });
    client.on('error', (err: Error & { code?: string | number }) => {
      this.lastError = describeError(err);
      // MQTT 5 refused: CONNACK 0x84 (unsupported protocol version) or the 3.1.1 code 1
      if (this.opts.version === 'auto' && this.version === 5 && (err.code === 132 || err.code === 1))
        this.fallBack('CONNACK refused MQTT 5');
    });
    client.on('close', () => this.onClose(client));
  }

  private onConnect(): void {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.up = true;
    this.failures = 0;
    this.lastError = undefined;
    (this.client?.stream as Socket | undefined)?.setNoDelay?.(true);
    this.opts.log.info(
      {
        url: redactUrl(this.opts.url),
        mqtt_version: this.version === 5 ? '5' : '3.1.1',
        client_id: this.opts.clientId,
      },
      reconnect ? 'reconnected to the MQTT broker' : 'connected to the MQTT broker',
    );
    const subs = [...this.subscriptions];
    void (subs.length > 0 ? this.rawSubscribe(subs) : Promise.resolve()).then(() =>
      this.emit('connect', reconnect),
    );
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client || this.closing) return;
    const wasConnected = this.up;
    this.up = false;
    if (
      this.opts.version === 'auto' &&
      this.version === 5 &&
      this.connectSent &&
      !this.everConnected &&
      !this.lastError
    ) {
      // closed before CONNACK after the CONNECT went out: a broker that does not speak MQTT 5
      this.fallBack('connection closed before CONNACK');
      return;
    }
    if (wasConnected) this.emit('disconnect');
    this.failures += 1;
    const delay = backoff(this.opts.firstRetryMs ?? 1000, this.failures, this.opts.maxRetryMs ?? 60_000);
    this.opts.log.warn(
      { url: redactUrl(this.opts.url), retry_in_s: delay / 1000, attempt: this.failures },
      `MQTT broker unreachable (${this.lastError ?? 'connection closed'}); retrying in ${delay / 1000} s`,
    );
    this.lastError = undefined;
    this.retryTimer = this.opts.clock.setTimeout(() => {
      if (!this.closing) {
        this.connectSent = false;
        client.reconnect();
      }
    }, delay);
  }

  private fallBack(why: string): void {
    if (this.version === 4) return;
    this.opts.log.info({ reason: why }, 'broker refused MQTT 5; using MQTT 3.1.1');
    this.version = 4;
    const old = this.client;
    this.client = undefined;
    if (old) {
      old.removeAllListeners();
      old.on('error', () => {});
      old.end(true);
    }
    this.lastError = undefined;
    this.createClient();
  }

  private async rawSubscribe(filters: string[]): Promise<void> {
    const client = this.client;
    if (!client) return;
    const opts = this.version === 5 ? { qos: 1 as const, rap: false } : { qos: 1 as const };
    try {
      await client.subscribeAsync(filters, opts);
    } catch (e) {
      const err = e as Error & { code?: number };
      // a SUBACK failure code: the broker refused one of the filters (3.1.1 0x80, MQTT 5 ≥ 0x80);
      // mqtt.js rejects with "Subscribe error: <reason>", not always with the code
      const refused =
        (typeof err.code === 'number' && err.code >= 0x80) || /^Subscribe error/.test(err.message);
      this.opts.log.warn(
        { filters, err: err.message },
        refused
          ? `the broker refused the subscription to ${filters.join(', ')}: check the broker's ACL for this user (README, Secure the broker)`
          : 'subscribe failed',
      );
    }
  }
}

function describeError(err: Error & { code?: string | number }): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused: is the broker running at that address?';
  if (err.code === 'ENOTFOUND') return 'broker host name not found';
  // Mosquitto answers a wrong password with "not authorized" (3.1.1 code 5, MQTT 5 0x87)
  if (err.code === 4 || err.code === 134 || err.code === 5 || err.code === 135) {
    return 'the broker refused the login: check mqtt.user and mqtt.password (and the broker ACL)';
  }
  return err.message;
}

/**
 * The URL without credentials, for logs and bridge/info: everything between `scheme://` and the
 * last `@` before a query or fragment (a password may hold an unescaped `@` or `/`).
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^?#]*@/i, '$1[redacted]@');
}
