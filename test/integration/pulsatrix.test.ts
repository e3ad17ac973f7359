import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type PulsatrixSimOptions, PulsatrixSimulator } from '../../src/drivers/pulsatrix/simulator.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const STATE = 'evse2mqtt/garage';
const RESPONSE = 'evse2mqtt/garage/response';
const AVAILABILITY = 'evse2mqtt/garage/availability';
/** The five frames that put (and keep) the bridge's limit of `amps` on the SECC (watchdog 60 s, 3 phases). */
const hold = (amps: number | string, onePhase = false) => [
  'setTimeout\n60000',
  'setEnabled\ntrue',
  `setCurrentLimit\n${amps}`,
  `setOnePhaseLimitActive\n${onePhase}`,
  `set1p3p\n${onePhase}`,
];

function pulsatrixCharger(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'garage',
    name: 'Garage',
    type: 'pulsatrix',
    host: '127.0.0.1',
    port,
    max_current: 16,
    phases: 3,
    poll_interval: 5,
    watchdog: 60,
    ...extra,
  };
}

/** Waits (real time) until `pred` holds: for effects at the simulator that follow a sent frame. */
async function until(pred: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('pulsatrix SECC end to end through MQTT', () => {
  let sim: PulsatrixSimulator;
  let h: Harness;
  let running = false;

  async function start(
    simOpts: PulsatrixSimOptions = {},
    charger: Record<string, unknown> = {},
    waitOnline = true,
  ): Promise<void> {
    if (running) await h.stop();
    if (sim) await sim.stop();
    sim = new PulsatrixSimulator({ ownLimit: 32, ...simOpts });
    await sim.start();
    h = await startHarness({ chargers: [pulsatrixCharger(sim.port, charger)] });
    running = true;
    if (waitOnline) await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'online');
  }

  /** Sends one /set and returns the response. */
  async function set(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const since = h.rec.mark();
    await h.rec.publish(`${STATE}/set`, JSON.stringify(payload));
    return h.rec.waitJson(RESPONSE, () => true, { since });
  }

  /** Moves the SECC's simulated time and the bridge's fake clock together, in 5 s steps. */
  async function elapse(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 5000) {
      sim.tick(5000);
      await h.clock.advance(5000);
    }
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    if (running) await h.stop();
    running = false;
    await sim.stop();
  });

  it('publishes per-phase currents, L1 voltage, frequency, power and energy, and the SECC’s own limit', async () => {
    sim.plugIn({ evMaxCurrent: 32 });
    const since = h.rec.mark();
    sim.tick(3_600_000); // one hour at 31.8 A on three phases, pushed over the WebSocket
    const s = await h.rec.waitJson(STATE, (v) => v.session_energy === 22.069, { since });
    expect(s).toMatchObject({
      status: 'charging',
      vehicle_connected: true,
      charging: true,
      enabled: true,
      current: 31.8,
      current_l1: 31.8,
      current_l2: 31.8,
      current_l3: 31.8,
      voltage: 231.2, // L1
      frequency: 50.01,
      power: 22069.2, // 31.8 A × (231.2 + 230.8 + 232.0) V
      total_energy: 3665.823,
      phases: 3,
      min_current: 6,
      max_current: 16,
      mode: 'manual',
      // nothing commanded yet: the SECC runs on its own limit and the bridge says so
      charge_current: 32,
      error: "the device's limit (32 A) is above max_current (16 A); send a charge_current to take control",
    });
    expect(sim.frames).toEqual([]); // manual at start: nothing is sent
  });

  it('shows Unavailable as disabled and a controller fault as error', async () => {
    sim.plugIn({ demand: false });
    let since = h.rec.mark();
    sim.setUnavailable(true);
    expect(await h.rec.waitJson(STATE, (v) => v.status === 'disabled', { since })).toMatchObject({
      vehicle_connected: true,
      charging: false,
    });
    since = h.rec.mark();
    sim.setFault('F1');
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'error', { since });
    expect(s.error).toBe('pulsatrix: error (F1)');
  });

  it('takes control with setTimeout = watchdog, setEnabled and setCurrentLimit frames', async () => {
    sim.plugIn();
    const r = await set({ charge_current: 10.5 });
    expect(r).toEqual({
      status: 'ok',
      data: { enabled: true, charge_current: 10.5, mode: 'manual', phases: 3 },
    });
    await until(() => sim.frames.length >= 5, 'the SECC received the frames');
    expect(sim.frames).toEqual(hold(10.5));
    expect(sim.commands.every((c) => c.error === null)).toBe(true);
    expect(sim.device.api.timeout).toBe(60_000); // the device timeout is the watchdog, not the default 300 s
    expect(sim.device.offered()).toBe(10.5);
    await h.rec.waitJson(STATE, (v) => v.charge_current === 10.5 && v.current === 10.3 && v.error === null);
  });

  it('rejects a charge_current off the 0.1 A grid and sends nothing', async () => {
    const r = await set({ charge_current: 10.55 });
    expect(r).toMatchObject({ status: 'error' });
    expect(String(r.error)).toContain('charge_current: 10.55 is off the 0.1 A grid');
    expect(sim.frames).toEqual([]);
  });

  it('pauses with limit 0 keeping charge_current, and resumes with the target', async () => {
    sim.plugIn();
    await set({ charge_current: 12 });
    await until(() => sim.frames.length === 5, 'control taken');
    let since = h.rec.mark();
    expect(await set({ enabled: false })).toMatchObject({
      status: 'ok',
      data: { enabled: false, charge_current: 12 },
    });
    await until(() => sim.frames.length === 6, 'the pause frame arrived');
    expect(sim.frames[5]).toBe('setCurrentLimit\n0');
    const paused = await h.rec.waitJson(STATE, (v) => v.status === 'paused', { since });
    expect(paused).toMatchObject({ enabled: false, charge_current: 12, vehicle_connected: true });
    await h.rec.waitJson(STATE, (v) => v.charging === false && v.current === 0, { since });
    expect(sim.device.offered()).toBe(0);
    since = h.rec.mark();
    await set({ enabled: true });
    await until(() => sim.frames.length === 7, 'the resume frame arrived');
    expect(sim.frames[6]).toBe('setCurrentLimit\n12');
    await h.rec.waitJson(STATE, (v) => v.status === 'charging' && v.current === 11.8, { since });
  });

  it('switches to one phase with the one-phase limit', async () => {
    sim.plugIn();
    await set({ charge_current: 16 });
    await until(() => sim.frames.length === 5, 'control taken');
    const since = h.rec.mark();
    expect(await set({ phases: 1 })).toMatchObject({ status: 'ok', data: { phases: 1 } });
    await until(() => sim.frames.length === 7, 'the phase frames arrived');
    expect(sim.frames.slice(5)).toEqual(['setOnePhaseLimitActive\ntrue', 'set1p3p\ntrue']);
    const s = await h.rec.waitJson(STATE, (v) => v.phases === 1 && v.current_l2 === 0, { since });
    expect(s).toMatchObject({ current_l1: 15.8, current_l3: 0 });
  });

  it('keeps the SECC on the bridge limit past the watchdog; once the bridge is gone the SECC returns to its own limit', async () => {
    sim.plugIn();
    await set({ charge_current: 10 });
    await until(() => sim.frames.length === 5, 'control taken');
    await elapse(80_000); // longer than the 60 s device timeout
    expect(sim.device.apiValid()).toBe(true);
    expect(sim.device.offered()).toBe(10);
    const resent = sim.frames.slice(5);
    expect(resent.length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < resent.length; i += 5) expect(resent.slice(i, i + 5)).toEqual(hold(10));
    expect(h.rec.json(STATE)).toMatchObject({ charge_current: 10, current: 9.8, status: 'charging' });

    await h.stop(); // no on_exit: as if the bridge died
    running = false;
    const frames = sim.frames.length;
    sim.tick(60_000);
    expect(sim.frames.length).toBe(frames);
    expect(sim.device.apiValid()).toBe(false);
    expect(sim.device.offered()).toBe(32); // its own limit, above the bridge's max_current of 16 A
    expect(sim.device.bodies().charging.signaledAmperage).toBe(32);
  });

  it('tolerates bare NaN in pushed frames, text before the JSON, and garbage frames', async () => {
    expect(h.rec.json(STATE)).toMatchObject({ charge_current: 32, enabled: true }); // /limits amperageLimit NaN
    sim.framePrefix = '[secc] ';
    let since = h.rec.mark();
    sim.plugIn({ demand: false });
    await h.rec.waitJson(STATE, (v) => v.vehicle_connected === true && v.status === 'connected', { since });
    since = h.rec.mark();
    sim.pushRaw(
      '{"topic":"charging","message":{"voltage":[NaN,230.8,232],"amperage":[0,0,0],"frequency":NaN,"energyImported":3643.9,"lastActivePower":0}}',
    );
    sim.pushRaw('not json at all');
    sim.pushRaw('{"topic":"charging","message":[1,2]}');
    await h.rec.waitJson(
      STATE,
      (v) => v.voltage === null && v.frequency === null && v.total_energy === 3643.9,
      {
        since,
      },
    );
    expect(h.logs.find('could not parse').length).toBe(2);
    since = h.rec.mark();
    sim.setDemand(true);
    await h.rec.waitJson(STATE, (v) => v.status === 'charging', { since });
  });

  it('reconnects after a WebSocket drop without going offline and re-sends its limit', async () => {
    await set({ charge_current: 8 });
    await until(() => sim.frames.length === 5, 'control taken');
    const since = h.rec.mark();
    sim.reboot(); // the SECC restarted: its API limits are gone, the socket with them
    sim.dropClients();
    await h.clock.advance(1000); // the reconnect
    await until(() => sim.wsClients === 1, 'the bridge reconnected');
    await until(() => sim.frames.length === 10, 'the limit was sent again');
    expect(sim.frames.slice(5)).toEqual(hold(8));
    expect(sim.device.offered()).toBe(8);
    sim.plugIn();
    await h.rec.waitJson(STATE, (v) => v.status === 'charging' && v.current === 7.8, { since });
    expect(h.rec.on(AVAILABILITY, since).filter((m) => m.payload.includes('offline'))).toHaveLength(0);
  });

  it('goes offline at once when the SECC disappears, and online again with its limit restored', async () => {
    await set({ charge_current: 9 });
    await until(() => sim.frames.length === 5, 'control taken');
    const since = h.rec.mark();
    await sim.stop();
    await h.clock.advance(1000); // the one reconnect attempt fails
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'offline', { since });
    expect(await set({ charge_current: 10 })).toEqual({ status: 'error', error: 'charger offline' });
    sim.reboot();
    await sim.start();
    await h.clock.advance(30_000);
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'online', { since });
    await until(() => sim.device.offered() === 9, 'the SECC holds the bridge limit again');
  });

  it('sends the limit again by PUT /limits when the SECC reports it lost it twice in a row', async () => {
    await set({ charge_current: 11 });
    await until(() => sim.frames.length === 5, 'control taken');
    sim.device.command('setCurrentLimit', 'NaN'); // another API client gave the limit back
    await h.clock.advance(5000);
    await h.clock.advance(5000);
    await until(() => sim.requestsTo('PUT', '/api/v1/limits').length === 1, 'PUT /limits');
    expect(sim.requestsTo('PUT', '/api/v1/limits')[0]!.body).toBe(
      '{"setTimeout":60000,"timeout":60000,"enabled":true,"setAmperageLimit":11,"amperageLimit":11,"setOnePhaseLimit":false}',
    );
    expect(sim.device.offered()).toBe(11);
    expect(h.logs.find("does not hold the bridge's limit of 11 A").length).toBe(1);
  });

  it('on_exit release gives control back with limit NaN', async () => {
    await set({ charge_current: 10 });
    await until(() => sim.frames.length === 5, 'control taken');
    await h.stop({ exit: true });
    running = false;
    await until(() => sim.frames.length === 6, 'the release frame arrived');
    expect(sim.frames[5]).toBe('setCurrentLimit\nNaN');
    expect(sim.device.offered()).toBe(32);
  });

  it('on_exit pause leaves limit 0, which lasts only until the watchdog expires', async () => {
    await start({}, { on_exit: 'pause' });
    sim.plugIn();
    await set({ charge_current: 10 });
    await until(() => sim.frames.length === 5, 'control taken');
    await h.stop({ exit: true });
    running = false;
    await until(() => sim.frames.length === 7, 'the pause frames arrived');
    expect(sim.frames.slice(5)).toEqual(['setTimeout\n60000', 'setCurrentLimit\n0']);
    expect(sim.device.bodies().transaction.state).toBe('SUSPENDED_EVSE');
    sim.tick(60_000);
    expect(sim.device.offered()).toBe(32);
    expect(sim.device.bodies().transaction.state).toBe('CHARGING');
  });

  it('authenticates REST and WebSocket with basic auth', async () => {
    await start({ user: 'admin', password: 'pw' }, { user: 'admin', password: 'pw' });
    const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
    expect(sim.requests.length).toBeGreaterThanOrEqual(4);
    expect(sim.requests.every((r) => r.authorization === basic)).toBe(true);
    expect(sim.upgrades).toEqual([basic]);
    await set({ charge_current: 7 });
    await until(() => sim.frames.length === 5, 'frames over the authenticated socket');
  });

  it('authenticates with a bearer token, and says so when the SECC refuses it', async () => {
    await start({ token: 'tok-123' }, { token: 'tok-123' });
    expect(sim.requests.every((r) => r.authorization === 'Bearer tok-123')).toBe(true);
    expect(sim.upgrades).toEqual(['Bearer tok-123']);

    await start({ token: 'tok-123' }, { token: 'bad-tok-987' }, false);
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'offline');
    expect(h.logs.find('the SECC refused the credentials').length).toBeGreaterThanOrEqual(1);
    expect(h.logs.text()).not.toContain('bad-tok-987');
    expect(sim.wsClients).toBe(0);
  });

  it('refuses phases on a charger wired for one phase', async () => {
    await start({ phasesWired: 1 }, { phases: 1 });
    const r = await set({ phases: 3 });
    expect(r).toMatchObject({ status: 'error' });
    expect(String(r.error)).toContain('"phases" is read-only');
    expect(h.rec.json(STATE).phases).toBe(1);
    expect(sim.frames).toEqual([]);
  });

  it('refuses one phase on a SECC without a phase shut-off relay, naming why', async () => {
    await start({ phaseShutoff: false });
    const r = await set({ phases: 1 });
    expect(r).toEqual({
      status: 'error',
      error:
        'phases: this SECC has no phase shut-off relay (hasPhaseShutoff false); it cannot switch to 1 phase',
    });
    expect(sim.frames).toEqual([]);
  });
});
