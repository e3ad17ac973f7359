/** Charging sessions end to end: an OpenEVSE simulator, a grid meter on MQTT and a tariff, seen through MQTT, Home Assistant and Homie. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { renderJinja } from '../helpers/jinja.js';
import { Recorder } from '../helpers/recorder.js';

const SESSION = 'evse2mqtt/garage/session';
const GRID = 'test/grid';

/** Renders an HA value_template as HA's Jinja would (undefined is an error; null renders None). */
function render(template: string, payload: unknown): string {
  return renderJinja(template, JSON.stringify(payload));
}

describe('charging sessions through MQTT', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeEach(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
    h = await startHarness({
      chargers: [openevseCharger(sim.port)],
      meters: [{ id: 'grid', role: 'grid', type: 'mqtt', topic: GRID, value: 'power' }],
      config: {
        tariff: { currency: 'EUR', zones: [], default_price: 0.3, feed_in_price: 0.1 },
        site: { timezone: 'Europe/Paris' },
      },
    });
  });

  afterEach(async () => {
    await h.stop();
    await sim.stop();
  });

  /** One poll interval: the car charges for 5 s, the grid meter reports `grid` W, the bridge reads. */
  async function step(grid: number): Promise<void> {
    sim.tick(5000);
    await h.rec.publish(GRID, JSON.stringify({ power: grid }));
    await h.clock.advance(5000);
  }

  it('publishes the session retained from plug-in to unplug, stores it, and answers requests', async () => {
    // the house imports 3680 W while the car charges at 7325 W: half of its energy comes from the grid
    await step(3680);
    const since = h.rec.mark();
    sim.plugIn({ evMaxCurrent: 32 });
    await step(3680);
    const active = await h.rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'active', { since });
    expect(active).toMatchObject({
      charger: 'garage',
      end: null,
      energy: 0,
      currency: 'EUR',
      modes: ['manual'],
    });
    expect(h.rec.last(SESSION)!.retain || (await Recorder.retained(h.url, [SESSION])).length === 1).toBe(
      true,
    );
    for (let i = 0; i < 18; i++) await step(3680);
    const running = await h.rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'active' && s.energy > 0);
    expect(running.solar_share).toBeCloseTo(0.5, 2);
    // a request while it runs lists it
    await h.rec.publish('evse2mqtt/bridge/request/sessions', JSON.stringify({ transaction: 'a1' }));
    const listed = await h.rec.waitJson<{
      status: string;
      data: { sessions: SessionRecord[] };
      transaction: string;
    }>('evse2mqtt/bridge/response/sessions', (r) => r.transaction === 'a1');
    expect(listed.data.sessions[0]).toMatchObject({ id: active.id, state: 'active' });

    const before = h.rec.mark();
    sim.unplug();
    await step(0);
    const ended = await h.rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'ended', { since: before });
    expect(ended.id).toBe(active.id);
    expect(ended.energy).toBeGreaterThan(0.15);
    expect(ended.solar_share).toBeCloseTo(0.5, 2);
    expect(ended.cost).toBeCloseTo(ended.energy * 0.5 * 0.3 + ended.energy * 0.5 * 0.1, 3);
    expect(ended.max_power).toBeGreaterThan(7000);
    const stored = readFileSync(path.join(h.dataDir, 'sessions.jsonl'), 'utf8').trim().split('\n');
    expect(stored.map((l) => JSON.parse(l) as SessionRecord)).toEqual([ended]);
    const retained = await Recorder.retained(h.url, [SESSION]);
    expect(JSON.parse(retained[0]!.payload)).toEqual(ended);

    await h.rec.publish(
      'evse2mqtt/bridge/request/sessions',
      JSON.stringify({ format: 'csv', charger: 'garage', transaction: 'c1' }),
    );
    const csv = await h.rec.waitJson<{ status: string; data: { csv: string } }>(
      'evse2mqtt/bridge/response/sessions',
      (r) => (r as unknown as { transaction?: string }).transaction === 'c1',
    );
    const lines = csv.data.csv.split('\n');
    expect(lines[0]).toBe(
      'id,charger,start,end,energy,discharged_energy,solar_energy,cost,currency,max_power,duration,charging_time,modes',
    );
    expect(lines[1]).toMatch(new RegExp(`^${ended.id},garage,${ended.start.replace('+', '\\+')},`));
    expect(lines[2]).toBe('');
  });

  it('answers a malformed request with an error naming the field', async () => {
    await h.rec.publish(
      'evse2mqtt/bridge/request/sessions',
      JSON.stringify({ charger: 'attic', limit: 20000, transaction: 9 }),
    );
    const r = await h.rec.waitJson<{ status: string; error: string; transaction: number }>(
      'evse2mqtt/bridge/response/sessions',
    );
    expect(r.status).toBe('error');
    expect(r.error).toContain('charger: unknown charger "attic"');
    expect(r.error).toContain('limit: must be an integer from 1 to 10000');
    expect(r.transaction).toBe(9);
  });

  it('announces session cost and solar share to Home Assistant and a session node in Homie', async () => {
    await step(0);
    sim.plugIn({ evMaxCurrent: 32 });
    await step(0);
    for (let i = 0; i < 13; i++) await step(1000);
    await h.rec.waitJson<SessionRecord>(SESSION, (s) => s.energy > 0);
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const config = (key: string) =>
      JSON.parse(
        retained.find((m) => m.topic === `homeassistant/sensor/evse2mqtt_garage/${key}/config`)!.payload,
      );
    const cost = config('session_cost');
    expect(cost).toMatchObject({
      state_topic: SESSION,
      device_class: 'monetary',
      unit_of_measurement: 'EUR',
      state_class: 'total',
      unique_id: 'evse2mqtt_garage_session_cost',
    });
    const share = config('session_solar_share');
    expect(share).toMatchObject({
      state_topic: SESSION,
      unit_of_measurement: '%',
      state_class: 'measurement',
    });
    const session = JSON.parse(retained.find((m) => m.topic === SESSION)!.payload) as SessionRecord;
    expect(render(share.value_template, session)).toBe(String(Math.round(session.solar_share! * 1000) / 10));
    expect(render(cost.value_template, session)).toBe(String(session.cost));
    // null values render None (unknown in HA)
    expect(render(share.value_template, { ...session, solar_share: null })).toBe('None');
    expect(render(cost.value_template, { ...session, cost: null })).toBe('None');
    const live = h.rec.messages
      .filter((m) => m.topic.startsWith('evse2mqtt/'))
      .map((m) => ({ ...m, retain: false }));
    expect(checkHaDiscovery([...retained, ...live].map((m, i) => ({ ...m, i })))).toEqual([]);

    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/session/energy' && Number(m.payload) > 0);
    const homie = h.rec.messages.map((m) => ({ ...m, retain: true }));
    expect(checkHomieDevice(homie, 'evse2mqtt-garage')).toEqual([]);
    const last = (t: string) => h.rec.last(`homie/evse2mqtt-garage/session/${t}`)?.payload;
    expect(last('$properties')).toBe('energy,cost,solar-share,state');
    expect(last('state')).toBe('active');
    expect(last('cost/$unit')).toBe('EUR');
  });
});

