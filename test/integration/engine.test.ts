import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ChargerRuntime } from '../../src/core/charger-runtime.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

const GRID = { id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 };
const CLIENT = bridgeClientId('evse2mqtt');

type State = {
  mode: string;
  enabled: boolean;
  charge_current: number;
  failsafe: string | null;
  decision?: Record<string, unknown>;
};

describe('the control engine with real simulators and a fake clock', () => {
  let h: Harness;
  let sim: OpenEvseSimulator;
  let pv = 0;
  const house = 500;

  /** One control interval: the grid meter reads house + charger − PV, then 10 s pass. */
  async function tick(seconds = 10): Promise<void> {
    for (let t = 0; t < seconds; t += 10) {
      const charger = sim.computeStatus().power as number;
      await h.rec.publish('home/grid', JSON.stringify({ power: Math.round(house + charger - pv) }));
      await new Promise((r) => setTimeout(r, 20));
      await h.clock.advance(10_000);
    }
  }

  async function start(site: Record<string, unknown>, charger: Record<string, unknown> = {}) {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    h = await startHarness({
      chargers: [openevseCharger(sim.port, { max_current: 32, ...charger })],
      meters: [GRID],
      config: { site: { interval: 10, enable_delay: 60, disable_delay: 180, ...site } },
    });
  }

  afterEach(async () => {
    await h.stop();
    await sim.stop();
  });

  it('solar: starts after enable_delay of enough surplus, follows it, stops after disable_delay without', async () => {
    await start({});
    pv = 0;
    await tick(30); // the meter reports before solar mode is chosen (no fail-safe at the start)
    await h.rec.publish('evse2mqtt/garage/set/mode', 'solar');
    await tick(20);
    expect(sim.claim(CLIENT)?.state).toBe('disabled'); // no surplus: paused
    pv = 4000; // 3500 W surplus: 15 A at 230 V
    await tick(50);
    expect(sim.claim(CLIENT)?.state).toBe('disabled'); // not yet enable_delay
    await tick(30);
    expect(sim.claim(CLIENT)).toMatchObject({ state: 'active' });
    await tick(20);
    expect(sim.pilot()).toBeGreaterThanOrEqual(14);
    expect(sim.pilot()).toBeLessThanOrEqual(16);
    const s = h.rec.json<State>('evse2mqtt/garage');
    expect(s.mode).toBe('solar');
    expect(s.decision).toMatchObject({ mode: 'solar' });
    pv = 500; // a cloud: less than the minimum
    await tick(150);
    expect(sim.claim(CLIENT)?.state).toBe('active'); // shorter than disable_delay: keeps charging at minimum
    await tick(60);
    expect(sim.claim(CLIENT)?.state).toBe('disabled');
  });

  it('fail-safe: a stale grid meter charges at min_current and says why; normal again after fresh readings', async () => {
    await start({ failsafe: 'min_current' });
    pv = 6000;
    await h.rec.publish('evse2mqtt/garage/set/mode', 'solar');
    await tick(120);
    expect(sim.claim(CLIENT)?.state).toBe('active');
    await h.clock.advance(40_000); // the meter stops reporting
    await h.clock.advance(10_000);
    const s = await h.rec.waitJson<State>('evse2mqtt/garage', (v) => v.failsafe === 'grid meter stale');
    expect(s.mode).toBe('solar');
    expect(sim.pilot()).toBe(6);
    await tick(30);
    await h.rec.waitJson<State>('evse2mqtt/garage', (v) => v.failsafe === null);
  });

  it('load management caps a manual command under site.max_current and keeps the person’s target', async () => {
    await start({ max_current: 16 });
    pv = 0;
    await tick(20); // house 500 W + the charger at its own 32 A … the cycle cuts it at once
    expect(sim.pilot()).toBeLessThanOrEqual(14);
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set/charge_current', '32');
    const r = await h.rec.waitJson<{ status: string; data: { charge_current: number } }>(
      'evse2mqtt/garage/response',
      () => true,
      { since },
    );
    expect(r.status).toBe('ok');
    expect(r.data.charge_current).toBeLessThanOrEqual(14);
    await tick(20);
    expect(sim.pilot()).toBeLessThanOrEqual(14);
    expect(h.rec.json<State>('evse2mqtt/garage').mode).toBe('manual');
  });
});

