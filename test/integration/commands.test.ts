import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

const SET = 'evse2mqtt/garage/set';
const RESPONSE = 'evse2mqtt/garage/response';
const WRITABLE = 'writable keys: enabled, charge_current, mode';

describe('the command rules (docs/mqtt-api.md)', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn();
    h = await startHarness({ chargers: [openevseCharger(sim.port, { max_current: 32 })] });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  /** Sends `payload` to `topic` and returns the response; asserts no write reached the charger. */
  async function rejected(topic: string, payload: string): Promise<string> {
    const writes = sim.requests.filter((r) => r.method !== 'GET').length;
    const since = h.rec.mark();
    await h.rec.publish(topic, payload);
    const r = await h.rec.waitJson<{ status: string; error: string; data?: unknown }>(RESPONSE, () => true, {
      since,
    });
    expect(r.status).toBe('error');
    expect(r.data).toBeUndefined();
    await new Promise((res) => setTimeout(res, 30));
    expect(sim.requests.filter((x) => x.method !== 'GET').length).toBe(writes);
    return r.error;
  }

  async function accepted(topic: string, payload: string): Promise<Record<string, unknown>> {
    const since = h.rec.mark();
    await h.rec.publish(topic, payload);
    const r = await h.rec.waitJson<{ status: string; data: Record<string, unknown>; error?: string }>(
      RESPONSE,
      () => true,
      { since },
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('ok');
    return r.data;
  }

  it.each([
    [
      'malformed JSON',
      SET,
      '{"charge_current": 16',
      /^malformed JSON \(.+\); send a JSON object such as \{"charge_current": 16\}$/,
    ],
    ['JSON that is not an object', SET, '[16]', /^expected a JSON object, got \[16\]/],
    [
      'an unknown key',
      SET,
      '{"current_limit": 16}',
      new RegExp(`^unknown key "current_limit"; ${WRITABLE}$`),
    ],
    ['a read-only key', SET, '{"power": 1000}', new RegExp(`^"power" is read-only; ${WRITABLE}$`)],
    ['a read-only key on its own topic', `${SET}/status`, 'charging', /^"status" is read-only/],
    [
      'a key this charger cannot do',
      SET,
      '{"auto_charge": true}',
      /^"auto_charge" is not available on this charger \(openevse\)/,
    ],
    ['phases on a charger that cannot switch', `${SET}/phases`, '3', /^"phases" is read-only/],
    [
      'a string for a number',
      SET,
      '{"charge_current": "sixteen"}',
      /^charge_current: expected a number \(6 to 32 A\), got "sixteen"$/,
    ],
    [
      'a boolean for a number',
      SET,
      '{"charge_current": true}',
      /^charge_current: expected a number \(6 to 32 A\), got true$/,
    ],
    [
      'a word for a boolean',
      `${SET}/enabled`,
      'maybe',
      /^enabled: expected ON\/OFF or true\/false, got "maybe"$/,
    ],
    ['TOGGLE', `${SET}/enabled`, 'TOGGLE', /^enabled: TOGGLE is not supported; send ON or OFF/],
    [
      'a current above max_current',
      SET,
      '{"charge_current": 40}',
      /^charge_current: 40 is out of range; allowed 6 to 32 A$/,
    ],
    [
      'a current below min_current',
      `${SET}/charge_current`,
      '3',
      /^charge_current: 3 is out of range; allowed 6 to 32 A$/,
    ],
    [
      'a current off the 1 A grid',
      SET,
      '{"charge_current": 10.5}',
      /^charge_current: 10.5 is off the 1 A grid/,
    ],
    [
      'an unknown mode',
      `${SET}/mode`,
      'turbo',
      /^mode: expected one of manual, off, fast, smart, got "turbo"$/,
    ],
    [
      'a mode whose inputs are missing',
      `${SET}/mode`,
      'solar',
      /^mode: solar needs a grid meter \(meters\[\]\.role: grid\), or a pv and a house meter; modes available here: manual, off, fast, smart$/,
    ],
    [
      'fast with another current',
      SET,
      '{"mode": "fast", "charge_current": 10}',
      /^mode fast charges at max_current \(32 A\); it contradicts charge_current 10$/,
    ],
    ['off with enabled true', SET, '{"mode": "off", "enabled": true}', /^mode off contradicts enabled: true/],
    [
      'several bad keys at once',
      SET,
      '{"foo": 1, "charge_current": 99}',
      /unknown key "foo".*; charge_current: 99 is out of range/,
    ],
  ])(
    'rejects %s with an error naming the key and what is allowed, and writes nothing',
    async (_n, topic, payload, expected) => {
      expect(await rejected(topic, payload)).toMatch(expected);
    },
  );

  it('keeps running after every bad payload and still takes a good one', async () => {
    const since = h.rec.mark();
    const bad = [
      '\u0000\u0001',
      'null',
      '{"__proto__": {"x": 1}}',
      '9'.repeat(400),
      '{"charge_current": 1e999}',
    ];
    for (const p of ['', ...bad]) await h.rec.publish(SET, p);
    for (let i = 0; i < bad.length; i++) {
      await h.rec.waitFor((m) => m.topic === RESPONSE && h.rec.on(RESPONSE, since).length > i, { since });
    }
    const errors = h.rec
      .on(RESPONSE, since)
      .map((m) => JSON.parse(m.payload) as { status: string; error: string });
    expect(errors.map((e) => e.status)).toEqual(bad.map(() => 'error'));
    expect(errors[2]!.error).toMatch(/^unknown key "__proto__"/);
    const data = await accepted(`${SET}/charge_current`, '14');
    expect(data).toEqual({ enabled: true, charge_current: 14, mode: 'manual' });
    expect(sim.pilot()).toBe(14);
  });

  it('mode fast charges at max_current; a manual charge_current then switches to manual', async () => {
    expect(await accepted(`${SET}/mode`, 'fast')).toEqual({
      enabled: true,
      charge_current: 32,
      mode: 'fast',
    });
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ state: 'active', charge_current: 32 });
    await h.rec.waitJson('evse2mqtt/garage', (v) => v.mode === 'fast');
    expect(await accepted(SET, '{"charge_current": 20, "transaction": "t7"}')).toEqual({
      enabled: true,
      charge_current: 20,
      mode: 'manual',
    });
    expect(sim.pilot()).toBe(20);
  });

  it('mode off disables charging; {"mode":"fast","charge_current":max} is consistent and accepted', async () => {
    expect(await accepted(SET, '{"mode": "off"}')).toMatchObject({ enabled: false, mode: 'off' });
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ state: 'disabled' });
    expect(await accepted(SET, '{"mode": "fast", "charge_current": 32}')).toEqual({
      enabled: true,
      charge_current: 32,
      mode: 'fast',
    });
    expect(await accepted(SET, '{"mode": "manual"}')).toEqual({
      enabled: true,
      charge_current: 32,
      mode: 'manual',
    });
  });

  it('echoes the transaction on errors too', async () => {
    const since = h.rec.mark();
    await h.rec.publish(SET, '{"charge_current": 99, "transaction": {"id": 3}}');
    const r = await h.rec.waitJson(RESPONSE, () => true, { since });
    expect(r).toMatchObject({ status: 'error', transaction: { id: 3 } });
  });

  it('answers an empty /set object with the current targets', async () => {
    expect(await accepted(SET, '{}')).toEqual({ enabled: true, charge_current: 32, mode: 'manual' });
  });
});
