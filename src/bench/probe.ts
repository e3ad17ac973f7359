/**
 * The benchmark's MQTT client, standing in for Home Assistant: subscribed to the bridge's topics
 * and discovery, it stamps what arrives (discovery, availability, state changes, `/set`
 * responses) with the shared clock of common.ts, and publishes the `/set` commands.
 */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { delay, now } from './common.js';

/** A state change the probe waits for: `vehicle_connected` of charger `id` becoming `expect`. */
interface StateWait {
  expect: boolean;
  resolve: (at: number) => void;
}

/** The probe: one MQTT connection with TCP_NODELAY. */
export class Probe {
  /** Discovery config messages received, per charger id. */
  readonly discovery = new Map<string, number>();
  /** Arrival of the last discovery message. */
  lastDiscoveryAt = 0;
  /** Chargers whose availability is online. */
  readonly online = new Set<string>();
  /** State messages received (`<base>/<id>`). */
  states = 0;
  /** Chargers that published at least one state. */
  readonly stated = new Set<string>();
  private readonly stateWaits = new Map<string, StateWait>();
  private readonly responseWaits = new Map<string, (ok: boolean) => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly base: string,
    private readonly discoveryPrefix: string,
  ) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /** Connects, retrying until the broker listens (it starts inside the bridge), and subscribes. */
  static async connect(
    url: string,
    filters: string[],
    base = 'evse2mqtt',
    timeoutMs = 60_000,
  ): Promise<Probe> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const client = await mqtt.connectAsync(url, {
          clientId: `bench-probe-${Math.random().toString(16).slice(2, 10)}`,
          protocolVersion: 4,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
        });
        (client.stream as Socket).setNoDelay(true);
        client.on('error', (e) => process.stderr.write(`probe: ${e.message}\n`));
        const probe = new Probe(client, base, 'homeassistant');
        await client.subscribeAsync(filters, { qos: 1 });
        return probe;
      } catch (e) {
        if (Date.now() > until) throw e;
        await delay(20);
      }
    }
  }

  /** Resolves with the arrival time when charger `id` publishes `vehicle_connected: expect`. */
  waitVehicle(id: string, expect: boolean): Promise<number> {
    return new Promise((resolve) => this.stateWaits.set(id, { expect, resolve }));
  }

  /** Forgets a pending state wait (timeout). */
  cancelVehicle(id: string): void {
    this.stateWaits.delete(id);
  }

  /** Publishes `{"charge_current": amps}` on `<base>/<id>/set` (QoS 1); resolves with the time it was handed to the socket, and a promise of the response. */
  sendCurrent(id: string, amps: number): { at: number; response: Promise<boolean> } {
    const response = new Promise<boolean>((resolve) => this.responseWaits.set(id, resolve));
    const at = now();
    this.client.publish(`${this.base}/${id}/set`, JSON.stringify({ charge_current: amps }), { qos: 1 });
    return { at, response };
  }

  /** Forgets a pending response wait (timeout). */
  cancelResponse(id: string): void {
    this.responseWaits.delete(id);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => {});
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = now();
    if (topic.startsWith(`${this.discoveryPrefix}/`)) {
      // <prefix>/<component>/<instance>_<id>/<key>/config
      const node = topic.split('/')[2] ?? '';
      const us = node.indexOf('_');
      if (payload.length === 0 || us < 0) return;
      const id = node.slice(us + 1);
      this.discovery.set(id, (this.discovery.get(id) ?? 0) + 1);
      this.lastDiscoveryAt = t;
      return;
    }
    if (!topic.startsWith(`${this.base}/`)) return;
    const parts = topic.slice(this.base.length + 1).split('/');
    const id = parts[0]!;
    if (parts.length === 1) {
      this.states += 1;
      this.stated.add(id);
      const wait = this.stateWaits.get(id);
      if (!wait) return;
      try {
        const state = JSON.parse(payload.toString()) as { vehicle_connected?: unknown };
        if (state.vehicle_connected === wait.expect) {
          this.stateWaits.delete(id);
          wait.resolve(t);
        }
      } catch {
        /* not a state */
      }
    } else if (parts.length === 2 && parts[1] === 'availability') {
      if (payload.toString().includes('"online"')) this.online.add(id);
      else this.online.delete(id);
    } else if (parts.length === 2 && parts[1] === 'response') {
      const r = this.responseWaits.get(id);
      if (!r) return;
      this.responseWaits.delete(id);
      r(payload.toString().includes('"status":"ok"'));
    }
  }
}
