import { describe, expect, test } from '@jest/globals';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/bus.js';
import type { DeviceView } from '../../src/core/device.js';
import { METER_ENTITIES, type MeterContext } from '../../src/core/meter-entities.js';
import type { DeviceInfo } from '../../src/core/model.js';
import type { MqttConnection } from '../../src/mqtt/connection.js';
import type { PublisherContext } from '../../src/publishers/context.js';
import { HomeAssistantPublisher } from '../../src/publishers/homeassistant.js';

/** A connection whose publishes complete only when the test lets them (as a slow broker would). */
class HeldConnection {
  readonly sent: Array<{ topic: string; payload: string }> = [];
  private held: Array<() => void> = [];
  hold = true;

  publish(topic: string, payload: string | Buffer): Promise<void> {
    this.sent.push({ topic, payload: payload.toString() });
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }

  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  /** Lets the publishes made so far complete; later ones are held again. */
  async step(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function meters(n: number): { views: Map<string, DeviceView & { info: DeviceInfo }>; raw: unknown } {
  const raw = { mqtt: { server: 'mqtt://127.0.0.1:1883' } };
  const views = new Map<string, DeviceView & { info: DeviceInfo }>();
  for (let i = 0; i < n; i++) {
    const ctx: MeterContext = { cfg: {} as MeterContext['cfg'], provides: new Set(['power']) };
    views.set(`m${i}`, {
      id: `m${i}`,
      name: `Meter ${i}`,
      kind: 'meter',
      type: 'mqtt',
      info: { manufacturer: 'Acme', model: 'first' },
      entities: METER_ENTITIES.filter((e) => e.has(ctx)),
      ctx,
      online: true,
      attempted: true,
      current: {},
    } as unknown as DeviceView & { info: DeviceInfo });
  }
  return { views, raw };
}

function publisher(n: number) {
  const { views, raw } = meters(n);
  const result = validateConfig(raw, {});
  if (!result.config) throw new Error(JSON.stringify(result.problems));
  const conn = new HeldConnection();
  const bus = new EventBus();
  const ctx = {
    cfg: result.config,
    conn: conn as unknown as MqttConnection,
    bus,
    log: pino({ level: 'silent' }),
    devices: () => [...views.values()],
    device: (id: string) => views.get(id),
  } as unknown as PublisherContext;
  const ha = new HomeAssistantPublisher(ctx);
  ha.start();
  return { ha, conn, views, bus };
}

const modelsOf = (sent: Array<{ topic: string; payload: string }>, id: string) =>
  sent
    .filter((m) => m.topic.includes(`_${id}/`))
    .map((m) => (JSON.parse(m.payload) as { device: { model: string } }).device.model)
    .filter((model, i, all) => all.indexOf(model) === i);

describe('Home Assistant discovery queue', () => {
  test('a device whose info changes before its turn is published once, with the new info', async () => {
    const { ha, conn, views, bus } = publisher(20);
    const all = ha.publishAll(false);
    await conn.step(); // the first devices are on the wire, the others wait their turn
    const late = views.get('m19')!;
    (late as { info: DeviceInfo }).info = { manufacturer: 'Acme', model: 'booted' };
    bus.emit('device.info', { id: 'm19', info: late.info });
    conn.release();
    await all;
    const models = modelsOf(conn.sent, 'm19');
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((m) => m === 'booted')).toBe(true);
    // each topic once
    const topics = conn.sent.map((m) => m.topic);
    expect(new Set(topics).size).toBe(topics.length);
  });

  test('a device whose info changes after its turn is published again; unchanged ones are not', async () => {
    const { ha, conn, views } = publisher(3);
    conn.release();
    await ha.publishAll(false);
    const first = conn.sent.length;
    expect(modelsOf(conn.sent, 'm1')).toEqual(['first']);
    (views.get('m1') as { info: DeviceInfo }).info = { manufacturer: 'Acme', model: 'booted' };
    await ha.publishDevice('m1');
    await ha.publishDevice('m2'); // nothing changed
    expect(modelsOf(conn.sent.slice(first), 'm1')).toEqual(['booted']);
    expect(modelsOf(conn.sent.slice(first), 'm2')).toEqual([]);
  });

  test('at most two devices are in flight: later devices are built only when earlier ones are through', async () => {
    const { ha, conn } = publisher(10);
    const onWire = () => new Set(conn.sent.map((m) => /_(m\d+)\//.exec(m.topic)?.[1]).filter(Boolean));
    const all = ha.publishAll(false);
    expect(onWire().size).toBeLessThanOrEqual(2); // the bridge device and m0
    await conn.step();
    expect(onWire().size).toBeLessThanOrEqual(4);
    conn.release();
    await all;
    expect(onWire().size).toBe(10);
  });

  test('a forced republish (Home Assistant restarted) sends every config again', async () => {
    const { ha, conn } = publisher(4);
    conn.release();
    await ha.publishAll(false);
    const first = conn.sent.map((m) => m.topic).sort();
    await ha.publishAll(false);
    expect(conn.sent.length).toBe(first.length);
    await ha.publishAll(true);
    expect(
      conn.sent
        .slice(first.length)
        .map((m) => m.topic)
        .sort(),
    ).toEqual(first);
  });
});
