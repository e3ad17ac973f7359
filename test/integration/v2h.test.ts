import { expect, it } from '@jest/globals';
import { REG } from '../../src/drivers/wallbox-quasar/registers.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { startHarness } from '../helpers/harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

const STATE = 'evse2mqtt/v2g';
const TARGET_W = 100;
const V = 230;

type State = {
  status: string;
  charge_current: number;
  power: number | null;
  state_of_charge: number | null;
  failsafe: string | null;
  decision?: { mode: string; target_current: number | null; blocked_by: string | null };
};

/** PV in W at minute `m` after 17:00: 3 kW fading to nothing at 18:30. */
const pv = (m: number) => Math.max(0, Math.round(3000 * (1 - m / 90)));

/** House load in W at minute `m` after 17:00: dinner, an evening, an oven, the night. */
function house(m: number): number {
  if (m < 60) return 400;
  if (m < 150) return 2500; // 18:00–19:30 cooking
  if (m >= 210 && m < 225) return 4800; // 20:30–20:45 the oven: more than 16 A can give
  if (m < 300) return 1800; // the evening
  return 600; // 22:00–23:00
}

/** The meter is down 19:00–19:05. */
const meterDown = (m: number) => m >= 120 && m < 125;

it('V2H over a simulated evening (17:00–23:00) with the Quasar simulator: grid import held near the target, limits kept, stops at min SoC + 2 %, fail-safe on a stale meter', async () => {
  const sim = new QuasarSimulator({ capacityKwh: 20, carMinSoc: 10 });
  await sim.start();
  sim.appCharging = false; // plugged in under the app's control, not charging until the bridge says so
  const start = Date.parse('2026-01-15T17:00:00Z');
  const clock = new ManualClock(start - 120_000);
  const h = await startHarness({
    clock,
    chargers: [
      {
        id: 'v2g',
        name: 'V2G',
        type: 'wallbox-quasar',
        host: '127.0.0.1',
        port: sim.port,
        max_current: 32,
        max_discharge_current: 16,
        min_state_of_charge: 20,
        poll_interval: 15,
        watchdog: 60,
        mode: 'load_follow',
      },
    ],
    meters: [{ id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 60 }],
    config: { site: { interval: 60, load_follow_target: TARGET_W } },
  });
  sim.follow(() => h.clock.now());
  sim.plugIn({ soc: 40 });
  await h.clock.advance(start - h.clock.now());

  /** What happened every 30 s: the published grid power, the charger's power, SoC, and the MQTT state. */
  const log: Array<{ m: number; gridW: number | null; chargerW: number; soc: number; state: State }> = [];
  try {
    // the meter reports every 30 s: grid = house + charger − pv
    for (let k = 0; k < 2 * 360; k++) {
      const m = Math.floor(k / 2);
      sim.catchUp();
      const chargerW = sim.powerW();
      const gridW = Math.round(house(m) + chargerW - pv(m));
      if (!meterDown(m)) await h.rec.publish('home/grid', JSON.stringify({ power: gridW }));
      await new Promise((r) => setTimeout(r, 5));
      await h.clock.advance(30_000, 4);
      log.push({
        m,
        gridW: meterDown(m) ? null : gridW,
        chargerW,
        soc: sim.soc,
        state: h.rec.json<State>(STATE),
      });
    }

    const setpoints = sim.writes.filter((w) => w.register === REG.currentSetpoint).map((w) => w.value);
    // never beyond the limits at the charger's registers, never a magnitude between 0 and min_current
    expect(Math.min(...setpoints)).toBeGreaterThanOrEqual(-16);
    expect(Math.max(...setpoints)).toBeLessThanOrEqual(32);
    expect(setpoints.filter((a) => a !== 0 && Math.abs(a) < 6)).toEqual([]);
    expect(setpoints.some((a) => a === -16)).toBe(true); // the oven: as much as allowed, no more

    // charges from export while the sun shines
    const afternoon = log.filter((e) => e.m >= 2 && e.m < 30);
    expect(afternoon.every((e) => e.state.charge_current > 0 && e.chargerW > 0)).toBe(true);
    expect(afternoon.every((e) => e.state.decision?.mode === 'load_follow')).toBe(true);

    // discharges to hold the import near the target while it can (SoC above the limit, demand within
    // min_current … max_discharge_current), a minute after each change of the house load excepted
    const steady = log.filter((e) => {
      const need = house(e.m) - pv(e.m) - TARGET_W;
      const settled = house(e.m - 2) === house(e.m) && !meterDown(e.m - 3) && !meterDown(e.m);
      return e.chargerW < 0 && e.gridW !== null && settled && need >= 7 * V && need <= 15 * V;
    });
    expect(steady.length).toBeGreaterThan(60);
    const meanError = steady.reduce((sum, e) => sum + Math.abs(e.gridW! - TARGET_W), 0) / steady.length;
    expect(meanError).toBeLessThan(150);
    // what the user sees meanwhile: discharging, a negative current and power, no fail-safe
    for (const e of steady) {
      expect(e.state).toMatchObject({ status: 'discharging', failsafe: null });
      expect(e.state.charge_current).toBeLessThan(0);
      expect(e.state.power).toBeLessThan(0);
      expect(e.state.decision?.target_current).toBeLessThan(0);
    }

    // the meter outage: setpoint 0 at once (within the first cycle after the reading is too old)
    const outage = log.filter((e) => e.m >= 120 && e.m < 130);
    const first = outage.find((e) => e.state.failsafe === 'grid meter stale');
    expect(first).toBeDefined();
    expect(first!.m).toBeLessThanOrEqual(122);
    for (const e of outage.filter((x) => x.state.failsafe === 'grid meter stale')) {
      expect(e.state.charge_current).toBe(0);
      expect(e.state.decision?.blocked_by).toBe('failsafe: grid meter stale');
    }
    // and the charger really stopped: no power at the next meter samples of the outage
    expect(log.filter((e) => e.m >= 123 && e.m < 125).every((e) => e.chargerW === 0)).toBe(true);
    // back two fresh cycles after it returns
    expect(log.filter((e) => e.m >= 128 && e.m < 150).some((e) => e.state.charge_current < 0)).toBe(true);

    // stops at min_state_of_charge + 2 %: never below it, and says why
    const low = log.findIndex((e) => e.state.decision?.blocked_by === 'state of charge low');
    expect(low).toBeGreaterThan(0);
    expect(sim.soc).toBeGreaterThan(21);
    expect(sim.soc).toBeLessThanOrEqual(23);
    const after = log.slice(low);
    expect(after.every((e) => e.chargerW >= 0 || e === after[0])).toBe(true);
    expect(after.every((e) => e.state.charge_current >= 0)).toBe(true);
    // after the stop, no probing: the car stays idle through the night
    expect(log.slice(low + 2).every((e) => e.state.charge_current === 0)).toBe(true);
  } finally {
    await h.stop();
    await sim.stop();
  }
}, 120_000);
