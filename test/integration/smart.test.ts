/**
 * Smart charging end to end (docs/engine.md and its plan entities): the real bridge, the OpenEVSE
 * simulator over HTTP, the tariff's zones in Europe/Paris and a fake clock. What a user sees:
 * `<base>/<id>/plan`, the charger state, the claim arriving at the simulator, `/set` responses.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Recorder } from '../helpers/recorder.js';

const CLIENT = bridgeClientId('evse2mqtt');
const PLAN = 'evse2mqtt/garage/plan';
const TARIFF = {
  currency: 'EUR',
  zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
  default_price: 0.25,
  topic: 'energy/prices',
};

interface Plan {
  state: string;
  deadline: string | null;
  energy: number | null;
  charged_energy: number;
  considerations: Record<string, boolean>;
  slots: Array<{ start: string; end: string; current: number }>;
  next_start: string | null;
  estimated_cost: number | null;
  non_smart_cost: number | null;
  currency: string | null;
}
type Response = { status: string; data?: Record<string, unknown>; error?: string };

describe('smart charging with the OpenEVSE simulator and a fake clock', () => {
  let h: Harness;
  let sim: OpenEvseSimulator;

  async function start(localStart: string, charger: Record<string, unknown> = {}, interval = 10) {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 16 }); // the unit's own limit within max_current
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    h = await startHarness({
      clock: new ManualClock(Date.parse(localStart)),
      chargers: [openevseCharger(sim.port, { max_current: 16, ...charger })],
      config: { site: { interval, timezone: 'Europe/Paris' }, tariff: TARIFF },
    });
    await h.clock.advance(1000);
  }

  /** Fake time passes in steps; the simulated car charges meanwhile. */
  async function run(seconds: number, step = 30): Promise<void> {
    for (let t = 0; t < seconds; t += step) {
      sim.tick(step * 1000);
      await h.clock.advance(step * 1000);
    }
  }

  async function set(payload: Record<string, unknown>): Promise<Response> {
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set', JSON.stringify(payload));
    return h.rec.waitJson<Response>('evse2mqtt/garage/response', () => true, { since });
  }

  const plan = () => h.rec.json<Plan>(PLAN);

  let leftovers: string[] = [];

  afterEach(async () => {
    await h.stop();
    await sim.stop();
    for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
    leftovers = [];
  });

  it('waits for the cheap zone, charges the energy in it, then finishes and pauses', async () => {
    await start(
      '2026-06-02T01:50:00+02:00',
      {
        mode: 'smart',
        poll_interval: 30,
        smart_charging: { deadline: '07:00', energy: 2, minimum_energy: 0 },
      },
      30,
    );
    let p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:STOPPED');
    expect(p.deadline).toBe('2026-06-02T07:00:00+02:00');
    expect(p.next_start).toBe('2026-06-02T02:00:00+02:00');
    expect(p.considerations).toEqual({
      is_plugged_in: true,
      is_reachable: true,
      has_tariff: true,
      has_time: true,
      needs_charge: true,
      has_fresh_inputs: true,
    });
    expect(p.slots).toHaveLength(1);
    expect(p.slots[0]).toMatchObject({ start: '2026-06-02T02:00:00+02:00', current: 16 });
    expect(p.estimated_cost).toBeCloseTo(0.3, 2); // 2 kWh at 0.15
    expect(p.non_smart_cost).toBeGreaterThan(p.estimated_cost!);
    expect(sim.claim(CLIENT)?.state).toBe('disabled');
    const state = h.rec.json<{ mode: string; decision: Record<string, unknown> }>('evse2mqtt/garage');
    expect(state.mode).toBe('smart');
    expect(state.decision).toMatchObject({
      blocked_by: 'waiting for a cheaper slot',
      next_change: { action: 'start', at: '2026-06-02T02:00:00+02:00' },
    });

    await run(11 * 60); // 02:01
    expect(sim.claim(CLIENT)).toMatchObject({ state: 'active', charge_current: 16 });
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:STARTED');

    await run(40 * 60); // 2 kWh at 3.68 kW take 33 min
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:ENDED:FINISHED');
    expect(p.charged_energy).toBeGreaterThanOrEqual(2);
    expect(p.charged_energy).toBeLessThan(2.2);
    expect(sim.claim(CLIENT)?.state).toBe('disabled');
  });

  it('takes the policy on /set, charges now on enabled: true, ends UNPLUGGED, DISABLED on a manual value', async () => {
    await start('2026-06-01T20:00:00+02:00');
    // smart without a policy is refused, naming what to send
    let r = await set({ mode: 'smart' });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/smart_charging/);
    r = await set({ smart_charging: { deadline: '7:00' } });
    expect(r).toMatchObject({ status: 'error' });
    expect(r.error).toMatch(/smart_charging.deadline/);
    r = await set({ smart_charging: { energy: 10, colour: 'red' } });
    expect(r.error).toMatch(/unknown key "colour"/);

    r = await set({ mode: 'smart', smart_charging: { deadline: '07:00', energy: 10, minimum_energy: 1 } });
    expect(r.status).toBe('ok');
    expect(r.data).toMatchObject({
      mode: 'smart',
      smart_charging: { deadline: '07:00', energy: 10, minimum_energy: 1 },
    });
    await h.clock.advance(1000);
    // the protective minimum charges at once
    let p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state.startsWith('PLAN:EXECUTING'));
    expect(p.slots[0]!.start).toMatch(/^2026-06-01T20:00:0\d\+02:00$/);
    expect(sim.claim(CLIENT)).toMatchObject({ state: 'active', charge_current: 16 });
    await run(20 * 60); // 1 kWh takes 16 min: then it waits for 02:00
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:STOPPED');
    expect(p.next_start).toBe('2026-06-02T02:00:00+02:00');
    expect(sim.claim(CLIENT)?.state).toBe('disabled');

    // charge now: the mode stays smart, the plan is overridden
    r = await set({ enabled: true });
    expect(r).toMatchObject({ status: 'ok', data: { mode: 'smart', enabled: true } });
    await h.clock.advance(1000);
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:OVERRIDDEN');
    expect(sim.claim(CLIENT)).toMatchObject({ state: 'active', charge_current: 16 });
    await run(60);
    expect(plan().state).toBe('PLAN:EXECUTING:OVERRIDDEN');

    sim.unplug();
    await run(60);
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:ENDED:UNPLUGGED');
    expect(p.considerations.is_plugged_in).toBe(false);
    expect(p.slots).toEqual([]);

    sim.plugIn();
    await run(60);
    await h.rec.waitJson<Plan>(PLAN, (v) => v.state.startsWith('PLAN:EXECUTING'));
    r = await set({ charge_current: 10 });
    expect(r).toMatchObject({ status: 'ok', data: { mode: 'manual', charge_current: 10 } });
    await run(30);
    await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:ENDED:DISABLED');
  });

  it('keeps the mode and the policy set at run time across a restart', async () => {
    await start('2026-06-01T20:00:00+02:00');
    const r = await set({ mode: 'smart', smart_charging: { deadline: '06:15', energy: 6 } });
    expect(r).toMatchObject({
      status: 'ok',
      data: { mode: 'smart', smart_charging: { deadline: '06:15', energy: 6, minimum_energy: 0 } },
    });
    const { dataDir } = h;
    leftovers.push(dataDir);
    await h.stop({ keepData: true });
    h = await startHarness({
      clock: new ManualClock(Date.parse('2026-06-01T20:05:00+02:00')),
      dataDir,
      chargers: [openevseCharger(sim.port, { max_current: 16 })],
      config: { site: { interval: 10, timezone: 'Europe/Paris' }, tariff: TARIFF },
    });
    await h.clock.advance(1000);
    const p = await h.rec.waitJson<Plan & { policy: unknown }>(
      PLAN,
      (v) => v.state === 'PLAN:EXECUTING:STOPPED',
    );
    expect(p.policy).toEqual({ deadline: '06:15', energy: 6, minimum_energy: 0 });
    expect(p.deadline).toBe('2026-06-02T06:15:00+02:00');
    expect(h.rec.json<{ mode: string }>('evse2mqtt/garage').mode).toBe('smart');
  });

  it('re-plans when prices arrive late on the tariff topic', async () => {
    await start('2026-06-01T20:00:00+02:00', {
      mode: 'smart',
      smart_charging: { deadline: '07:00', energy: 7, minimum_energy: 0 },
    });
    let p = await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:STOPPED');
    expect(p.next_start).toBe('2026-06-02T02:00:00+02:00');
    await h.rec.publish(
      'energy/prices',
      JSON.stringify([
        { start: '2026-06-01T18:00:00Z', end: '2026-06-01T21:00:00Z', price: 0.3 },
        { start: '2026-06-01T21:00:00Z', end: '2026-06-02T01:00:00Z', price: 0.04 },
      ]),
    );
    await h.clock.advance(1000);
    p = await h.rec.waitJson<Plan>(PLAN, (v) => v.next_start === '2026-06-01T23:00:00+02:00');
    expect(p.estimated_cost).toBeCloseTo(7 * 0.04, 2);
  });

  it('announces the plan to Home Assistant and Homie, following every checkable rule; its policy is settable from both', async () => {
    await start('2026-06-01T20:00:00+02:00', {
      mode: 'smart',
      smart_charging: { deadline: '07:00', energy: 7, minimum_energy: 0 },
    });
    await h.rec.waitJson<Plan>(PLAN, (v) => v.state === 'PLAN:EXECUTING:STOPPED');
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const configs = new Map(
      retained.filter((m) => m.topic.endsWith('/config')).map((m) => [m.topic, JSON.parse(m.payload)]),
    );
    const node = 'homeassistant/%s/evse2mqtt_garage/%s/config';
    const cfg = (c: string, k: string) => configs.get(node.replace('%s', c).replace('%s', k));
    expect(cfg('sensor', 'plan_state')).toMatchObject({ state_topic: PLAN, device_class: 'enum' });
    expect(cfg('sensor', 'plan_state').options).toContain('PLAN:EXECUTING:OVERRIDDEN');
    expect(cfg('binary_sensor', 'has_time')).toMatchObject({ state_topic: PLAN });
    expect(cfg('sensor', 'next_start')).toMatchObject({ device_class: 'timestamp' });
    expect(cfg('sensor', 'estimated_cost')).toMatchObject({
      device_class: 'monetary',
      unit_of_measurement: 'EUR',
    });
    expect(cfg('text', 'deadline')).toMatchObject({
      command_topic: 'evse2mqtt/garage/set',
      pattern: '^(\\d{2}:\\d{2})?$', // empty while there is no policy
    });
    expect(cfg('number', 'energy')).toMatchObject({
      unit_of_measurement: 'kWh',
      command_topic: 'evse2mqtt/garage/set',
    });
    expect(cfg('number', 'minimum_energy')).toBeDefined();
    const live = h.rec.messages.filter((m) => m.topic.startsWith('evse2mqtt/'));
    const all = [...retained, ...live.map((m) => ({ ...m, retain: false }))].map((m, i) => ({ ...m, i }));
    expect(checkHaDiscovery(all)).toEqual([]);

    // Homie: a `plan` node beside `charger`, following every checkable rule, its policy settable
    await h.clock.runUntil(
      h.rec.waitFor(
        (m) => m.topic === 'homie/evse2mqtt-garage/plan/state' && m.payload === 'PLAN:EXECUTING:STOPPED',
      ),
    );
    const homie = h.rec.messages.map((m) => ({ ...m, retain: true }));
    expect(checkHomieDevice(homie, 'evse2mqtt-garage')).toEqual([]);
    const homieRetained = await Recorder.retained(h.url, ['homie/evse2mqtt-garage/#']);
    const hget = (t: string) => homieRetained.find((m) => m.topic === `homie/evse2mqtt-garage/${t}`)?.payload;
    expect(hget('$nodes')).toBe('charger,plan,decision,session');
    expect(hget('plan/next-start')).toBe('2026-06-02T02:00:00+02:00');
    expect(hget('plan/estimated-cost/$unit')).toBe('EUR');
    expect(hget('plan/energy/$settable')).toBe('true');
    let since = h.rec.mark();
    await h.rec.publish('homie/evse2mqtt-garage/plan/energy/set', 'lots');
    const bad = await h.rec.waitJson<Response>('evse2mqtt/garage/response', () => true, { since });
    expect(bad.error).toMatch(/smart_charging.energy/);
    since = h.rec.mark();
    await h.rec.publish('homie/evse2mqtt-garage/plan/energy/set', '9.5');
    await h.clock.runUntil(h.rec.waitJson<Plan>(PLAN, (v) => v.energy === 9.5, { since }));

    // the text entity's command template writes the policy
    since = h.rec.mark();
    const template = cfg('text', 'deadline').command_template as string;
    await h.rec.publish('evse2mqtt/garage/set', template.replace('{{ value }}', '06:30'));
    const r = await h.rec.waitJson<Response>('evse2mqtt/garage/response', () => true, { since });
    expect(r.status).toBe('ok');
    await h.clock.advance(1000);
    await h.rec.waitJson<Plan>(PLAN, (v) => v.deadline === '2026-06-02T06:30:00+02:00');
  });
});
