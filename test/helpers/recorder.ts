import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** One received message. */
export interface Msg {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  properties?: Record<string, unknown>;
  /** Index in the recording. */
  i: number;
}

/**
 * An MQTT client that records everything on its filters: what a Home Assistant, openHAB or
 * mosquitto_sub user would see. Waits use real time and fail with what was seen.
 */
export class Recorder {
  readonly messages: Msg[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload: payload.toString('utf8'),
        retain: packet.retain === true,
        qos: packet.qos,
        ...(packet.properties ? { properties: packet.properties as Record<string, unknown> } : {}),
        i: this.messages.length,
      });
      for (const w of [...this.waiters]) w();
    });
  }

  /** Connects and subscribes to `filters`. */
  static async connect(url: string, filters: string[] = ['#'], opts: IClientOptions = {}): Promise<Recorder> {
    const client = mqtt.connect(url, { reconnectPeriod: 200, connectTimeout: 5000, ...opts });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    (client.stream as Socket).setNoDelay?.(true);
    const rec = new Recorder(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return rec;
  }

  /** Index to pass as `since` to wait for messages after an action. */
  mark(): number {
    return this.messages.length;
  }

  /** Messages on `topic` (exact), optionally since a mark. */
  on(topic: string, since = 0): Msg[] {
    return this.messages.filter((m) => m.i >= since && m.topic === topic);
  }

  /** The latest message on `topic`. */
  last(topic: string): Msg | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--)
      if (this.messages[i]!.topic === topic) return this.messages[i];
    return undefined;
  }

  /** The latest JSON payload on `topic`. */
  json<T = Record<string, unknown>>(topic: string): T {
    const m = this.last(topic);
    if (!m) throw new Error(`nothing received on ${topic}`);
    return JSON.parse(m.payload) as T;
  }

  /** Waits for a message matching `pred` (from `since`). */
  waitFor(
    pred: (m: Msg) => boolean,
    opts: { since?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<Msg> {
    const since = opts.since ?? 0;
    const found = () => this.messages.find((m) => m.i >= since && pred(m));
    const hit = found();
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = found();
        if (m) {
          cleanup();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.messages
          .slice(Math.max(since, this.messages.length - 8))
          .map((m) => `  ${m.topic} ${m.payload.slice(0, 200)}`)
          .join('\n');
        reject(new Error(`timed out waiting for ${opts.what ?? 'a message'}; last messages:\n${recent}`));
      }, opts.timeoutMs ?? 5000);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for a JSON message on `topic` whose payload satisfies `pred`. */
  async waitJson<T = Record<string, unknown>>(
    topic: string,
    pred: (v: T) => boolean = () => true,
    opts: { since?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    const m = await this.waitFor(
      (x) => {
        if (x.topic !== topic || x.payload === '') return false;
        try {
          return pred(JSON.parse(x.payload) as T);
        } catch {
          return false;
        }
      },
      { ...opts, what: `a matching message on ${topic}` },
    );
    return JSON.parse(m.payload) as T;
  }

  /**
   * What the broker holds retained under `filters`, as a new subscriber sees it (MQTT 3.1.1
   * forwards live messages with the retain flag cleared, so only a fresh subscription shows it).
   */
  static async retained(url: string, filters: string[] = ['#'], settleMs = 300): Promise<Msg[]> {
    const r = await Recorder.connect(url, filters);
    // the broker streams retained messages after SUBACK: wait until the stream has been quiet a while
    let seen = -1;
    for (let waited = 0; waited < 5000 && (waited < settleMs || seen !== r.messages.length); waited += 100) {
      seen = r.messages.length;
      await new Promise((res) => setTimeout(res, 100));
    }
    await r.close();
    return r.messages.filter((m) => m.retain);
  }

  /** Publishes (QoS 1, not retained unless asked). */
  async publish(
    topic: string,
    payload: string,
    opts: { retain?: boolean; properties?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.client.publishAsync(topic, payload, {
      qos: 1,
      retain: opts.retain === true,
      ...(opts.properties ? { properties: opts.properties } : {}),
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
