import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { HostileClient } from '../../src/sim/hostile-client.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

// Fuzzing the MQTT side with a seeded generator: whatever a client sends, the bridge neither
// crashes nor commands more than max_current, and afterwards still answers a plain command.

/** mulberry32: a small seeded PRNG, so a failure can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'enabled',
  'charge_current',
  'mode',
  'phases',
  'smart_charging',
  '__proto__',
  'constructor',
  'status',
  '',
];
const TOPICS = [
  'evse2mqtt/garage/set',
  'evse2mqtt/garage/set/charge_current',
  'evse2mqtt/garage/set/enabled',
  'evse2mqtt/garage/set/mode',
  'evse2mqtt/garage/get',
  'evse2mqtt/site/set',
  'evse2mqtt/bridge/request/charger/refresh',
  'evse2mqtt/bridge/request/health_check',
  'zigbee2mqtt/main_meter',
  'energy/prices',
  'homeassistant/status',
  'homie/evse2mqtt-garage/charger/charge-current/set',
];

function payload(rnd: () => number): string | Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const value = (): unknown =>
    pick([
      () => Math.round(rnd() * 80) - 20,
      () => pick([1.7e308, -1.7e308, 5e-324, -0, 16.5, 6, 32, 33]),
      () => pick([true, false, null, 'ON', 'OFF', 'TOGGLE', 'fast', 'solar', 'smart', 'manual', 'off']),
      () => 'x'.repeat(Math.floor(rnd() * 5000)),
      () => [value(), value()],
      () => ({ deadline: pick(['07:00', '25:99', 7]), energy: pick([20, -1, 'a']) }),
    ])();
  return pick([
    () => Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256))),
    () =>
      JSON.stringify(
        Object.fromEntries(Array.from({ length: Math.floor(rnd() * 6) }, () => [pick(KEYS), value()])),
      ),
    () => JSON.stringify(value()),
    () => `${'['.repeat(2000)}${']'.repeat(2000)}`,
    () =>
      `{"power": ${pick(['1e309', '-5', '"12"', 'null', '1200', '1.7e308'])}, "current_l1": ${pick(['1e6', '12'])}}`,
    () =>
      `[{"start":"2026-06-01T00:00:00+02:00","end":"${pick(['2026-06-02T00:00:00+02:00', 'never'])}","price":${pick(['0.2', '"x"', '1e400'])}}]`,
    () => HostileClient.jsonOf(Math.floor(rnd() * 200 * 1024)),
    () => pick(['online', 'offline', '', ' ']),
  ])();
}

describe('a fuzzing MQTT client', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
    h = await startHarness({
      chargers: [openevseCharger(sim.port)],
      meters: [
        {
          id: 'grid',
          role: 'grid',
          type: 'mqtt',
          topic: 'zigbee2mqtt/main_meter',
          value: 'power',
          max_age: 30,
        },
      ],
      config: {
        site: { timezone: 'Europe/Paris', max_current: 40 },
        tariff: { currency: 'EUR', zones: [], default_price: 0.25, topic: 'energy/prices' },
      },
    });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
  });

  afterAll(async () => {
    await h?.stop();
    await sim?.stop();
    process.off('unhandledRejection', onRejection);
  });

  it.each([1, 2, 3])(
    'survives 300 random messages (seed %i) and still answers a plain /set',
    async (seed) => {
      const rnd = prng(seed);
      const evil = await HostileClient.connect(h.url);
      for (let i = 0; i < 300; i++) {
        evil.send(TOPICS[Math.floor(rnd() * TOPICS.length)]!, payload(rnd));
        if (i % 50 === 49) {
          await evil.flush();
          await h.clock.advance(1_000);
        }
      }
      // messages from one client arrive in order: once this is answered, every fuzzed one was dispatched
      evil.send('evse2mqtt/bridge/request/health_check', JSON.stringify({ transaction: `end-${seed}` }));
      await evil.flush();
      await h.rec.waitJson('evse2mqtt/bridge/response/health_check', (x) => x.transaction === `end-${seed}`, {
        timeoutMs: 20_000,
      });
      await h.clock.advance(5_000); // and their writes are over (3 s at most)
      await evil.close();
      expect(sim.pilot()).toBeLessThanOrEqual(32);
      const since = h.rec.mark();
      await h.rec.publish(
        'evse2mqtt/garage/set',
        `{"mode": "manual", "charge_current": 8, "enabled": true, "transaction": ${seed}}`,
      );
      const r = await h.rec.waitJson('evse2mqtt/garage/response', (x) => x.transaction === seed, {
        since,
        timeoutMs: 20_000,
      });
      // the site cap (a fuzzed site/set, or a stale grid meter's fail-safe) may hold it lower: never higher
      expect({ seed, ...r }).toEqual({
        seed,
        status: 'ok',
        transaction: seed,
        data: expect.objectContaining({ enabled: true, mode: 'manual' }),
      });
      const cc = (r.data as { charge_current: number }).charge_current;
      expect(cc).toBeGreaterThanOrEqual(6);
      expect(cc).toBeLessThanOrEqual(8);
      // the engine may lower it again at once (load management's fail-safe), never raise it
      expect(sim.pilot()).toBeLessThanOrEqual(cc);
      expect(rejections).toEqual([]);
    },
  );
});
