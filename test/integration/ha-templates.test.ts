/**
 * Every Home Assistant template renders for every payload (docs/mqtt-api.md, Home Assistant): the
 * real bridge with simulated chargers of every type, MQTT meters, a tariff and a fake clock goes
 * through smart and non-smart modes, a plan and no plan, plugging and unplugging, site changes and
 * an HA restart. Every discovery config it announced is then rendered, template by template, with
 * a strict Jinja engine against every payload it published on the template's topic.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { PulsatrixSimulator } from '../../src/drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from '../../src/drivers/technove/simulator.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { checkEntityStates, checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { renderJinja } from '../helpers/jinja.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { type Msg, Recorder } from '../helpers/recorder.js';

const TARIFF = {
  currency: 'EUR',
  zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
  default_price: 0.25,
  topic: 'energy/prices',
};
const CONFIG_TOPIC = /^homeassistant\/(\w+)\/[\w-]+\/[\w-]+\/config$/;
type Response = { status: string; error?: string };

describe('Home Assistant templates over a whole run of the bridge', () => {
  let h: Harness;
  const garage = new OpenEvseSimulator({ maxCurrentSoft: 16 });
  const carport = new OpenEvseSimulator({ maxCurrentSoft: 32 });
  const technove = new TechnoveSimulator({ maxStationCurrent: 32, maxCurrent: 24, voltage: 238 });
  const pulsatrix = new PulsatrixSimulator({ ownLimit: 32 });
  const quasar = new QuasarSimulator({ capacityKwh: 20, carMinSoc: 10 });
  /** What the broker holds retained at the end, then everything the bridge published live. */
  let messages: Msg[] = [];
  /** The retained snapshot plus the live state stream (the discovery rules' input). */
  let snapshot: Msg[] = [];

  /** Fake time passes; the meters report and the simulated cars charge meanwhile. */
  async function run(seconds: number, step = 15): Promise<void> {
    for (let t = 0; t < seconds; t += step) {
      garage.tick(step * 1000);
      carport.tick(step * 1000);
      quasar.catchUp();
      await h.rec.publish('home/grid', JSON.stringify({ power: 300 }));
      await h.rec.publish('home/pv', JSON.stringify({ power: 1200 }));
      await new Promise((r) => setTimeout(r, 5));
      await h.clock.advance(step * 1000);
    }
  }

  async function set(id: string, payload: string, key?: string): Promise<Response> {
    const since = h.rec.mark();
    await h.rec.publish(key ? `evse2mqtt/${id}/set/${key}` : `evse2mqtt/${id}/set`, payload);
    return h.clock.runUntil(h.rec.waitJson<Response>(`evse2mqtt/${id}/response`, () => true, { since }));
  }

  beforeAll(async () => {
    for (const sim of [garage, carport, technove, pulsatrix, quasar]) await sim.start();
    garage.plugIn({ evMaxCurrent: 32 });
    carport.plugIn({ evMaxCurrent: 32 });
    pulsatrix.plugIn({ evMaxCurrent: 16 });
    h = await startHarness({
      clock: new ManualClock(Date.parse('2026-06-02T01:50:00+02:00')),
      chargers: [
        openevseCharger(garage.port, {
          max_current: 16,
          poll_interval: 30,
          mode: 'smart',
          smart_charging: { deadline: '07:00', energy: 2, minimum_energy: 0 },
        }),
        openevseCharger(carport.port, { id: 'carport', name: 'Carport', mode: 'solar', poll_interval: 30 }),
        {
          id: 'drive',
          name: 'Drive',
          type: 'pulsatrix',
          host: '127.0.0.1',
          port: pulsatrix.port,
          max_current: 16,
          phases: 3,
          poll_interval: 30,
          watchdog: 60,
        },
        {
          id: 'shed',
          name: 'Shed',
          type: 'technove',
          host: '127.0.0.1',
          port: technove.port,
          max_current: 32,
          poll_interval: 30,
        },
        {
          id: 'v2g',
          name: 'V2G',
          type: 'wallbox-quasar',
          host: '127.0.0.1',
          port: quasar.port,
          max_current: 32,
          max_discharge_current: 16,
          min_state_of_charge: 20,
          poll_interval: 30,
          watchdog: 60,
          mode: 'load_follow',
        },
      ],
      meters: [
        { id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 },
        { id: 'roof', role: 'pv', type: 'mqtt', topic: 'home/pv', value: 'power', max_age: 120 },
      ],
      config: {
        site: { interval: 30, timezone: 'Europe/Paris', max_current: 40 },
        tariff: TARIFF,
      },
    });
    quasar.follow(() => h.clock.now());
    quasar.plugIn({ soc: 40 });
    await run(5 * 60); // 01:55: the smart plan waits for the cheap zone
    await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage/plan', (p) => p.state === 'PLAN:EXECUTING:STOPPED'),
    );
    await run(10 * 60); // 02:05: charging to plan
    // the carport, never given a policy, goes through every mode it has (its plan: `policy: null`)
    for (const mode of ['fast', 'manual', 'off', 'min_solar', 'solar'])
      expect(await set('carport', mode, 'mode')).toMatchObject({ status: 'ok' });
    expect(await set('carport', '{"mode":"manual","charge_current":10}')).toMatchObject({ status: 'ok' });
    await run(60);
    // …then is given one, in smart, and leaves smart again
    expect(
      await set('carport', '{"mode":"smart","smart_charging":{"deadline":"06:30","energy":5}}'),
    ).toMatchObject({ status: 'ok' });
    await run(60);
    expect(await set('carport', 'manual', 'mode')).toMatchObject({ status: 'ok' });
    expect(await set('drive', '1', 'phases')).toMatchObject({ status: 'ok' });
    expect(await set('shed', 'false', 'enabled')).toMatchObject({ status: 'ok' });
    await h.rec.publish('evse2mqtt/site/set', '{"max_current":32,"residual_power":100}');
    await run(60);
    await h.rec.publish('evse2mqtt/site/set/max_current', 'null');
    garage.unplug(); // the plan ends: UNPLUGGED
    pulsatrix.unplug();
    await run(5 * 60);
    // an HA restart: states and discovery again
    await h.rec.publish('homeassistant/status', 'online');
    await run(60);
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const live = h.rec.messages.map((m) => ({ ...m, retain: false }));
    messages = [...retained, ...live].map((m, i) => ({ ...m, i }));
    snapshot = [...retained, ...live.filter((m) => m.topic.startsWith('evse2mqtt/'))].map((m, i) => ({
      ...m,
      i,
    }));
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    for (const sim of [garage, carport, technove, pulsatrix, quasar]) await sim.stop();
  });

  it('went through a plan and no plan, smart and the other modes', () => {
    const plans = messages
      .filter((m) => m.topic.endsWith('/plan') && m.payload !== '')
      .map((m) => JSON.parse(m.payload) as { policy: unknown; state: string });
    expect(plans.some((p) => p.policy === null)).toBe(true);
    expect(plans.some((p) => p.policy !== null && p.state === 'PLAN:EXECUTING:STARTED')).toBe(true);
    expect(plans.some((p) => p.state === 'PLAN:ENDED:UNPLUGGED')).toBe(true);
    const modes = new Set(
      messages
        .filter((m) => m.topic === 'evse2mqtt/carport' && m.payload !== '')
        .map((m) => (JSON.parse(m.payload) as { mode: string }).mode),
    );
    expect([...modes].sort()).toEqual(['fast', 'manual', 'min_solar', 'off', 'smart', 'solar']);
  });

  it('renders every template of every announced config without error, for every payload on its topic, into a state HA accepts', () => {
    const configs = messages.filter((m) => CONFIG_TOPIC.test(m.topic) && m.payload !== '');
    expect(new Set(configs.map((m) => m.topic)).size).toBeGreaterThan(100);
    const rendered = { count: 0 };
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const m of configs) {
      if (seen.has(`${m.topic} ${m.payload}`)) continue; // each version of each config once
      seen.add(`${m.topic} ${m.payload}`);
      const component = CONFIG_TOPIC.exec(m.topic)![1]!;
      for (const p of checkEntityStates(JSON.parse(m.payload), component, messages, rendered))
        problems.push(`${p.rule} ${m.topic}: ${p.text}`);
    }
    expect(problems).toEqual([]);
    expect(rendered.count).toBeGreaterThan(5000);
  });

  it('shows the plan policy as unknown (None, or an empty deadline) while there is none', () => {
    const cfg = (component: string, key: string) =>
      JSON.parse(
        messages.findLast((m) => m.topic === `homeassistant/${component}/evse2mqtt_carport/${key}/config`)!
          .payload,
      ) as { value_template: string; pattern?: string };
    const none = messages.find(
      (m) => m.topic === 'evse2mqtt/carport/plan' && m.payload.includes('"policy":null'),
    )!.payload;
    const some = messages.findLast(
      (m) => m.topic === 'evse2mqtt/carport/plan' && m.payload.includes('"deadline":"06:30"'),
    )!.payload;
    expect(renderJinja(cfg('number', 'energy').value_template, none)).toBe('None');
    expect(renderJinja(cfg('number', 'minimum_energy').value_template, none)).toBe('None');
    expect(renderJinja(cfg('text', 'deadline').value_template, none)).toBe('');
    expect(renderJinja(cfg('number', 'energy').value_template, some)).toBe('5');
    expect(renderJinja(cfg('text', 'deadline').value_template, some)).toBe('06:30');
  });

  it('follows every other checkable discovery rule, and names no invented support address', () => {
    expect(checkHaDiscovery(snapshot)).toEqual([]);
    const origins = messages
      .filter((m) => CONFIG_TOPIC.test(m.topic) && m.payload !== '')
      .map((m) => (JSON.parse(m.payload) as { origin: Record<string, unknown> }).origin);
    // support_url is package.json `homepage`, absent when that is not set
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      homepage?: string;
      version: string;
    };
    const expected = pkg.homepage
      ? { name: 'evse2mqtt', sw_version: pkg.version, support_url: pkg.homepage }
      : { name: 'evse2mqtt', sw_version: pkg.version };
    for (const o of origins) expect(o).toEqual(expected);
  });
});
