import { afterEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { ShellyGen1Simulator } from '../../src/meters/shelly/sim-gen1.js';
import { ShellyGen2Simulator } from '../../src/meters/shelly/sim-gen2.js';
import { startBroker } from '../helpers/broker.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { Recorder } from '../helpers/recorder.js';

type Site = {
  grid_power?: number | null;
  pv_power?: number | null;
  house_power?: number | null;
  surplus_power?: number | null;
  residual_power?: number;
  max_current?: number | null;
  meters: Record<string, { value: number | null; age: number | null; stale: boolean }>;
};

const GRID = {
  id: 'grid',
  role: 'grid',
  type: 'mqtt',
  topic: 'zigbee2mqtt/main_meter',
  value: 'power',
  availability_topic: 'zigbee2mqtt/main_meter/availability',
  max_age: 30,
};
const PV = {
  id: 'solar',
  role: 'pv',
  type: 'mqtt',
  topic: 'emporiavue2/sensor/pv_power/state',
  scale: 1000,
  max_age: 60,
};

describe('energy meters on MQTT and the site', () => {
  let h: Harness | undefined;
  let sim: OpenEvseSimulator | undefined;

  afterEach(async () => {
    await h?.stop();
    await sim?.stop();
    h = undefined;
    sim = undefined;
  });

  it('reads a Zigbee2MQTT meter (JSON key) and an ESPHome meter (plain kW, scale 1000) into signed site figures', async () => {
    h = await startHarness({ meters: [GRID, PV] });
    const since = h.rec.mark();
    await h.rec.publish(
      'zigbee2mqtt/main_meter',
      JSON.stringify({ power: -1432.5, energy: 12.4, linkquality: 90 }),
    );
    await h.rec.publish('emporiavue2/sensor/pv_power/state', '2.1');
    const site = await h.rec.waitJson<Site>(
      'evse2mqtt/site',
      (s) => s.grid_power === -1432.5 && s.pv_power === 2100,
      { since },
    );
    expect(site).toMatchObject({ house_power: 667.5, surplus_power: 1432.5, residual_power: 0 });
    expect(site.meters.grid).toEqual({ value: -1432.5, age: 0, stale: false });
    expect(site.meters.solar).toEqual({ value: 2100, age: 0, stale: false });
    expect(h.rec.json('evse2mqtt/grid')).toMatchObject({ power: -1432.5, last_seen: expect.any(String) });
    expect(h.rec.json('evse2mqtt/grid/availability')).toEqual({ state: 'online' });
  });

  it('marks a reading stale after max_age and at once when the source says offline; fresh again on a new reading', async () => {
    h = await startHarness({ meters: [GRID] });
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 500}');
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.meters.grid?.stale === false);
    let since = h.rec.mark();
    await h.clock.advance(30_500);
    const stale = await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.meters.grid?.stale === true, {
      since,
    });
    expect(stale.meters.grid!.value).toBe(500); // the last good value stays, aging
    await h.rec.waitJson('evse2mqtt/grid/availability', (v) => v.state === 'offline', { since });
    since = h.rec.mark();
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 480}');
    await h.rec.waitJson<Site>(
      'evse2mqtt/site',
      (s) => s.meters.grid?.stale === false && s.grid_power === 480,
      { since },
    );
    since = h.rec.mark();
    await h.rec.publish('zigbee2mqtt/main_meter/availability', '{"state":"offline"}');
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.meters.grid?.stale === true, { since });
    await h.rec.publish('zigbee2mqtt/main_meter/availability', '{"state":"online"}');
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.meters.grid?.stale === false);
  });

  it('treats a retained reading as of unknown age: stale until a live one arrives', async () => {
    const broker = await startBroker();
    const pub = await Recorder.connect(broker.url, []);
    await pub.publish('zigbee2mqtt/main_meter', '{"power": 750}', { retain: true });
    h = await startHarness({ brokerUrl: broker.url, meters: [GRID] });
    const first = await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.grid_power === 750);
    expect(first.meters.grid!.stale).toBe(true);
    await pub.publish('zigbee2mqtt/main_meter', '{"power": 760}');
    await h.rec.waitJson<Site>(
      'evse2mqtt/site',
      (s) => s.grid_power === 760 && s.meters.grid?.stale === false,
    );
    await pub.publish('zigbee2mqtt/main_meter', '', { retain: true });
    await pub.close();
    await h.stop();
    h = undefined;
    await broker.close();
  });

  it('ignores garbage and a negative PV reading with a log line; the last good value keeps aging', async () => {
    h = await startHarness({ meters: [GRID, { ...PV, scale: 1 }] });
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 300}');
    await h.rec.publish('emporiavue2/sensor/pv_power/state', '1200');
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.grid_power === 300 && s.pv_power === 1200);
    for (const junk of ['{"power": "n/a"}', 'not json', '{"energy": 5}', '[]'])
      await h.rec.publish('zigbee2mqtt/main_meter', junk);
    await h.rec.publish('emporiavue2/sensor/pv_power/state', '-40');
    await h.rec.publish('emporiavue2/sensor/pv_power/state', 'unavailable');
    await new Promise((r) => setTimeout(r, 100));
    const site = h.rec.json<Site>('evse2mqtt/site');
    expect(site.grid_power).toBe(300);
    expect(site.pv_power).toBe(1200);
    expect(h.logs.find('ignored a meter message on zigbee2mqtt/main_meter').length).toBeGreaterThanOrEqual(3);
    expect(
      h.logs.find('a pv reading below 0 (-40 W) is an error; use scale: -1 to flip the sign'),
    ).toHaveLength(1);
    const warnings = h.rec.messages
      .filter((m) => m.topic === 'evse2mqtt/bridge/logging')
      .map((m) => m.payload);
    expect(warnings.some((w) => w.includes('not JSON'))).toBe(true);
  });

  it('reads per-phase currents and the source timestamp from JSON keys', async () => {
    h = await startHarness({
      meters: [
        { ...GRID, current_keys: ['current_l1', 'current_l2', 'current_l3'], timestamp: 'time', max_age: 30 },
      ],
    });
    const at = new Date(h.clock.now() - 10_000).toISOString();
    await h.rec.publish(
      'zigbee2mqtt/main_meter',
      JSON.stringify({ power: 2300, current_l1: 6.1, current_l2: 2, current_l3: 1.5, time: at }),
    );
    const m = await h.rec.waitJson('evse2mqtt/grid', (v) => v.power === 2300);
    expect(m).toMatchObject({ current_l1: 6.1, current_l2: 2, current_l3: 1.5, last_seen: at });
    const site = h.rec.json<Site>('evse2mqtt/site');
    expect(site.meters.grid!.age).toBe(10);
  });

  it('derives house power from grid, PV and the chargers, and surplus from the chargers in solar modes', async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn();
    h = await startHarness({ chargers: [openevseCharger(sim.port)], meters: [GRID, PV] });
    await h.rec.waitJson('evse2mqtt/garage', (v) => v.charging === true);
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 4000}');
    await h.rec.publish('emporiavue2/sensor/pv_power/state', '3.5');
    const power = h.rec.json('evse2mqtt/garage').power as number; // 31.85 A × 230 V
    const site = await h.rec.waitJson<Site>(
      'evse2mqtt/site',
      (s) => s.grid_power === 4000 && s.pv_power === 3500,
    );
    expect(site.house_power).toBeCloseTo(4000 + 3500 - power, 1);
    expect(site.surplus_power).toBe(-4000); // the charger is in manual: its power is not surplus
  });

  it('takes site/set: residual_power, and max_current only lower than configured, null restoring it', async () => {
    h = await startHarness({ meters: [{ ...GRID, max_age: 30 }], config: { site: { max_current: 40 } } });
    const set = async (payload: string) => {
      const since = h!.rec.mark();
      await h!.rec.publish('evse2mqtt/site/set', payload);
      return h!.rec.waitJson('evse2mqtt/site/response', () => true, { since });
    };
    expect(await set('{"residual_power": 200}')).toEqual({
      status: 'ok',
      data: { max_current: 40, residual_power: 200 },
    });
    expect(await set('{"max_current": 25}')).toEqual({
      status: 'ok',
      data: { max_current: 25, residual_power: 200 },
    });
    expect(await set('{"max_current": 50}')).toMatchObject({
      status: 'error',
      error: 'max_current: 50 is out of range; allowed 1 to 40 A',
    });
    expect(await set('{"grid_power": 1}')).toMatchObject({
      status: 'error',
      error: expect.stringContaining('"grid_power" is read-only'),
    });
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.max_current === 25 && s.residual_power === 200);
    expect(await set('{"max_current": null}')).toEqual({
      status: 'ok',
      data: { max_current: 40, residual_power: 200 },
    });
  });

  it('polls a Shelly Pro EM (Gen2, digest auth) as grid and a Shelly EM (Gen1) as PV, end to end', async () => {
    const gen2 = new ShellyGen2Simulator({ password: 'shelly-pw' });
    const gen1 = new ShellyGen1Simulator({ user: 'admin', password: 'pw1' });
    await gen2.start();
    await gen1.start();
    gen2.setChannel(0, { power: -850.5, voltage: 231.4, current: 3.7, importWh: 120_000, exportWh: 45_000 });
    gen1.setChannel(1, { power: 2400, voltage: 230, total: 900_000, totalReturned: 0 });
    h = await startHarness({
      meters: [
        {
          id: 'grid',
          role: 'grid',
          type: 'shelly-gen2',
          host: '127.0.0.1',
          port: gen2.port,
          channel: 'em1:0',
          password: 'shelly-pw',
          max_age: 30,
          poll_interval: 2,
        },
        {
          id: 'roof',
          role: 'pv',
          type: 'shelly-em',
          host: '127.0.0.1',
          port: gen1.port,
          channel: 1,
          user: 'admin',
          password: 'pw1',
          poll_interval: 2,
        },
      ],
    });
    await h.clock.advance(2000);
    const site = await h.rec.waitJson<Site>(
      'evse2mqtt/site',
      (x) => x.grid_power === -850.5 && x.pv_power === 2400,
    );
    expect(site).toMatchObject({ house_power: 1549.5, surplus_power: 850.5 });
    expect(h.rec.json('evse2mqtt/grid')).toMatchObject({
      power: -850.5,
      energy_import: 120,
      energy_export: 45,
      voltage: 231.4,
    });
    expect(h.rec.json('evse2mqtt/roof')).toMatchObject({ power: 2400, energy_import: 900 });
    expect(h.logs.text()).not.toContain('shelly-pw');
    // the grid meter goes away: stale after max_age, offline; back by itself
    await gen2.stop();
    const since = h.rec.mark();
    await h.clock.advance(32_000);
    await h.rec.waitJson<Site>('evse2mqtt/site', (x) => x.meters.grid?.stale === true, { since });
    await h.rec.waitJson('evse2mqtt/grid/availability', (v) => v.state === 'offline', { since });
    await gen2.start();
    await h.clock.advance(60_000);
    await h.rec.waitJson<Site>('evse2mqtt/site', (x) => x.meters.grid?.stale === false);
    await gen2.stop();
    await gen1.stop();
  });

  it('publishes the site and the meters through HA discovery and Homie, conformant', async () => {
    h = await startHarness({ meters: [GRID, PV], config: { site: { max_current: 40 } } });
    await h.rec.publish('zigbee2mqtt/main_meter', '{"power": 100}');
    await h.rec.publish('emporiavue2/sensor/pv_power/state', '0.5');
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-site/$state' && m.payload === 'ready');
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.pv_power === 500);
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const topics = retained.map((m) => m.topic);
    expect(topics).toEqual(
      expect.arrayContaining([
        'homeassistant/sensor/evse2mqtt_site/grid_power/config',
        'homeassistant/sensor/evse2mqtt_site/surplus_power/config',
        'homeassistant/number/evse2mqtt_site/residual_power/config',
        'homeassistant/number/evse2mqtt_site/max_current/config',
        'homeassistant/sensor/evse2mqtt_grid/power/config',
      ]),
    );
    const live = h.rec.messages
      .filter((m) => m.topic.startsWith('evse2mqtt/'))
      .map((m) => ({ ...m, retain: false }));
    expect(checkHaDiscovery([...retained, ...live].map((m, i) => ({ ...m, i })))).toEqual([]);
    for (const dev of ['evse2mqtt-site', 'evse2mqtt-grid', 'evse2mqtt-solar']) {
      await h.rec.waitFor((m) => m.topic === `homie/${dev}/$state` && m.payload === 'ready');
      expect(
        checkHomieDevice(
          h.rec.messages.map((m) => ({ ...m, retain: true })),
          dev,
        ),
      ).toEqual([]);
    }
  });
});
