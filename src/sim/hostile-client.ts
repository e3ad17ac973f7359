import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * An MQTT client that does what an attacker on the LAN would (README, "Hostile input"): huge
 * payloads, bursts of commands, storms of birth messages, publishes on the bridge's own topics.
 * Tests use it to keep the bridge's limits honest.
 */
export class HostileClient {
  private constructor(readonly client: MqttClient) {}

  /** Connects (no reconnects: a refused publish closes the connection, and that is the point). */
  static async connect(url: string, opts: IClientOptions = {}): Promise<HostileClient> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return new HostileClient(client);
  }

  /** True while the broker keeps the connection. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** Publishes `payload` (QoS 0, so a broker that drops the connection does not leave it waiting). */
  send(topic: string, payload: string | Buffer, retain = false): void {
    this.client.publish(topic, payload, { qos: 0, retain });
  }

  /** Writes the fixed header of a PUBLISH announcing `bytes` bytes, and a little of its body (the rest never comes). */
  announce(bytes: number): void {
    const header = [0x30];
    let n = bytes;
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      header.push(b);
    } while (n > 0);
    (this.client.stream as unknown as { write(b: Buffer): boolean }).write(
      Buffer.concat([Buffer.from(header), Buffer.alloc(1024, 0x39)]),
    );
  }

  /** A payload of `bytes` bytes that is valid JSON (an object with one long string). */
  static jsonOf(bytes: number): string {
    return `{"x":"${'9'.repeat(Math.max(0, bytes - 8))}"}`;
  }

  /** Sends each payload on `topic` at once, in order. */
  burst(topic: string, payloads: readonly string[]): void {
    for (const p of payloads) this.send(topic, p);
  }

  /** Waits until everything sent is written to the socket. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stream = this.client.stream as {
      writableNeedDrain?: boolean;
      once?: (e: string, f: () => void) => void;
    };
    if (stream.writableNeedDrain) await new Promise<void>((resolve) => stream.once?.('drain', resolve));
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => {});
  }
}