describe('phase switching with the pulsatrix simulator', () => {
  it('switches a 3-phase charger to 1 phase on a small surplus, paused: limit 0 first, then the switch, then resume', async () => {
    const { PulsatrixSimulator } = await import('../../src/drivers/pulsatrix/simulator.js');
    const sim = new PulsatrixSimulator({ ownLimit: 16 });
    await sim.start();
    sim.plugIn({ evPhases: 3 });
    const h = await startHarness({
      chargers: [
        {
          id: 'carport',
          type: 'pulsatrix',
          host: '127.0.0.1',
          port: sim.port,
          max_current: 16,
          phases: 3,
          watchdog: 60,
          poll_interval: 5,
        },
      ],
      meters: [GRID],
      config: { site: { interval: 10, enable_delay: 60, disable_delay: 180 } },
    });
    let pv = 9000;
    const step = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const power = sim.device.power();
        await h.rec.publish('home/grid', JSON.stringify({ power: Math.round(500 + power - pv) }));
        await new Promise((r) => setTimeout(r, 20));
        await h.clock.advance(10_000);
      }
    };
    await step(3);
    await h.rec.publish('evse2mqtt/carport/set/mode', 'solar');
    await step(9);
    await h.rec.waitJson('evse2mqtt/carport', (v) => v.charging === true && v.phases === 3);
    pv = 3000; // about 2.5 kW surplus: enough for 1 phase (1380 W), not for 3 (4140 W)
    const from = sim.frames.length;
    await step(24);
    const frames = sim.frames.slice(from);
    const pause = frames.indexOf('setCurrentLimit\n0');
    const toOne = frames.findIndex((f) => f === 'set1p3p\ntrue' || f === 'setOnePhaseLimitActive\ntrue');
    expect(pause).toBeGreaterThanOrEqual(0);
    expect(toOne).toBeGreaterThan(pause);
    const resume = frames.findIndex(
      (f, i) => i > toOne && /^setCurrentLimit\n(\d+)/.test(f) && f !== 'setCurrentLimit\n0',
    );
    expect(resume).toBeGreaterThan(toOne);
    await h.rec.waitJson('evse2mqtt/carport', (v) => v.phases === 1 && v.charging === true);
    await h.stop();
    await sim.stop();
  });
});

describe('a control cycle over many chargers', () => {
  it('handles other work between groups of chargers, and still decides for every one', async () => {
    const n = 120;
    const sims = Array.from({ length: n }, () => new OpenEvseSimulator());
    await Promise.all(sims.map((s) => s.start()));
    const h = await startHarness({
      chargers: sims.map((s, i) =>
        openevseCharger(s.port, { id: `c${String(i).padStart(3, '0')}`, name: `C ${i}` }),
      ),
      config: { site: { interval: 10 } },
      record: ['evse2mqtt/+'],
    });
    try {
      const planned: string[] = [];
      let seenByOtherWork: number | undefined;
      const original = ChargerRuntime.prototype.setPlan;
      const spy = jest.spyOn(ChargerRuntime.prototype, 'setPlan').mockImplementation(function (
        this: ChargerRuntime,
        plan,
      ) {
        if (planned.length === 0)
          setImmediate(() => {
            seenByOtherWork = planned.length; // what an incoming command would have waited for
          });
        planned.push(this.id);
        original.call(this, plan);
      });
      await h.clock.advance(10_000);
      spy.mockRestore();
      expect(new Set(planned).size).toBe(n);
      expect(seenByOtherWork).toBeGreaterThan(0);
      expect(seenByOtherWork).toBeLessThan(n);
    } finally {
      await h.stop();
      await Promise.all(sims.map((s) => s.stop()));
    }
  }, 60_000);
});
