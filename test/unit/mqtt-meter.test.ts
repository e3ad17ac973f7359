import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { MeterConfig } from '../../src/config/types.js';
import { EventBus } from '../../src/core/bus.js';
import { MeterRuntime } from '../../src/meters/meter-runtime.js';
import { parseAvailability, parseMeterMessage } from '../../src/meters/mqtt.js';
import { meterType } from '../../src/meters/registry.js';
import { ManualClock } from '../helpers/manual-clock.js';

const cfg = (extra: Partial<MeterConfig>): MeterConfig => ({
  id: 'm',
  name: 'm',
  role: 'grid',
  type: 'mqtt',
  scale: 1,
  max_age: 60,
  port: 80,
  channel: 0,
  poll_interval: 2,
  topic: 't',
  ...extra,
});

describe('the README snippets for the mqtt meter type', () => {
  it.each([
    [
      'Zigbee2MQTT plug/meter',
      { value: 'power' },
      '{"power":412.3,"energy":123.45,"voltage":231,"linkquality":120}',
      412.3,
    ],
    ['Shelly Gen1 MQTT (plain W)', {}, '-1432.55', -1432.55],
    [
      'Shelly Gen2 MQTT status/em1:0',
      { value: 'act_power' },
      '{"id":0,"current":2.1,"voltage":235.7,"act_power":-332.2}',
      -332.2,
    ],
    [
      'Shelly Pro 3EM MQTT status/em:0',
      { value: 'total_act_power' },
      '{"id":0,"total_act_power":1520.4}',
      1520.4,
    ],
    ['ESPHome / Emporia Vue (plain number)', {}, '-1432.6', -1432.6],
    [
      'Tasmota tele/…/SENSOR',
      { value: 'ENERGY.Power' },
      '{"Time":"2026-01-01T10:00:00","ENERGY":{"Total":12.3,"Power":850}}',
      850,
    ],
    ['numeric text inside JSON', { value: 'power' }, '{"power":"97.5"}', 97.5],
  ])('%s', (_name, extra, payload, power) => {
    const r = parseMeterMessage(payload, cfg(extra));
    expect(r).toEqual({ ok: true, sample: { power } });
  });

  it.each([
    ['ESPHome status', 'offline', false],
    ['ESPHome status', 'online', true],
    ['Zigbee2MQTT availability', '{"state":"offline"}', false],
    ['Shelly Gen1 online', 'false', false],
    ['Shelly Gen2 online', 'true', true],
    ['Tasmota LWT', 'Offline', false],
    ['Tasmota LWT', 'Online', true],
  ])('availability: %s %s', (_name, payload, online) => {
    expect(parseAvailability(payload)).toBe(online);
  });

  it('says what is wrong with a payload it cannot use', () => {
    expect(parseMeterMessage('{"power": null}', cfg({ value: 'power' }))).toEqual({
      ok: false,
      why: 'no number at "power" in "{\\"power\\": null}"',
    });
    expect(parseMeterMessage('on', cfg({}))).toEqual({ ok: false, why: 'not a number: "on"' });
    expect(parseAvailability('maybe')).toBeUndefined();
  });
});

describe('the reading pair that ends a fail-safe, counted per reading', () => {
  const start = Date.parse('2026-06-01T10:00:00Z');
  const meter = (extra: Partial<MeterConfig> = {}) => {
    const clock = new ManualClock(start);
    const m = new MeterRuntime({
      cfg: cfg({ value: 'power', ...extra }),
      type: meterType('mqtt'),
      bus: new EventBus(),
      clock,
      log: pino({ level: 'silent' }),
    });
    const feed = (payload: string, retain = false) => m.feed('t', Buffer.from(payload), retain);
    return { m, clock, feed };
  };

  it('a meter reporting every 30 s gives a pair on its second live reading, whatever the cycles in between', async () => {
    const { m, clock, feed } = meter({ max_age: 60 });
    feed('{"power":500}');
    expect(m.value()).toMatchObject({ live: true, stale: false, freshPairAt: null });
    await clock.advance(30_000);
    feed('{"power":480}');
    expect(m.value().freshPairAt).toBe(start);
    await clock.advance(30_000);
    feed('{"power":470}');
    expect(m.value().freshPairAt).toBe(start + 30_000);
    await m.stop();
  });

  it('a retained reading is not live and breaks the row', async () => {
    const { m, clock, feed } = meter();
    feed('{"power":500}', true);
    expect(m.value()).toMatchObject({ live: false, stale: true, freshPairAt: null });
    await clock.advance(1000);
    feed('{"power":500}');
    expect(m.value()).toMatchObject({ live: true, stale: false, freshPairAt: null });
    await m.stop();
  });

  it('a reading that arrives already older than max_age breaks the row', async () => {
    const { m, clock, feed } = meter({ max_age: 30, timestamp: 'time' });
    feed(`{"power":1,"time":${(start - 1000) / 1000}}`);
    await clock.advance(10_000);
    feed(`{"power":2,"time":${(start - 60_000) / 1000}}`); // delayed in some queue
    expect(m.value().freshPairAt).toBeNull();
    await clock.advance(10_000);
    feed(`{"power":3,"time":${(start + 20_000) / 1000}}`);
    expect(m.value().freshPairAt).toBeNull();
    await clock.advance(10_000);
    feed(`{"power":4,"time":${(start + 30_000) / 1000}}`);
    expect(m.value().freshPairAt).toBe(start + 20_000);
    await m.stop();
  });
});
