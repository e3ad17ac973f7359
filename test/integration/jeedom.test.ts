/**
 * The Jeedom jMQTT equipment templates in integrations/jeedom/: valid templates in jMQTT's format
 * (one named equipment, `%s` for the base topic, info commands with a JSON path, action commands
 * with a request), naming only keys and topics the bridge has; then applied, as jMQTT applies them,
 * to what the real bridge publishes, and their actions sent to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHARGER_ENTITIES } from '../../src/core/entities.js';
import { SITE_ENTITIES } from '../../src/core/meter-entities.js';
import { MODES } from '../../src/core/model.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

interface Command {
  eqType: string;
  name: string;
  type: 'info' | 'action';
  subType: string;
  unite?: string;
  value?: string;
  configuration: Record<string, string>;
}
interface Equipment {
  name: string;
  eqType_name: string;
  configuration: Record<string, string>;
  category: Record<string, string>;
  commands: Command[];
}

const DIR = new URL('../../integrations/jeedom/', import.meta.url);
const read = (file: string): Record<string, Equipment> =>
  JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Record<string, Equipment>;
const equipment = (file: string): Equipment => Object.values(read(file))[0]!;

/** Keys of the engine's `decision` and of its `next_change` (docs/engine.md). */
const DECISION = ['mode', 'surplus_power', 'target_current', 'phases', 'blocked_by', 'next_change'];
const NEXT_CHANGE = ['action', 'at'];
/** Keys of `<base>/<id>/plan` (docs/engine.md, smart plans). */
const PLAN = [
  'state',
  'deadline',
  'energy',
  'charged_energy',
  'considerations',
  'slots',
  'next_start',
  'estimated_cost',
  'non_smart_cost',
  'currency',
  'policy',
];
const writable = (entities: ReadonlyArray<{ key: string; writable?: unknown }>) =>
  entities.filter((e) => e.writable !== undefined).map((e) => e.key);

/** The keys a jMQTT JSON path like `[decision][next_change][at]` walks. */
function pathKeys(path: string): string[] {
  expect(path).toMatch(/^(\[[a-z0-9_]+\])+$/);
  return [...path.matchAll(/\[([a-z0-9_]+)\]/g)].map((m) => m[1]!);
}

/** Problems with a path on a topic suffix of a charger (`site`: of the site). */
function pathProblem(kind: 'charger' | 'site', suffix: string, keys: string[]): string | null {
  const [first, second, third] = keys;
  const state = kind === 'charger' ? CHARGER_ENTITIES.map((e) => e.key) : SITE_ENTITIES.map((e) => e.key);
  if (suffix === '/availability') return keys.join() === 'state' ? null : 'availability has only state';
  if (suffix === '/response') return ['status', 'error'].includes(keys.join()) ? null : 'not a response key';
  if (suffix === '/plan' && kind === 'charger')
    return PLAN.includes(first!) ? null : `${first} not in a plan`;
  if (suffix !== '') return `no topic ${suffix}`;
  if (kind === 'charger' && first === 'decision') {
    if (!DECISION.includes(second!)) return `${second} not in a decision`;
    if (second === 'next_change') return NEXT_CHANGE.includes(third!) ? null : `${third} not in next_change`;
    return keys.length === 2 ? null : 'too deep';
  }
  return state.includes(first!) && keys.length === 1 ? null : `${keys.join('.')} not a ${kind} key`;
}

