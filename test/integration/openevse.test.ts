import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId, CLIENT } from '../../src/drivers/openevse/wire.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { Recorder } from '../helpers/recorder.js';

const STATE = 'evse2mqtt/garage';
const CLIENT_ID = bridgeClientId('evse2mqtt');

describe('OpenEVSE end to end through MQTT', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeEach(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
    h = await startHarness({ chargers: [openevseCharger(sim.port)] });
  });

  afterEach(async () => {
    await h.stop();
    await sim.stop();
  });

  it('publishes the charger state in canonical units (mA → A, Wh → kWh, 0.1 °C → °C)', async () => {
    sim.plugIn({ evMaxCurrent: 32, batteryLevel: 55 });
    sim.sessionWh = 7950.78;
    sim.totalKwh = 7875.444;
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.charging === true && v.session_energy === 7.951, {
      since,
    });
    expect(s).toMatchObject({
      status: 'charging',
      vehicle_connected: true,
      charging: true,
      enabled: true,
      charge_current: 32,
      min_current: 6,
      max_current: 32,
      current: 31.85, // amp 31850 mA
      voltage: 230,
      power: 7325.5,
      session_energy: 7.951, // 7950.78 Wh
      total_energy: 7875.444, // kWh as the device reports it
      temperature: 31.2, // temp 312 = 31.2 °C
      state_of_charge: 55,
      phases: 1,
      mode: 'manual',
      failsafe: null,
      error: null,
    });
    expect(typeof s.last_seen).toBe('string');
    expect(h.rec.last(STATE)!.qos).toBe(1);
    const retained = await Recorder.retained(h.url, [STATE]);
    expect(retained).toHaveLength(1);
    expect(JSON.parse(retained[0]!.payload)).toMatchObject({ session_energy: 7.951 });
  });

  it('moves the pilot to 10 A through its own claim when charge_current 10 is set', async () => {
    sim.plugIn();
    await h.clock.advance(5000);
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '10');
    const resp = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since });
    expect(resp).toEqual({ status: 'ok', data: { enabled: true, charge_current: 10, mode: 'manual' } });
    expect(sim.pilot()).toBe(10);
    const posts = sim.requestsTo('POST', `/claims/${CLIENT_ID}`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.json).toEqual({ state: 'active', charge_current: 10, auto_release: false });
    expect(sim.requestsTo('POST', '/override')).toHaveLength(0);
    await h.rec.waitJson(STATE, (v) => v.charge_current === 10 && v.current === 9.85, { since });
  });

  it('pauses with the bridge claim disabled and shows paused, not disabled', async () => {
    sim.plugIn();
    await h.clock.advance(5000);
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set', JSON.stringify({ enabled: false, transaction: 'tx-1' }));
    const resp = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since });
    expect(resp).toMatchObject({ status: 'ok', transaction: 'tx-1', data: { enabled: false } });
    expect(sim.claim(CLIENT_ID)).toMatchObject({ state: 'disabled', auto_release: false });
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'paused', { since });
    expect(s).toMatchObject({ enabled: false, charging: false, vehicle_connected: true });
  });

  it('accepts every boolean spelling for enabled', async () => {
    sim.plugIn();
    for (const [payload, expected] of [
      ['OFF', false],
      ['true', true],
      ['0', false],
      ['ON', true],
      ['false', false],
      ['1', true],
    ] as const) {
      const since = h.rec.mark();
      await h.rec.publish('evse2mqtt/garage/set/enabled', payload);
      const r = await h.rec.waitJson<{ status: string; data: { enabled: boolean } }>(
        'evse2mqtt/garage/response',
        () => true,
        { since },
      );
      expect(r.status).toBe('ok');
      expect(r.data.enabled).toBe(expected);
      expect(sim.claim(CLIENT_ID)?.state).toBe(expected ? 'active' : 'disabled');
    }
  });

  it('answers a repeated /set ok without writing to the charger again', async () => {
    for (let i = 0; i < 3; i++) {
      const since = h.rec.mark();
      await h.rec.publish('evse2mqtt/garage/set', '{"charge_current": 12}');
      const r = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since });
      expect(r).toMatchObject({ status: 'ok', data: { charge_current: 12 } });
    }
    expect(sim.requestsTo('POST', `/claims/${CLIENT_ID}`)).toHaveLength(1);
  });

  it('adopts a person’s override at the unit after two polls and never re-commands over it', async () => {
    sim.plugIn();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '16');
    await h.rec.waitJson(STATE, (v) => v.charge_current === 16);
    const posts = sim.requestsTo('POST', `/claims/${CLIENT_ID}`).length;
    sim.setOverride({ state: 'disabled' }); // a person presses the button at the unit
    const since = h.rec.mark();
    await h.clock.advance(5000);
    await h.clock.advance(5000);
    await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.mode === 'manual' && v.error === 'changed at the device', {
      since,
    });
    expect(s).toMatchObject({ status: 'disabled', enabled: false });
    await h.clock.advance(5000);
    expect(sim.requestsTo('POST', `/claims/${CLIENT_ID}`)).toHaveLength(posts);
    expect(sim.claim(CLIENT.manual)).toMatchObject({ state: 'disabled' });
  });

  it('says when the unit caps the current below the bridge target', async () => {
    sim.plugIn();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '24');
    await h.rec.waitJson(STATE, (v) => v.charge_current === 24);
    sim.setMaxCurrentSoft(16); // the owner lowers the max at the unit
    const since = h.rec.mark();
    await h.clock.advance(5000);
    const s = await h.rec.waitJson(STATE, (v) => v.error === 'device capped charge_current at 16', { since });
    expect(s).toMatchObject({ charge_current: 16, max_current: 16, mode: 'manual' });
  });

  it('says when the unit runs above max_current before the bridge took control, and takes control on a command', async () => {
    await h.stop();
    h = await startHarness({ chargers: [openevseCharger(sim.port, { max_current: 16 })] });
    const s = await h.rec.waitJson(STATE, (v) => v.charge_current === 32);
    expect(s.error).toBe(
      "the device's limit (32 A) is above max_current (16 A); send a charge_current to take control",
    );
    expect(sim.requestsTo('POST', '/claims')).toHaveLength(0); // manual at start: nothing is sent
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '16');
    await h.rec.waitJson(STATE, (v) => v.charge_current === 16 && v.error === null);
  });

  it('publishes pushed changes from /ws without waiting for a poll', async () => {
    await h.rec.waitJson(STATE, (v) => v.vehicle_connected === false);
    const since = h.rec.mark();
    sim.plugIn();
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'charging', { since });
    expect(s.vehicle_connected).toBe(true);
  });

  it('reads now on /get, and concurrent /gets share one read', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const before = sim.requestsTo('GET', '/status').length;
    await Promise.all([1, 2, 3].map(() => h.rec.publish('evse2mqtt/garage/get', '')));
    await new Promise((r) => setTimeout(r, 150));
    const reads = sim.requestsTo('GET', '/status').length - before;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThan(3);
  });

  it('goes offline after 3 × poll_interval without an answer, and online again by itself', async () => {
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    sim.hang = true; // HTTP accepted, never answered; the WebSocket stays up
    const lastSeen = Date.parse(h.rec.json(STATE).last_seen as string);
    const since = h.rec.mark();
    await h.clock.advance(lastSeen + 14_900 - h.clock.now());
    expect(
      h.rec.on('evse2mqtt/garage/availability', since).filter((m) => m.payload.includes('offline')),
    ).toHaveLength(0);
    await h.clock.advance(100);
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'offline', { since });
    const retained = await Recorder.retained(h.url, ['evse2mqtt/garage/availability']);
    expect(retained.map((m) => m.payload)).toEqual(['{"state":"offline"}']);
    const back = h.rec.mark();
    sim.hang = false;
    await h.clock.advance(60_000);
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online', { since: back });
  });

  it('goes offline at once when the push socket closes and its reconnect fails; recovers on restart', async () => {
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    const since = h.rec.mark();
    await sim.stop();
    await h.clock.advance(1_000); // the one reconnect attempt
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'offline', { since });
    const back = h.rec.mark();
    await sim.start();
    await h.clock.advance(30_000);
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online', { since: back });
    expect(sim.wsClients).toBe(1);
  });

  it('answers commands to an offline charger with "charger offline" and sends nothing', async () => {
    await sim.stop();
    await h.clock.advance(20_000);
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'offline');
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '10');
    const r = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since });
    expect(r).toEqual({ status: 'error', error: 'charger offline' });
    expect(sim.requestsTo('POST', '/claims')).toHaveLength(0);
  });

  it('on_exit release deletes the bridge claim', async () => {
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '10');
    await h.rec.waitJson(STATE, (v) => v.charge_current === 10);
    expect(sim.claimClients()).toContain(CLIENT_ID);
    await h.stop({ exit: true });
    expect(sim.claimClients()).not.toContain(CLIENT_ID);
    expect(sim.requestsTo('DELETE', `/claims/${CLIENT_ID}`)).toHaveLength(1);
    h = await startHarness({ chargers: [openevseCharger(sim.port)] }); // for afterEach
  });
});

