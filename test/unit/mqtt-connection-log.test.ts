import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
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