describe('the jMQTT templates', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('are one for a charger and one for the site', () => {
    expect(files.sort()).toEqual(['evse2mqtt_charger.json', 'evse2mqtt_site.json']);
  });

  it.each([
    ['evse2mqtt_charger.json', 'charger'],
    ['evse2mqtt_site.json', 'site'],
  ] as const)('%s is a jMQTT equipment template naming only keys and topics that exist', (file, kind) => {
    const tpl = read(file);
    expect(Object.keys(tpl)).toHaveLength(1); // jMQTT reads the first key as the template's name
    const [name, eq] = Object.entries(tpl)[0]!;
    expect(eq.name).toBe(name);
    expect(eq.eqType_name).toBe('jMQTT');
    expect(eq.configuration).toMatchObject({ type: 'eqpt', auto_add_cmd: '0', auto_add_topic: '%s/#' });
    const names = eq.commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length); // jMQTT refuses two commands of one name
    const info = new Set(eq.commands.filter((c) => c.type === 'info').map((c) => c.name));
    expect(info.has(eq.configuration.availability_cmd!)).toBe(true);
    const problems: string[] = [];
    for (const c of eq.commands) {
      const bad = (why: string) => problems.push(`${c.name}: ${why}`);
      expect(c.eqType).toBe('jMQTT');
      const topic = c.configuration.topic ?? '';
      // applyATemplate() fills the base topic in with sprintf: one `%s`, at the start
      if (!topic.startsWith('%s') || topic.split('%').length !== 2) bad(`topic ${topic}`);
      const suffix = topic.slice(2);
      if (c.type === 'info') {
        if (!['numeric', 'binary', 'string'].includes(c.subType)) bad(`info subType ${c.subType}`);
        const why = pathProblem(kind, suffix, pathKeys(c.configuration.jsonPath ?? ''));
        if (why) bad(why);
        continue;
      }
      if (!['other', 'slider', 'select', 'message'].includes(c.subType)) bad(`action subType ${c.subType}`);
      if (c.configuration.retain !== '0') bad('commands are never retained');
      if (c.value !== undefined && !info.has(c.value)) bad(`value ${c.value} is no info command`);
      if (c.subType === 'slider') {
        if (c.configuration.request !== '#slider#') bad('slider without #slider#');
        if (!(Number(c.configuration.minValue) < Number(c.configuration.maxValue))) bad('slider range');
      }
      if (c.subType === 'select') {
        if (c.configuration.request !== '#select#') bad('select without #select#');
        const options = (c.configuration.listValue ?? '').split(';').map((o) => o.split('|')[0]!);
        for (const o of options) if (!(MODES as readonly string[]).includes(o)) bad(`no mode ${o}`);
      }
      const set = /^\/set\/([a-z_]+)$/.exec(suffix);
      const keys = writable(kind === 'charger' ? CHARGER_ENTITIES : SITE_ENTITIES);
      if (set) {
        if (!keys.includes(set[1]!)) bad(`${set[1]} is not writable`);
      } else if (!(kind === 'charger' && suffix === '/get')) bad(`action on ${suffix}`);
    }
    expect(problems).toEqual([]);
    if (kind === 'charger') {
      const sets = eq.commands.filter((c) => c.type === 'action').map((c) => c.configuration.topic);
      for (const key of ['enabled', 'charge_current', 'mode']) expect(sets).toContain(`%s/set/${key}`);
      // every state key of the catalog has its info command
      const paths = eq.commands.map((c) => `${c.configuration.topic} ${c.configuration.jsonPath}`);
      for (const e of CHARGER_ENTITIES) expect(paths).toContain(`%s [${e.key}]`);
    } else {
      const paths = eq.commands.map((c) => `${c.configuration.topic} ${c.configuration.jsonPath}`);
      for (const e of SITE_ENTITIES) expect(paths).toContain(`%s [${e.key}]`);
    }
  });
});