describe('a torn sessions file at start', () => {
  it('is set aside with a warning in the log and on bridge/logging, keeping every complete session', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-torn-'));
    const good = JSON.stringify({
      id: 'garage-1764547200',
      charger: 'garage',
      state: 'ended',
      start: '2025-12-01T01:00:00+01:00',
      end: '2025-12-01T02:00:00+01:00',
      energy: 3,
    });
    writeFileSync(path.join(dataDir, 'sessions.jsonl'), `${good}\n{"id":"garage-17645`);
    const sim = new OpenEvseSimulator();
    await sim.start();
    const h = await startHarness({ chargers: [openevseCharger(sim.port)], dataDir });
    try {
      const log = await h.rec.waitJson<{ level: string; message: string }>('evse2mqtt/bridge/logging', (m) =>
        m.message.includes('torn'),
      );
      expect(log.level).toBe('warn');
      expect(readFileSync(path.join(dataDir, 'sessions.jsonl'), 'utf8')).toBe(`${good}\n`);
      expect(readdirSync(dataDir).some((f) => f.startsWith('sessions.jsonl.torn-'))).toBe(true);
      // the last complete session is what the charger's session topic shows
      expect(await h.rec.waitJson<SessionRecord>(SESSION)).toMatchObject({
        id: 'garage-1764547200',
        energy: 3,
      });
    } finally {
      await h.stop();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
