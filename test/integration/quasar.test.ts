import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { REG } from '../../src/drivers/wallbox-quasar/registers.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const STATE = 'evse2mqtt/v2g';
const RESPONSE = 'evse2mqtt/v2g/response';
const AVAIL = 'evse2mqtt/v2g/availability';
const TAKE_CONTROL = [
  [REG.control, 1],
  [REG.autostart, 0],
  [REG.setpointType, 0],
  [REG.idleTimeout, 60],
];

type State = Record<string, unknown>;

function quasar(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'v2g',
    name: 'V2G',
    type: 'wallbox-quasar',
    host: '127.0.0.1',
    port,
    max_current: 32,
    max_discharge_current: 16,
    min_state_of_charge: 20,
    poll_interval: 5,
    watchdog: 60,
    ...extra,
  };
}

describe('Wallbox Quasar end to end through MQTT and Modbus TCP', () => {
  let sim: QuasarSimulator;
  let h: Harness;
  let running = false;

  /** (Re)starts the bridge on the simulator, its fake clock driving the simulated physics. */
  async function start(extra: Record<string, unknown> = {}): Promise<void> {
    if (running) await h.stop();
    h = await startHarness({ chargers: [quasar(sim.port, extra)] });
    running = true;
    sim.follow(() => h.clock.now());
    await h.rec.waitJson(AVAIL, (v) => v.state === 'online');
  }

  async function stopBridge(exit: boolean): Promise<void> {
    running = false;
    await h.stop({ exit });
  }

  /** Sends a /set and returns the response. */
  async function set(payload: Record<string, unknown>): Promise<State> {
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/v2g/set', JSON.stringify(payload));
    return h.rec.waitJson(RESPONSE, () => true, { since });
  }

  /** Writes since `from`, as [register, signed value]. */
  const writes = (from = 0) => sim.writes.slice(from).map((w) => [w.register, w.value]);

  /** Advances the bridge clock in poll steps and returns the next state matching `pred`. */
  async function polls(n: number, pred: (s: State) => boolean = () => true): Promise<State> {
    const since = h.rec.mark();
    for (let i = 0; i < n; i++) await h.clock.advance(5000);
    const last = h.rec.json(STATE); // published on change only: the last one is the current state
    return pred(last) ? last : h.rec.waitJson(STATE, pred, { since, timeoutMs: 2000 });
  }

  beforeEach(async () => {
    sim = new QuasarSimulator({ latencyMs: 2 }); // under user control, the app charges a car at once
    await sim.start();
    await start();
  });

  afterEach(async () => {
    if (running) await h.stop();
    running = false;
    await sim.stop();
  });

  it('publishes signed power and current while discharging, and a null SoC while idle; sends nothing at start', async () => {
    sim.plugIn({ soc: 64 });
    Object.assign(sim, { control: 1, autostart: 0, setpoint: -11, running: true }); // V2G started by another tool
    const s = await polls(1, (v) => v.status === 'discharging');
    expect(s).toMatchObject({
      status: 'discharging',
      vehicle_connected: true,
      charging: true,
      enabled: true,
      charge_current: -11,
      current: -11,
      voltage: 230,
      power: -2530,
      state_of_charge: 64,
      min_current: 6,
      max_current: 32,
      mode: 'manual',
      error: null,
    });
    sim.running = false; // stopped: the SoC register reads 0
    const idle = await polls(1, (v) => v.status === 'paused');
    expect(idle).toMatchObject({
      power: 0,
      current: 0,
      state_of_charge: null,
      enabled: false,
      charging: false,
    });
    expect(sim.writes).toHaveLength(0); // manual at start: the device's values are adopted
  });

  it('takes control at the first command and writes signed setpoints both ways, in order', async () => {
    sim.plugIn({ soc: 64 });
    await polls(1, (v) => v.status === 'charging' && v.charge_current === 32); // the app's 32 A, adopted
    expect(await set({ charge_current: 16 })).toEqual({
      status: 'ok',
      data: { enabled: true, charge_current: 16, mode: 'manual' },
    });
    expect(writes()).toEqual([...TAKE_CONTROL, [REG.currentSetpoint, 16], [REG.action, 1]]);
    await h.rec.waitJson(
      STATE,
      (v) => v.status === 'charging' && v.power === 3680 && v.state_of_charge === 64,
    );

    const n = sim.writes.length;
    expect(await set({ charge_current: -10 })).toMatchObject({ status: 'ok', data: { charge_current: -10 } });
    expect(writes(n)).toEqual([
      [REG.currentSetpoint, -10],
      [REG.action, 1],
    ]);
    expect(sim.writes[n]!.raw).toBe(65526); // two's complement on the wire
    const d = await h.rec.waitJson(STATE, (v) => v.status === 'discharging');
    expect(d).toMatchObject({ charge_current: -10, current: -10, power: -2300, charging: true });

    const m = sim.writes.length;
    expect(await set({ enabled: false })).toMatchObject({ status: 'ok', data: { enabled: false } });
    expect(writes(m)).toEqual([
      [REG.action, 2],
      [REG.currentSetpoint, -10],
    ]);
    await h.rec.waitJson(STATE, (v) => v.status === 'paused' && v.power === 0);
    expect(sim.writes.every((w) => !w.ignored)).toBe(true);
    expect(sim.maxInFlight).toBe(1);
  });

  it('never has two requests in flight, even when a /get and a /set arrive together', async () => {
    sim.plugIn({ soc: 64 });
    sim.latencyMs = 10;
    const since = h.rec.mark();
    await Promise.all([
      h.rec.publish('evse2mqtt/v2g/get', ''),
      h.rec.publish('evse2mqtt/v2g/set/charge_current', '12'),
      h.rec.publish('evse2mqtt/v2g/get', ''),
    ]);
    await h.rec.waitJson(RESPONSE, (v) => v.status === 'ok', { since });
    await h.rec.waitJson(STATE, (v) => v.charge_current === 12 && v.power === 2760, { since });
    await h.clock.advance(0);
    expect(sim.maxInFlight).toBe(1);
  });

  it('idles at setpoint 0 by stopping the charger, without taking it for a change at the device', async () => {
    sim.plugIn({ soc: 64 });
    await set({ charge_current: 16 });
    const n = sim.writes.length;
    expect(await set({ charge_current: 0 })).toMatchObject({ status: 'ok', data: { charge_current: 0 } });
    expect(writes(n)).toEqual([
      [REG.action, 2],
      [REG.currentSetpoint, 0],
    ]);
    const s = await polls(3);
    expect(s).toMatchObject({ status: 'connected', enabled: true, charge_current: 0, power: 0, error: null });
    expect(sim.writes).toHaveLength(n + 2);
  });

  it('rejects a discharge with an unknown or too low state of charge, or too small, and writes nothing', async () => {
    sim.appCharging = false; // plugged in, paused in the app: the SoC register reads 0
    sim.plugIn({ soc: 64 });
    await polls(1, (v) => v.vehicle_connected === true && v.state_of_charge === null);
    expect(await set({ charge_current: -10 })).toEqual({
      status: 'error',
      error: 'charge_current: cannot discharge while the state of charge is unknown',
    });
    expect(await set({ charge_current: -3 })).toEqual({
      status: 'error',
      error: 'charge_current: -3 is too small; use 0 (idle) or a magnitude of at least 6 A',
    });
    expect(sim.writes).toHaveLength(0);

    await set({ enabled: true, charge_current: 16 });
    sim.soc = 20;
    await polls(1, (v) => v.state_of_charge === 20);
    const n = sim.writes.length;
    expect(await set({ charge_current: -10 })).toEqual({
      status: 'error',
      error: 'charge_current: cannot discharge: state of charge 20 % is not above min_state_of_charge (20 %)',
    });
    expect(sim.writes).toHaveLength(n);
  });

  it('rejects any discharge when max_discharge_current is 0', async () => {
    await start({ max_discharge_current: 0 });
    sim.plugIn({ soc: 80 });
    await set({ charge_current: 16 });
    await polls(1, (v) => v.state_of_charge === 80);
    const n = sim.writes.length;
    const r = await set({ charge_current: -10 });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/^charge_current: /); // today: "-10 is out of range; allowed 6 to 32 A"
    expect(sim.writes).toHaveLength(n);
  });

  it('arms the idle timeout, and the charger stops by itself when the bridge stops without on_exit', async () => {
    sim.plugIn({ soc: 50 });
    await set({ charge_current: 16 });
    expect(sim.idleTimeout).toBe(60);
    await polls(24); // two minutes of polls feed the idle timeout
    expect(sim.idleStops).toBe(0);
    expect(sim.state()).toBe(1);
    await stopBridge(false);
    expect(sim.writes.at(-1)).toMatchObject({ register: REG.action, value: 1 }); // nothing written at stop
    sim.tick(59_000);
    expect(sim.state()).toBe(1);
    sim.tick(1_000);
    expect(sim.idleStops).toBe(1);
    expect(sim.state()).toBe(4);
    expect(sim.powerW()).toBe(0);
  });

  it('on_exit release hands control back to the Wallbox app (0x51 = 0)', async () => {
    sim.plugIn({ soc: 50 });
    await set({ charge_current: 16 });
    const n = sim.writes.length;
    await stopBridge(true);
    expect(writes(n)).toEqual([[REG.control, 0]]);
    expect({ control: sim.control, autostart: sim.autostart, idle: sim.idleTimeout }).toEqual({
      control: 0,
      autostart: 1,
      idle: 0,
    });
  });

  it('on_exit pause stops the charger (action 2) and leaves it under remote control', async () => {
    await start({ on_exit: 'pause' });
    sim.plugIn({ soc: 50 });
    await set({ charge_current: 16 });
    const n = sim.writes.length;
    await stopBridge(true);
    expect(writes(n)).toEqual([[REG.action, 2]]);
    expect(sim.state()).toBe(4);
    expect(sim.control).toBe(1);
  });

  it('adopts a person taking control in the app, and takes control back only at the next command', async () => {
    sim.plugIn({ soc: 50 });
    expect(await set({ mode: 'fast' })).toMatchObject({
      status: 'ok',
      data: { mode: 'fast', charge_current: 32 },
    });
    await h.rec.waitJson(STATE, (v) => v.status === 'charging' && v.charge_current === 32);
    sim.takeUserControl({ current: 10, charging: true }); // in the Wallbox app
    const adopted = await polls(3, (v) => v.error === 'changed at the device');
    expect(adopted).toMatchObject({ mode: 'manual', charge_current: 10, current: 10, status: 'charging' });
    const n = sim.writes.length;
    await polls(4);
    expect(sim.writes).toHaveLength(n); // never re-commands over a person
    expect(sim.control).toBe(0);

    expect(await set({ charge_current: 12 })).toMatchObject({ status: 'ok', data: { charge_current: 12 } });
    expect(writes(n)).toEqual([...TAKE_CONTROL, [REG.currentSetpoint, 12], [REG.action, 1]]);
    await h.rec.waitJson(STATE, (v) => v.charge_current === 12 && v.current === 12 && v.error === null);
  });

  it('starts a car plugged in under the bridge control (autostart is off)', async () => {
    await set({ charge_current: 16 });
    const n = sim.writes.length;
    sim.plugIn({ soc: 40 });
    const s = await polls(2, (v) => v.status === 'charging');
    expect(s).toMatchObject({ power: 3680, enabled: true, error: null });
    expect(writes(n)).toEqual([[REG.action, 1]]);
  });

  it('integrates session energy from power in agreement with the charger’s own figure', async () => {
    await polls(1);
    expect(h.rec.json(STATE).session_energy).toBeNull(); // no plug-in seen yet
    sim.appCharging = false;
    sim.plugIn({ soc: 30 });
    await polls(1, (v) => v.session_energy === 0);
    await set({ enabled: true, charge_current: 16 });
    const since = h.rec.mark();
    await polls(24); // two minutes at 3680 W
    expect(sim.sessionWh).toBeGreaterThan(100);
    const kwh = sim.sessionWh / 1000; // the charger's own figure at the last read
    const s = await h.rec.waitJson(STATE, (v) => Math.abs((v.session_energy as number) - kwh) < 0.0006, {
      since,
      timeoutMs: 2000,
    });
    expect(s.session_energy).toBeCloseTo(kwh, 3);
  });

  it('detects a hung Modbus server, goes offline, reconnects with back-off and recovers by itself', async () => {
    await polls(1);
    sim.hang = true; // connections accepted, requests never answered
    const since = h.rec.mark();
    for (let i = 0; i < 4; i++) await h.clock.advance(5000);
    await h.rec.waitJson(AVAIL, (v) => v.state === 'offline', { since });
    expect(h.logs.find('no answer within 3 s').length).toBeGreaterThan(0);
    expect(sim.connectionsAccepted).toBeGreaterThan(1); // it reconnected
    // one request per connection, never two in flight: each hung connection holds exactly one
    expect(sim.unanswered).toBe(sim.connectionsAccepted);
    expect(sim.maxInFlight).toBe(1);
    const back = h.rec.mark();
    sim.hang = false;
    for (let i = 0; i < 12; i++) await h.clock.advance(5000);
    await h.rec.waitJson(AVAIL, (v) => v.state === 'online', { since: back });
    await h.rec.waitJson(STATE, (v) => v.status === 'disconnected', { since: back });
  });

  it('answers a command with an error when the server stops answering mid-stream, then recovers', async () => {
    sim.plugIn({ soc: 50 });
    await set({ charge_current: 16 });
    await h.clock.advance(0); // the read that follows a command is over
    sim.hangAfter(1); // the setpoint is answered, the start never is
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/v2g/set/charge_current', '20');
    await new Promise((r) => setTimeout(r, 50));
    await h.clock.advance(3000);
    const r = await h.rec.waitJson(RESPONSE, () => true, { since });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/write 1 to 0x0101: no answer within 3 s \(the Modbus server may have hung\)/);
    sim.hang = false;
    const s = await polls(6, (v) => v.charge_current === 20);
    expect(s).toMatchObject({ status: 'charging' });
  });

  it('answers a refused write with the device’s reason and keeps running', async () => {
    sim.plugIn({ soc: 50 });
    await set({ charge_current: 16 });
    sim.refuseWrites(REG.currentSetpoint);
    const r = await set({ charge_current: 20 });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/write 20 to 0x0102: the device refused: Modbus exception 3/);
    const s = await polls(1);
    expect(s).toMatchObject({ charge_current: 16, status: 'charging' });
    expect(h.rec.json(AVAIL)).toEqual({ state: 'online' });
  });

  it('shows a charger fault with its error codes', async () => {
    sim.plugIn({ soc: 50 });
    await polls(1, (v) => v.vehicle_connected === true);
    sim.setError({ unrecoverable: 0x00010002 });
    const s = await polls(1, (v) => v.status === 'error');
    expect(s.error).toBe('Quasar: error (unrecoverable error code 65538)');
    expect(s.vehicle_connected).toBe(true);
  });
});
