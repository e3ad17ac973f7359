import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import type { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { HostileClient } from '../../src/sim/hostile-client.js';
import { startBroker } from '../helpers/broker.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

// What an MQTT client on the LAN can do to the bridge, each refused with a clear log line and
// nothing lost (README, "Hostile input"). The embedded broker's own rules: embedded-guard.test.ts.

const GRID = { id: 'grid', role: 'grid', type: 'mqtt', topic: 'zigbee2mqtt/main_meter', value: 'power' };
const TARIFF = {
  currency: 'EUR',
  zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
  default_price: 0.25,
  topic: 'energy/prices',
};
const DISCOVERY = 'homeassistant/number/evse2mqtt_garage/charge_current/config';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a hostile MQTT client', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;
  let evil: HostileClient;

  beforeAll(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
  });

  afterAll(async () => {
    await sim.stop();
  });

  const start = async () => {
    h = await startHarness({
      chargers: [openevseCharger(sim.port)],
      meters: [GRID],
      config: { site: { timezone: 'Europe/Paris' }, tariff: TARIFF },
    });
    evil = await HostileClient.connect(h.url);
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
  };

  afterEach(async () => {
    sim.hang = false;
    await evil?.close();
    await h?.stop();
  });

  it('has an oversized /set dropped before it is decoded, logged with topic and size, and the next one answered', async () => {
    await start();
    const posts = sim.requestsTo('POST', '/claims').length;
    const since = h.rec.mark();
    const big = `{"charge_current":10,"pad":"${'x'.repeat(70 * 1024)}"}`;
    evil.send('evse2mqtt/garage/set', big);
    await evil.flush();
    await pause(300);
    expect(h.rec.on('evse2mqtt/garage/response', since)).toEqual([]);
    expect(sim.requestsTo('POST', '/claims').length).toBe(posts);
    const [line] = h.logs.find(`dropped a ${big.length}-byte message on evse2mqtt/garage/set`);
    expect(line).toMatchObject({ level: 'warn', topic: 'evse2mqtt/garage/set', bytes: big.length });
    await h.rec.publish('evse2mqtt/garage/set', '{"charge_current":10}');
    expect(await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since })).toMatchObject({
      status: 'ok',
    });
  });

  it('has an oversized meter message dropped, while a large price list under 1 MiB is read and one over it is not', async () => {
    await start();
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 1200}');
    await h.rec.waitJson('evse2mqtt/site', (s) => s.grid_power === 1200);
    evil.send('zigbee2mqtt/main_meter', `{"power": 500, "pad": "${'x'.repeat(70 * 1024)}"}`);
    const day = (d: number) => `2026-06-0${d}T00:00:00+02:00`;
    const list = JSON.stringify([{ start: day(1), end: day(2), price: 0.11 }]);
    evil.send('energy/prices', list + ' '.repeat(200 * 1024));
    evil.send('energy/prices', list.replace('0.11', '0.99') + ' '.repeat(1024 * 1024));
    await evil.flush();
    await h.rec.waitJson('evse2mqtt/site', (s) => s.tariff_price === 0.11);
    await pause(200);
    expect(h.rec.json('evse2mqtt/site')).toMatchObject({ grid_power: 1200, tariff_price: 0.11 });
    expect(h.logs.find('on zigbee2mqtt/main_meter: over the 64 KiB limit')).toHaveLength(1);
    expect(h.logs.find('on energy/prices: over the 1024 KiB limit')).toHaveLength(1);
  });

  it('gets the first 10 problems of a /set with 3000 unknown keys and a count of the rest', async () => {
    await start();
    const since = h.rec.mark();
    const body = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    await h.rec.publish('evse2mqtt/garage/set', JSON.stringify(body));
    const m = await h.rec.waitFor((x) => x.topic === 'evse2mqtt/garage/response', { since });
    expect(Buffer.byteLength(m.payload)).toBeLessThan(16 * 1024);
    const r = JSON.parse(m.payload) as { status: string; error: string };
    expect(r.status).toBe('error');
    expect(r.error.startsWith('unknown key "k0"; writable keys:')).toBe(true);
    expect(r.error).toContain('unknown key "k9"');
    expect(r.error).not.toContain('unknown key "k10"');
    expect(r.error.endsWith('; and 2990 more problems')).toBe(true);
  });

  it('gets a short answer to a request with a 30 000-character name', async () => {
    await start();
    const cmd = 'x'.repeat(30_000);
    const since = h.rec.mark();
    await h.rec.publish(`evse2mqtt/bridge/request/${cmd}`, '{}');
    const m = await h.rec.waitFor((x) => x.topic === `evse2mqtt/bridge/response/${cmd}`, { since });
    expect(m.payload.length).toBeLessThan(1024);
    expect(JSON.parse(m.payload).error).toMatch(/^unknown request "x{59}…; known: health_check/);
  });

  it('gets one full republish per 10 s however many Home Assistant birth messages it sends', async () => {
    await start();
    const since = h.rec.mark();
    evil.burst(
      'homeassistant/status',
      Array.from({ length: 20 }, () => 'online'),
    );
    await evil.flush();
    await h.rec.waitFor((m) => m.topic === DISCOVERY, { since });
    await pause(300);
    // the repeats came while the republish ran: merged into it
    expect(h.rec.on(DISCOVERY, since)).toHaveLength(1);
    // more after it, inside its 10 s window: one more republish when the window ends (HA may have restarted twice)
    await h.clock.advance(5_000);
    evil.burst(
      'homeassistant/status',
      Array.from({ length: 20 }, () => 'online'),
    );
    await evil.flush();
    await h.clock.advance(4_900);
    expect(h.rec.on(DISCOVERY, since)).toHaveLength(1);
    await h.clock.advance(100);
    await h.rec.waitFor((m) => m.topic === DISCOVERY && m.i > h.rec.on(DISCOVERY, since)[0]!.i, { since });
    await h.clock.advance(30_000);
    await pause(200);
    expect(h.rec.on(DISCOVERY, since)).toHaveLength(2);
  });

  it('cannot push an implausible meter value into the site figures; the last good value stays and ages', async () => {
    await start();
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 1500}');
    await h.rec.waitJson('evse2mqtt/site', (s) => s.grid_power === 1500);
    const good = h.rec.mark();
    evil.send('zigbee2mqtt/main_meter', '{"power": 1.7e308}');
    await evil.flush();
    await pause(200);
    expect(h.logs.find('refused an implausible reading (power beyond ±10 MW)')).toHaveLength(1);
    const since = h.rec.mark();
    await h.clock.advance(61_000);
    const site = await h.rec.waitJson<{ grid_power: number; meters: { grid: { stale: boolean } } }>(
      'evse2mqtt/site',
      (s) => (s.meters as { grid: { stale: boolean } }).grid.stale,
      { since },
    );
    // Infinity would have been published as null
    expect(h.rec.on('evse2mqtt/site', good).map((m) => JSON.parse(m.payload).grid_power)).not.toContain(null);
    expect(site.meters.grid).toMatchObject({ value: 1500, stale: true });
  });

  it('bursting /set at a charger being written costs one more write: the merged-away commands are superseded, the last is answered', async () => {
    await start();
    const posts = () => sim.requestsTo('POST', '/claims').length;
    const before = posts();
    sim.hang = true; // the first write is accepted and never answered
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set', '{"charge_current": 10, "transaction": 1}');
    for (let i = 0; i < 50 && posts() === before; i++) await pause(10);
    expect(posts()).toBe(before + 1);
    sim.hang = false;
    await h.rec.publish('evse2mqtt/garage/set', '{"charge_current": 11, "transaction": 2}');
    await h.rec.publish('evse2mqtt/garage/set/enabled', 'OFF');
    await h.rec.publish('evse2mqtt/garage/set', '{"charge_current": 12, "transaction": 4}');
    const superseded = await h.rec.waitJson('evse2mqtt/garage/response', (r) => r.transaction === 2, {
      since,
    });
    expect(superseded).toEqual({ status: 'error', error: 'superseded by a newer command', transaction: 2 });
    await h.clock.advance(3_000); // the hung write times out; the merged command is written
    const last = await h.rec.waitJson('evse2mqtt/garage/response', (r) => r.transaction === 4, { since });
    expect(last).toEqual({
      status: 'ok',
      data: { enabled: false, charge_current: 12, mode: 'manual' },
      transaction: 4,
    });
    const answers = h.rec.on('evse2mqtt/garage/response', since).map((m) => JSON.parse(m.payload));
    expect(answers).toHaveLength(4);
    expect(answers.filter((r) => r.error === 'superseded by a newer command')).toHaveLength(2);
    expect(answers.find((r) => r.transaction === 1)).toMatchObject({ status: 'error' });
    expect(
      sim
        .requestsTo('POST', '/claims')
        .slice(before)
        .map((r) => r.json),
    ).toEqual([
      { state: 'active', charge_current: 10, auto_release: false },
      { state: 'disabled', charge_current: 12, auto_release: false },
    ]);
  });
});

