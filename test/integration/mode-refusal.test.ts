/**
 * A mode whose inputs are not configured is refused with an answer naming what is missing, on
 * `/set`, `/set/mode` and Homie `…/mode/set` alike (docs/mqtt-api.md, command rules); nothing
 * reaches the charger. Smart needs only its policy: without a tariff it charges at once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

const RESPONSE = 'evse2mqtt/garage/response';
const AVAILABLE = 'modes available here: manual, off, fast, smart';
const SOLAR = `solar needs a grid meter (meters[].role: grid), or a pv and a house meter; ${AVAILABLE}`;
const MIN_SOLAR = `min_solar needs a grid meter (meters[].role: grid), or a pv and a house meter; ${AVAILABLE}`;
const LOAD_FOLLOW = `load_follow needs a bidirectional charger (garage is openevse, which cannot discharge) and a grid meter (meters[].role: grid); ${AVAILABLE}`;

describe('a refused mode says what is missing (no meters, no tariff)', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeAll(async () => {
    sim = new OpenEvseSimulator({ defaultActive: false });
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    h = await startHarness({ chargers: [openevseCharger(sim.port, { max_current: 16 })] });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  /** Sends `payload` to `topic`; returns the response, having checked that nothing was written to the charger. */
  async function answer(topic: string, payload: string) {
    const writes = sim.requests.filter((r) => r.method !== 'GET').length;
    const since = h.rec.mark();
    await h.rec.publish(topic, payload);
    const r = await h.rec.waitJson<{ status: string; error?: string; data?: Record<string, unknown> }>(
      RESPONSE,
      () => true,
      { since },
    );
    if (r.status === 'error') expect(sim.requests.filter((x) => x.method !== 'GET').length).toBe(writes);
    return r;
  }

  it.each([
    ['solar on /set', 'evse2mqtt/garage/set', '{"mode":"solar"}', SOLAR],
    ['solar on /set/mode', 'evse2mqtt/garage/set/mode', 'solar', SOLAR],
    ['solar on Homie', 'homie/evse2mqtt-garage/charger/mode/set', 'solar', SOLAR],
    ['min_solar on /set', 'evse2mqtt/garage/set', '{"mode":"min_solar"}', MIN_SOLAR],
    ['min_solar on /set/mode', 'evse2mqtt/garage/set/mode', 'min_solar', MIN_SOLAR],
    ['min_solar on Homie', 'homie/evse2mqtt-garage/charger/mode/set', 'min_solar', MIN_SOLAR],
    ['load_follow on /set', 'evse2mqtt/garage/set', '{"mode":"load_follow"}', LOAD_FOLLOW],
    ['load_follow on /set/mode', 'evse2mqtt/garage/set/mode', 'load_follow', LOAD_FOLLOW],
    ['load_follow on Homie', 'homie/evse2mqtt-garage/charger/mode/set', 'load_follow', LOAD_FOLLOW],
  ])('%s', async (_name, topic, payload, error) => {
    const r = await answer(topic, payload);
    expect(r).toEqual({ status: 'error', error: `mode: ${error}` });
    expect(h.rec.json('evse2mqtt/garage').mode).toBe('manual');
  });

  it.each([
    ['/set', 'evse2mqtt/garage/set', '{"mode":"smart"}'],
    ['/set/mode', 'evse2mqtt/garage/set/mode', 'smart'],
    ['Homie', 'homie/evse2mqtt-garage/charger/mode/set', 'smart'],
  ])('smart without a policy on %s names the policy it needs', async (_name, topic, payload) => {
    const r = await answer(topic, payload);
    expect(r.status).toBe('error');
    expect(r.error).toMatch(
      /^mode: smart needs a policy; send smart_charging \{"deadline":"HH:MM","energy":kWh\}/,
    );
  });

  it('an unknown mode still lists the modes available here', async () => {
    const r = await answer('evse2mqtt/garage/set/mode', 'turbo');
    expect(r.error).toBe('mode: expected one of manual, off, fast, smart, got "turbo"');
  });

  it('smart without a tariff is accepted and charges at once: plan CONSIDERING, has_tariff false', async () => {
    const r = await answer(
      'evse2mqtt/garage/set',
      '{"mode":"smart","smart_charging":{"deadline":"07:00","energy":10}}',
    );
    expect(r.status).toBe('ok');
    expect(r.data?.mode).toBe('smart');
    await h.clock.advance(1000);
    const plan = await h.rec.waitJson<{ state: string; considerations: Record<string, boolean> }>(
      'evse2mqtt/garage/plan',
      (p) => p.state === 'CONSIDERING',
    );
    expect(plan.considerations.has_tariff).toBe(false);
    await h.rec.waitJson('evse2mqtt/garage', (s) => s.enabled === true && s.charge_current === 16);
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ state: 'active', charge_current: 16 });
  });
});