describe('OpenEVSE WiFi 2.x (no claims): driven through RAPI', () => {
  it('sets the pilot with $SC and pauses with $FS, and reads the result back', async () => {
    const sim = new OpenEvseSimulator({ firmware: 'v2', maxCurrentSoft: 32 });
    await sim.start();
    const h = await startHarness({ chargers: [openevseCharger(sim.port)] });
    try {
      sim.plugIn();
      await h.clock.advance(5000);
      let since = h.rec.mark();
      await h.rec.publish('evse2mqtt/garage/set/charge_current', '13');
      expect(await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since })).toMatchObject({
        status: 'ok',
      });
      const rapi = sim
        .requestsTo('GET', '/r?')
        .map((r) => new URL(r.path, 'http://x').searchParams.get('rapi'));
      expect(rapi).toEqual(['$SC 13 V', '$FE']);
      expect(sim.pilot()).toBe(13);
      expect(sim.requestsTo('POST', '/claims')).toHaveLength(0);
      await h.clock.advance(5000);
      await h.rec.waitJson(STATE, (v) => v.charge_current === 13, { since });

      since = h.rec.mark();
      await h.rec.publish('evse2mqtt/garage/set', '{"enabled": false}');
      expect(await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since })).toMatchObject({
        status: 'ok',
      });
      expect(sim.rapi.state).toBe('sleep');
      await h.clock.advance(5000);
      await h.rec.waitJson(STATE, (v) => v.enabled === false && v.charging === false, { since });
    } finally {
      await h.stop();
      await sim.stop();
    }
  });

  it('the v5 simulator answers RAPI getters with the checksum and blocks setters, as v5 builds do', async () => {
    const sim = new OpenEvseSimulator();
    await sim.start();
    try {
      const get = (cmd: string) =>
        fetch(`http://127.0.0.1:${sim.port}/r?json=1&rapi=${encodeURIComponent(cmd)}`).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, string>,
        }));
      // RAPI over HTTP (the driver's README): `{"cmd","ret"}`, the reply with its XOR checksum `^xx`
      expect(await get('$GV')).toEqual({ status: 200, body: { cmd: '$GV', ret: '$OK 7.1.3 5.1.3^22' } });
      expect(await get('$SC 13')).toEqual({
        status: 400,
        body: { cmd: '$SC 13', error: 'RAPI_RESPONSE_BLOCKED' },
      });
    } finally {
      await sim.stop();
    }
  });
});