describe('the jMQTT templates applied to a running bridge', () => {
  let h: Harness;
  const sim = new OpenEvseSimulator({ maxCurrentSoft: 16 });

  /** An action command as jMQTT executes it: the request with its tag filled in, to the topic. */
  async function execute(c: Command, base: string, tag: string): Promise<Record<string, unknown> | null> {
    const topic = c.configuration.topic!.replace('%s', base);
    const request = (c.configuration.request ?? '').replace(/#slider#|#select#/, tag);
    const id = base.split('/')[1]!;
    const since = h.rec.mark();
    await h.rec.publish(topic, request);
    if (topic.endsWith('/get')) return null;
    return h.clock.runUntil(h.rec.waitJson(`evse2mqtt/${id}/response`, () => true, { since }));
  }

  /** An info command's value as jMQTT reads it: its JSON path on the last payload of its topic. */
  function value(c: Command, base: string): unknown {
    const m = h.rec.last(c.configuration.topic!.replace('%s', base));
    if (!m) return undefined;
    let v: unknown = JSON.parse(m.payload);
    for (const k of pathKeys(c.configuration.jsonPath!))
      v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    return v;
  }

  beforeAll(async () => {
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    h = await startHarness({
      chargers: [
        openevseCharger(sim.port, { max_current: 16, smart_charging: { deadline: '07:00', energy: 5 } }),
      ],
      meters: [
        { id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 },
        { id: 'roof', role: 'pv', type: 'mqtt', topic: 'home/pv', value: 'power', max_age: 30 },
      ],
      config: {
        site: { interval: 10, max_current: 40 },
        tariff: { currency: 'EUR', zones: [], default_price: 0.25 },
      },
    });
    for (let i = 0; i < 3; i++) {
      await h.rec.publish('home/grid', '{"power": 400}');
      await h.rec.publish('home/pv', '{"power": 900}');
      await h.clock.advance(10_000);
    }
    await h.rec.publish('evse2mqtt/garage/set/mode', 'solar');
    await h.clock.advance(10_000);
    await h.rec.waitJson('evse2mqtt/garage', (s) => s.decision !== undefined);
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('reads a value for every info command of the charger the OpenEVSE has', async () => {
    await h.rec.publish('evse2mqtt/garage/set/mode', 'smart');
    await h.clock.advance(10_000);
    await h.rec.waitJson('evse2mqtt/garage/plan', () => true);
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', 'lots'); // a refused command: /response
    await h.rec.waitJson('evse2mqtt/garage/response', (r) => r.status === 'error', { since });
    const eq = equipment('evse2mqtt_charger.json');
    const missing = eq.commands
      .filter((c) => c.type === 'info' && value(c, 'evse2mqtt/garage') === undefined)
      .map((c) => c.configuration.jsonPath);
    // only what an OpenEVSE never reports
    expect(missing.sort()).toEqual(
      [
        '[auto_charge]',
        '[current_l1]',
        '[current_l2]',
        '[current_l3]',
        '[frequency]',
        '[sharing_mode]',
        '[update_available]',
      ].sort(),
    );
    const online = eq.commands.find((c) => c.name === eq.configuration.availability_cmd)!;
    expect(value(online, 'evse2mqtt/garage')).toBe('online');
  });

  it('commands the charger with every action (enabled, charge_current, mode, refresh)', async () => {
    const eq = equipment('evse2mqtt_charger.json');
    const action = (name: string) => eq.commands.find((c) => c.name === name)!;
    expect(await execute(action('Set mode'), 'evse2mqtt/garage', 'manual')).toMatchObject({ status: 'ok' });
    // accepted; load management (site.max_current) may cap it, and `data` shows the cap
    const current = await execute(action('Set charge current'), 'evse2mqtt/garage', '10');
    expect(current).toMatchObject({ status: 'ok' });
    const amps = (current?.data as { charge_current?: number } | undefined)?.charge_current;
    expect(amps).toBeGreaterThanOrEqual(6);
    expect(amps).toBeLessThanOrEqual(10);
    expect(await execute(action('Disable'), 'evse2mqtt/garage', '')).toMatchObject({
      status: 'ok',
      data: { enabled: false },
    });
    expect(await execute(action('Enable'), 'evse2mqtt/garage', '')).toMatchObject({
      status: 'ok',
      data: { enabled: true },
    });
    expect(await execute(action('Set mode'), 'evse2mqtt/garage', 'fast')).toMatchObject({
      status: 'ok',
      data: { mode: 'fast' },
    });
    const since = h.rec.mark();
    await execute(action('Refresh'), 'evse2mqtt/garage', '');
    await h.clock.runUntil(h.rec.waitJson('evse2mqtt/garage', () => true, { since }));
  });

  it('reads every info command of the site and sets its writable keys', async () => {
    const eq = equipment('evse2mqtt_site.json');
    const action = (name: string) => eq.commands.find((c) => c.name === name)!;
    expect(await execute(action('Set maximum current'), 'evse2mqtt/site', '20')).toMatchObject({
      status: 'ok',
      data: { max_current: 20 },
    });
    expect(await execute(action('Restore maximum current'), 'evse2mqtt/site', '')).toMatchObject({
      status: 'ok',
      data: { max_current: 40 },
    });
    expect(await execute(action('Set residual power'), 'evse2mqtt/site', '150')).toMatchObject({
      status: 'ok',
      data: { residual_power: 150 },
    });
    // above the configured limit: refused, and the error is read
    expect(await execute(action('Set maximum current'), 'evse2mqtt/site', '63')).toMatchObject({
      status: 'error',
    });
    const missing = eq.commands
      .filter((c) => c.type === 'info' && value(c, 'evse2mqtt/site') === undefined)
      .map((c) => c.name);
    expect(missing).toEqual([]);
  });
});
