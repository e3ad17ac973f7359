import net from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { realClock } from '../../src/core/clock.js';
import { MqttConnection } from '../../src/mqtt/connection.js';
import { startBroker } from '../helpers/broker.js';

/** Connects, publishes once and closes with the bridge's logger at `level`; returns the log lines. */
async function logAt(level: string): Promise<Array<{ msg: string; mqttjs?: string }>> {
  const lines: Array<{ msg: string; mqttjs?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const broker = await startBroker();
  const conn = new MqttConnection({
    url: broker.url,
    clientId: `log-${level}`,
    version: 4,
    clock: realClock,
    log: pino({ level }, sink),
  });
  try {
    conn.start();
    await conn.waitConnected();
    await conn.publish('t/x', 'payload', { qos: 1 });
  } finally {
    await conn.close();
    await broker.close();
  }
  return lines;
}

describe("mqtt.js's own diagnostics", () => {
  it('go to the log at trace level, with what mqtt.js said', async () => {
    const lines = await logAt('trace');
    const own = lines.filter((l) => l.msg === 'mqtt.js');
    expect(own.length).toBeGreaterThan(3);
    expect(own.some((l) => /publish/i.test(l.mqttjs ?? ''))).toBe(true);
  });

  it('are left out above trace', async () => {
    const lines = await logAt('debug');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.msg === 'mqtt.js')).toEqual([]);
  });
});

describe('a subscription the broker refuses', () => {
  it('is logged as a warning naming the filter and the ACL to check', async () => {
    const lines: Array<{ msg: string; level: number; filters?: string[] }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    // an ACL that refuses homie/#, as a Mosquitto acl_file without it would
    const broker = await Aedes.createBroker({
      authorizeSubscribe: (_client, sub, done) => done(null, sub.topic.startsWith('homie/') ? null : sub),
    });
    const server = net.createServer((s) => broker.handle(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const conn = new MqttConnection({
      url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      clientId: 'acl',
      version: 4,
      clock: realClock,
      log: pino({ level: 'info' }, sink),
    });
    try {
      conn.start();
      await conn.waitConnected();
      await conn.subscribe(['evse2mqtt/+/set']);
      await conn.subscribe(['homie/+/+/+/set']);
      // the connection is still usable after the refusal
      await conn.publish('evse2mqtt/x', 'still up', { qos: 1 });
    } finally {
      await conn.close();
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(
      /refused the subscription to homie\/\+\/\+\/\+\/set: check the broker's ACL/,
    );
  });
});
