import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type OddReply, TechnoveSimulator } from '../../src/drivers/technove/simulator.js';
import { PATHS } from '../../src/drivers/technove/wire.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const STATE = 'evse2mqtt/garage';
const RESPONSE = 'evse2mqtt/garage/response';
const AVAILABILITY = 'evse2mqtt/garage/availability';

function technoveCharger(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'garage',
    name: 'Garage',
    type: 'technove',
    host: '127.0.0.1',
    port,
    max_current: 32,
    poll_interval: 5,
    ...extra,
  };
}

/** Commands that reached the station, in order: `METHOD path body`. */
function commands(sim: TechnoveSimulator, since = 0): string[] {
  return sim.requests
    .slice(since)
    .filter((r) => r.path !== PATHS.info)
    .map((r) => `${r.method} ${r.path}${r.body ? ` ${r.body}` : ''}`);
}

describe('TechnoVE end to end through MQTT', () => {
  let sim: TechnoveSimulator;
  let h: Harness;

  const start = async (extra: Record<string, unknown> = {}) => {
    h = await startHarness({ chargers: [technoveCharger(sim.port, extra)] });
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'online');
  };
  const set = async (payload: string, key?: string) => {
    const since = h.rec.mark();
    await h.rec.publish(key ? `${STATE}/set/${key}` : `${STATE}/set`, payload);
    return h.rec.waitJson(RESPONSE, () => true, { since });
  };

  beforeEach(async () => {
    sim = new TechnoveSimulator({ maxStationCurrent: 32, maxCurrent: 24, voltage: 238, energyTotal: 1234 });
    await sim.start();
  });

  afterEach(async () => {
    await h.stop();
    await sim.stop();
  });

  it('publishes the station in canonical units, with auto charge, sharing mode and update entities', async () => {
    await start();
    sim.plugIn({ evMaxCurrent: 32 });
    sim.energySession = 12.34;
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.charging === true, { since });
    expect(s).toMatchObject({
      status: 'charging',
      vehicle_connected: true,
      charging: true,
      enabled: true,
      charge_current: 24,
      min_current: 8,
      max_current: 32,
      current: 23.75,
      voltage: 238,
      power: 5652.5, // 238 V × 23.75 A
      session_energy: 12.34,
      total_energy: 1234,
      auto_charge: true,
      sharing_mode: false,
      update_available: false,
      mode: 'manual',
      error: null,
    });
    for (const absent of ['temperature', 'state_of_charge', 'phases', 'current_l2'])
      expect(s).not.toHaveProperty(absent);
    const ha = (c: string, k: string) => h.rec.json(`homeassistant/${c}/evse2mqtt_garage/${k}/config`);
    expect(ha('switch', 'auto_charge')).toMatchObject({ command_topic: 'evse2mqtt/garage/set/auto_charge' });
    expect(ha('binary_sensor', 'sharing_mode')).toMatchObject({ entity_category: 'diagnostic' });
    expect(ha('binary_sensor', 'update_available')).toMatchObject({ device_class: 'update' });
    // a Homie device's attributes are complete once it says ready (announced ten at a time)
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    expect(h.rec.last('homie/evse2mqtt-garage/charger/auto-charge/$settable')?.payload).toBe('true');

    sim.setUpdateAvailable(true);
    const later = h.rec.mark();
    await h.clock.advance(5000);
    await h.rec.waitJson(STATE, (v) => v.update_available === true, { since: later });
  });

  it('publishes a power that agrees with the station energy: one hour at P W adds P/1000 kWh', async () => {
    await start();
    sim.plugIn();
    await h.clock.advance(5000);
    const before = await h.rec.waitJson<{ power: number; session_energy: number; charging: boolean }>(
      STATE,
      (v) => v.charging === true,
    );
    sim.tick(3_600_000);
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const after = await h.rec.waitJson<{ session_energy: number }>(
      STATE,
      (v) => v.session_energy !== before.session_energy,
      { since },
    );
    expect(after.session_energy - before.session_energy).toBeCloseTo(before.power / 1000, 2);
  });

  it('sets charge_current with partage and its leading-space key, without touching auto_charge', async () => {
    await start();
    sim.plugIn();
    const r = await set('16', 'charge_current');
    expect(r).toEqual({
      status: 'ok',
      data: { enabled: true, charge_current: 16, mode: 'manual', auto_charge: true },
    });
    const posts = sim.requestsTo('POST', PATHS.partage);
    expect(posts.map((p) => p.body)).toEqual(['{" stationNumber":1,"current":16}']);
    expect(commands(sim)).toEqual([`POST ${PATHS.partage} {" stationNumber":1,"current":16}`]);
    expect(sim.maxCurrent).toBe(16);
    const since = h.rec.mark();
    await h.clock.advance(5000);
    await h.rec.waitJson(STATE, (v) => v.charge_current === 16 && v.current === 15.75, { since });
    // two commands in a row, before any read: the station ends with the last one
    const burst = h.rec.mark();
    await Promise.all([
      h.rec.publish(`${STATE}/set/charge_current`, '10'),
      h.rec.publish(`${STATE}/set/charge_current`, '16'),
    ]);
    await h.rec.waitFor(
      (m) => m.topic === RESPONSE && m.i >= burst && m.payload.includes('"charge_current":16'),
    );
    expect(sim.maxCurrent).toBe(16);
    expect(sim.requestsTo('POST', PATHS.partage).map((r) => r.json)).toEqual([
      { ' stationNumber': 1, current: 16 },
      { ' stationNumber': 1, current: 10 },
      { ' stationNumber': 1, current: 16 },
    ]);
  });

  it('switches auto_charge off before the first stop, and only starts afterwards', async () => {
    await start();
    sim.plugIn();
    const off = await set('{"enabled": false}');
    expect(off).toMatchObject({ status: 'ok', data: { enabled: false } });
    expect(commands(sim)).toEqual([`POST ${PATHS.automatic} {"activated":false}`, `GET ${PATHS.stop}`]);
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'paused' && v.auto_charge === false, { since });
    expect(s).toMatchObject({ enabled: false, charging: false, vehicle_connected: true, current: 0 });
    const mark = sim.requests.length;
    expect(await set('ON', 'enabled')).toMatchObject({ status: 'ok', data: { enabled: true } });
    expect(commands(sim, mark)).toEqual([`GET ${PATHS.start}`]);
    await h.rec.waitJson(STATE, (v) => v.status === 'charging', { since });
  });

  it('writes auto_charge from MQTT and from Homie', async () => {
    await start();
    expect(await set('OFF', 'auto_charge')).toMatchObject({ status: 'ok', data: { auto_charge: false } });
    expect(sim.autoCharge).toBe(false);
    const since = h.rec.mark();
    await h.rec.publish('homie/evse2mqtt-garage/charger/auto-charge/set', 'true');
    await h.rec.waitJson(STATE, (v) => v.auto_charge === true, { since });
    // the first command takes control: the bridge's enabled (true) is written too, with auto_charge off
    expect(commands(sim)).toEqual([
      `POST ${PATHS.automatic} {"activated":false}`,
      `GET ${PATHS.start}`,
      `POST ${PATHS.automatic} {"activated":true}`,
    ]);
    expect(sim.autoCharge).toBe(true);
  });

  it('refuses charge_current in sharing mode with a clear error, sends nothing, and still starts and stops', async () => {
    await start();
    sim.plugIn();
    sim.setSharingMode(true, 20);
    const since = h.rec.mark();
    await h.clock.advance(5000);
    await h.rec.waitJson(STATE, (v) => v.sharing_mode === true && v.charge_current === 20, { since });
    const r = await set('16', 'charge_current');
    expect(r).toEqual({
      status: 'error',
      error:
        'charge_current: the station is in a load-sharing group (sharing mode), so the group sets its current; take it out of sharing mode in the TechnoVE app to set charge_current here',
    });
    expect(sim.requestsTo('POST', PATHS.partage)).toHaveLength(0);
    expect(sim.maxCurrent).toBe(20);
    expect(await set('OFF', 'enabled')).toMatchObject({ status: 'ok' });
    expect(sim.sessionActive).toBe(false);
  });

  it('rejects enabled false together with auto_charge true and sends nothing', async () => {
    await start();
    sim.plugIn();
    const r = await set('{"enabled": false, "auto_charge": true, "transaction": "t1"}');
    expect(r).toMatchObject({ status: 'error', transaction: 't1' });
    expect(r.error).toContain('enabled: false contradicts auto_charge: true');
    expect(commands(sim)).toEqual([]);
  });

  it('after auto_charge was set on through the bridge, a stop takes control: auto_charge off, then stop, and says so', async () => {
    await start();
    sim.plugIn();
    expect(await set('ON', 'auto_charge')).toMatchObject({ status: 'ok', data: { auto_charge: true } });
    const mark = sim.requests.length;
    const r = await set('OFF', 'enabled');
    expect(r).toMatchObject({ status: 'ok', data: { auto_charge: false, enabled: false } });
    expect(commands(sim, mark)).toEqual([`POST ${PATHS.automatic} {"activated":false}`, `GET ${PATHS.stop}`]);
    expect(sim.autoCharge).toBe(false);
    // the bridge's auto_charge target followed: asking for it again writes nothing new
    const again = sim.requests.length;
    expect(await set('{"auto_charge": false, "enabled": false}')).toMatchObject({ status: 'ok' });
    expect(commands(sim, again)).toEqual([]);
    expect(await set('ON', 'auto_charge')).toMatchObject({ status: 'ok', data: { auto_charge: true } });
    expect(sim.autoCharge).toBe(true);
  });

  it('says why when the station fails a command (HTTP 500), and keeps running', async () => {
    await start();
    sim.commandStatus = 500;
    const r = await set('16', 'charge_current');
    expect(r).toEqual({
      status: 'error',
      error: `POST ${PATHS.partage}: HTTP 500: "Internal Server Error"`,
    });
    sim.commandStatus = null;
    expect(await set('16', 'charge_current')).toMatchObject({ status: 'ok' });
  });

  it('adopts auto_charge switched back on in the app after two polls, and never re-commands over it', async () => {
    await start();
    expect(await set('off', 'mode')).toMatchObject({ status: 'ok', data: { mode: 'off', enabled: false } });
    expect(commands(sim)).toEqual([`POST ${PATHS.automatic} {"activated":false}`, `GET ${PATHS.stop}`]);
    const sent = sim.requests.length;
    sim.setAutoChargeInApp(true); // a person, in the TechnoVE app
    const since = h.rec.mark();
    for (let i = 0; i < 4; i++) await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.mode === 'manual', { since });
    expect(s).toMatchObject({ error: 'changed at the device', auto_charge: true });
    for (let i = 0; i < 4; i++) await h.clock.advance(5000);
    expect(commands(sim, sent)).toEqual([]);
    expect(h.logs.find('change made at the device adopted')).toHaveLength(1);
  });

  it('shows S as disabled, T as paused and a fault as error, without adopting the windows', async () => {
    await start();
    sim.plugIn();
    expect(await set('OFF', 'enabled')).toMatchObject({ status: 'ok' });
    expect(await set('ON', 'enabled')).toMatchObject({ status: 'ok' });
    const poll = async (pred: (v: Record<string, unknown>) => boolean) => {
      const since = h.rec.mark();
      await h.clock.advance(5000);
      return h.rec.waitJson(STATE, pred, { since });
    };
    sim.setOutOfActivationPeriod(true);
    expect(await poll((v) => v.status === 'disabled')).toMatchObject({
      vehicle_connected: true,
      charging: false,
    });
    sim.setOutOfActivationPeriod(false);
    sim.highTariffSchedule = true;
    sim.setHighTariffPeriod(true);
    expect(await poll((v) => v.status === 'paused')).toMatchObject({ enabled: true, charging: false });
    await h.clock.advance(5000);
    sim.setHighTariffPeriod(false);
    await poll((v) => v.status === 'charging');
    sim.setFault(70);
    expect(await poll((v) => v.status === 'error')).toMatchObject({
      error: 'TechnoVE: EVSE fault (status F)',
    });
    sim.setFault(null);
    expect(await poll((v) => v.status === 'charging')).toMatchObject({ mode: 'manual', error: null });
    expect(h.logs.find('change made at the device adopted')).toHaveLength(0);
  });

  it('starts the session when a car is plugged in while the bridge wants charging enabled', async () => {
    await start();
    expect(await set('OFF', 'enabled')).toMatchObject({ status: 'ok' }); // takes control: auto_charge off
    expect(await set('ON', 'enabled')).toMatchObject({ status: 'ok' }); // no car yet: nothing to start
    const mark = sim.requests.length;
    sim.plugIn();
    const since = h.rec.mark();
    await h.clock.advance(5000);
    await h.rec.waitJson(STATE, (v) => v.status === 'charging' && v.auto_charge === false, { since });
    expect(commands(sim, mark)).toEqual([`GET ${PATHS.start}`]);
  });

  it('caps charge_current at the station maximum and says so', async () => {
    await sim.stop();
    sim = new TechnoveSimulator({ maxStationCurrent: 24, maxCurrent: 16 });
    await sim.start();
    await start();
    expect(h.rec.json(STATE)).toMatchObject({ max_current: 24 });
    expect(await set('30', 'charge_current')).toMatchObject({ status: 'ok' });
    expect(sim.requestsTo('POST', PATHS.partage).map((r) => r.body)).toEqual([
      '{" stationNumber":1,"current":24}',
    ]);
    const since = h.rec.mark();
    await h.clock.advance(5000);
    await h.rec.waitJson(
      STATE,
      (v) => v.error === 'device capped charge_current at 24' && v.charge_current === 24,
      {
        since,
      },
    );
  });

  it.each<[OddReply, string]>([
    ['empty-object', 'the station returned no data ({})'],
    ['not-json', `GET ${PATHS.info}: expected a JSON object, got "<html><body>Station busy</body></html>"`],
    ['http-500', `GET ${PATHS.info}: HTTP 500: "Internal Server Error"`],
    ['partial', 'the reply lacks status and maxCurrent'],
  ])('logs a clear error for a %s reply, goes offline, and recovers', async (odd, text) => {
    await start();
    const lastSeen = Date.parse(h.rec.json(STATE).last_seen as string);
    sim.infoReply = odd;
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const log = await h.rec.waitJson<{ level: string; message: string }>('evse2mqtt/bridge/logging', (v) =>
      v.message.includes(text),
    );
    expect(log.level).toBe('warn');
    await h.clock.advance(lastSeen + 15_000 - h.clock.now());
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'offline', { since });
    expect(await set('16', 'charge_current')).toEqual({ status: 'error', error: 'charger offline' });
    sim.infoReply = null;
    const back = h.rec.mark();
    await h.clock.advance(60_000);
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'online', { since: back });
    expect(h.rec.json(STATE)).toMatchObject({ status: 'disconnected', charge_current: 24 });
  });

  it('goes offline when the station is unreachable and back online when it returns', async () => {
    await start();
    const since = h.rec.mark();
    await sim.stop();
    await h.clock.advance(20_000);
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'offline', { since });
    const back = h.rec.mark();
    await sim.start();
    await h.clock.advance(60_000);
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'online', { since: back });
  });

  it.each([
    ['release', [`POST ${PATHS.automatic} {"activated":true}`], { autoCharge: true }],
    ['pause', [`GET ${PATHS.stop}`], { autoCharge: false, sessionActive: false }],
    ['keep', [], { autoCharge: false, sessionActive: true }],
  ] as const)('on_exit %s leaves the station as documented', async (onExit, sent, after) => {
    await start({ on_exit: onExit });
    sim.plugIn();
    expect(await set('OFF', 'enabled')).toMatchObject({ status: 'ok' }); // takes control
    expect(await set('ON', 'enabled')).toMatchObject({ status: 'ok' });
    expect(sim.autoCharge).toBe(false);
    const mark = sim.requests.length;
    await h.stop({ exit: true });
    expect(commands(sim, mark)).toEqual(sent);
    expect(sim).toMatchObject(after);
    h = await startHarness({ chargers: [technoveCharger(sim.port)] }); // for afterEach
  });
});
