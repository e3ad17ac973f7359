/**
 * A restart never starts the car (docs/engine.md, start-up): the real bridge, an in-process broker,
 * the OpenEVSE simulator with a car plugged in and paused (the unit's default state: disabled), and
 * a grid meter on MQTT that reports late, never, or only from the broker's retained store. No claim
 * with `state: active` may reach the simulator before a live reading shows the way.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import type { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { startBroker } from '../helpers/broker.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { Recorder } from '../helpers/recorder.js';

const CLIENT = bridgeClientId('evse2mqtt');
const GRID = { id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 };

describe('a restart at night with a car plugged in and paused', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;
  let broker: EmbeddedBroker | undefined;

  afterEach(async () => {
    await h.stop();
    await broker?.close();
    broker = undefined;
    await sim.stop();
  });

  async function start(
    mode: string,
    site: Record<string, unknown> = {},
    retained?: string,
    charger: Record<string, unknown> = {},
  ) {
    sim = new OpenEvseSimulator({ defaultActive: false });
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    if (retained !== undefined) {
      // the meter's last message, kept by the broker from before the restart
      broker = await startBroker();
      const pub = await Recorder.connect(broker.url, []);
      await pub.publish('home/grid', retained, { retain: true });
      await pub.close();
    }
    h = await startHarness({
      chargers: [openevseCharger(sim.port, { max_current: 16, mode, ...charger })],
      meters: [GRID],
      config: { site: { interval: 10, failsafe: 'min_current', ...site } },
      ...(broker ? { brokerUrl: broker.url } : {}),
    });
  }

  /** Claims asking the simulated unit to charge. */
  const starts = () =>
    sim
      .requestsTo('POST', `/claims/${CLIENT}`)
      .filter((r) => (r.json as { state?: string })?.state === 'active');

  /** Fake time passes in 1 s steps; the meter reports each second when `power` is given. */
  async function run(seconds: number, power?: number): Promise<void> {
    for (let t = 0; t < seconds; t++) {
      if (power !== undefined) await h.rec.publish('home/grid', JSON.stringify({ power }));
      await h.clock.advance(1000, 5);
    }
  }

  it('solar, the meter reporting late: nothing starts the car, before or after the first reading', async () => {
    await start('solar');
    await run(15);
    expect(h.rec.json('evse2mqtt/garage').decision).toMatchObject({ blocked_by: 'grid meter pending' });
    expect(h.rec.json('evse2mqtt/garage').failsafe).toBeNull();
    await run(30, 600); // night: the house imports
    expect(starts()).toEqual([]);
    expect(sim.claim(CLIENT)?.state).not.toBe('active');
    expect(h.rec.json('evse2mqtt/garage')).toMatchObject({ mode: 'solar', failsafe: null, charging: false });
  });

  it('solar, the meter never reporting: the fail-safe after max_age, and the paused car stays paused', async () => {
    await start('solar');
    await run(60);
    await h.rec.waitJson('evse2mqtt/garage', (s) => s.failsafe === 'grid meter stale');
    expect(starts()).toEqual([]);
    expect(sim.claim(CLIENT)?.state).not.toBe('active');
  });

  it('solar, only a retained reading of a sunny export: it counts for nothing, the car stays paused', async () => {
    await start('solar', {}, JSON.stringify({ power: -5000 }));
    await run(60);
    await h.rec.waitJson('evse2mqtt/garage', (s) => s.failsafe === 'grid meter stale');
    expect(starts()).toEqual([]);
  });

  it('min_solar, the meter reporting late: it starts only once the meter has reported', async () => {
    await start('min_solar');
    await run(20);
    expect(starts()).toEqual([]);
    await run(20, 600);
    expect(starts().length).toBeGreaterThan(0);
    expect(sim.claim(CLIENT)).toMatchObject({ state: 'active', charge_current: 6 });
  });

  it.each([
    ['fast', {}],
    // smart without a tariff charges at once
    ['smart', { smart_charging: { deadline: '07:00', energy: 10 } }],
  ])(
    '%s under site.max_current, the meter reporting late: it starts only once the meter has reported',
    async (mode, charger) => {
      await start(mode, { max_current: 25 }, undefined, charger);
      await run(20);
      expect(starts()).toEqual([]);
      expect(h.rec.json('evse2mqtt/garage').decision).toMatchObject({ mode });
      await run(20, 600);
      expect(starts().length).toBeGreaterThan(0);
    },
  );
});

describe('a grid meter slower than the control cycle', () => {
  it('leaves the fail-safe on its second fresh reading: a meter every 30 s with cycles every 10 s', async () => {
    const sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    const h = await startHarness({
      chargers: [openevseCharger(sim.port, { max_current: 16, mode: 'min_solar' })],
      meters: [{ ...GRID, max_age: 60 }],
      config: { site: { interval: 10, failsafe: 'min_current' } },
    });
    try {
      /** `seconds` of fake time; the meter reports every 30 s while `reporting`. */
      const run = async (seconds: number, reporting: boolean) => {
        for (let t = 0; t < seconds; t += 10) {
          if (reporting && (h.clock.now() / 1000) % 30 < 10)
            await h.rec.publish('home/grid', JSON.stringify({ power: -3000 }));
          await h.clock.advance(10_000, 5);
        }
      };
      await run(60, true);
      expect(h.rec.json('evse2mqtt/garage').failsafe).toBeNull();
      await run(90, false); // the meter falls silent: stale after 60 s
      expect(h.rec.json('evse2mqtt/garage').failsafe).toBe('grid meter stale');
      const since = h.rec.mark();
      await run(70, true); // back: readings at +0, +30 and +60 s
      const states = h.rec.on('evse2mqtt/garage', since).map((m) => JSON.parse(m.payload).failsafe);
      expect(states.at(-1)).toBeNull();
      expect(states).toContain('grid meter stale');
    } finally {
      await h.stop();
      await sim.stop();
    }
  });
});