describe('secrets in the configuration', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await startBroker();
  });

  afterAll(async () => {
    await broker.close();
  });

  it('never reach bridge/info, MQTT or the logs: URL userinfo is redacted, password and token keys dropped', async () => {
    const sim = new OpenEvseSimulator({ user: 'admin', password: 'chg-s3cret' });
    await sim.start();
    const server = broker.url.replace('mqtt://', 'mqtt://bridge:url-s3cret@');
    const h = await startHarness({
      brokerUrl: broker.url,
      mqtt: { server, user: 'bridge', password: 'mqtt-s3cret' },
      chargers: [openevseCharger(sim.port, { user: 'admin', password: 'chg-s3cret' })],
      meters: [
        {
          id: 'pv',
          role: 'pv',
          type: 'shelly-em',
          host: '127.0.0.1',
          port: 9,
          channel: 0,
          password: 'meter-s3cret',
        },
      ],
      config: {
        embedded_broker: { password: 'emb-s3cret' },
        influxdb: {
          url: 'http://influx:influx-s3cret@127.0.0.1:9',
          token: 'tok-s3cret',
          org: 'home',
          bucket: 'evse',
        },
      },
    });
    try {
      await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
      const info = h.rec.json<{ config: { mqtt: { server: string }; influxdb: { url: string } } }>(
        'evse2mqtt/bridge/info',
      );
      expect(info.config.mqtt.server).toBe(broker.url.replace('mqtt://', 'mqtt://[redacted]@'));
      expect(info.config.influxdb.url).toBe('http://[redacted]@127.0.0.1:9');
      const everything = `${h.rec.messages.map((m) => m.payload).join('\n')}\n${h.logs.text()}`;
      for (const secret of [
        'url-s3cret',
        'mqtt-s3cret',
        'chg-s3cret',
        'meter-s3cret',
        'emb-s3cret',
        'influx-s3cret',
        'tok-s3cret',
      ])
        expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
    } finally {
      await h.stop();
      await sim.stop();
    }
  });
});
