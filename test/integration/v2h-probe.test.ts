/**
 * The state-of-charge probe of load_follow with the Quasar simulator (docs/engine.md, load_follow):
 * the Quasar reports no state of charge while idle, so before a discharge the bridge charges at
 * min_current for a few cycles to read it, shown as `failsafe: state of charge unknown`; the
 * discharge follows once two reads in a row carried a state of charge.
 */
import { expect, it } from '@jest/globals';
import { REG } from '../../src/drivers/wallbox-quasar/registers.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { startHarness } from '../helpers/harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

type State = { charge_current: number; state_of_charge: number | null; failsafe: string | null };

it('an idle Quasar in load_follow is probed at min_current, then discharges into the house', async () => {
  const sim = new QuasarSimulator({ capacityKwh: 20, carMinSoc: 10 });
  await sim.start();
  sim.appCharging = false;
  const start = Date.parse('2026-01-15T19:00:00Z');
  const h = await startHarness({
    clock: new ManualClock(start),
    chargers: [
      {
        id: 'v2g',
        type: 'wallbox-quasar',
        host: '127.0.0.1',
        port: sim.port,
        max_current: 32,
        max_discharge_current: 16,
        poll_interval: 5,
        mode: 'load_follow',
      },
    ],
    meters: [{ id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 }],
    config: { site: { interval: 10 } },
  });
  sim.follow(() => h.clock.now());
  sim.plugIn({ soc: 60 });
  const seen: State[] = [];
  try {
    // after the restart, before the grid meter reports (pending): no setpoint that charges or discharges
    await h.clock.advance(15_000);
    expect(sim.writes.filter((w) => w.register === REG.currentSetpoint && w.value !== 0)).toEqual([]);
    expect(h.rec.json<State>('evse2mqtt/v2g').failsafe).toBeNull();
    for (let k = 0; k < 18; k++) {
      sim.catchUp();
      await h.rec.publish('home/grid', JSON.stringify({ power: Math.round(2500 + sim.powerW()) }));
      await new Promise((r) => setTimeout(r, 5));
      await h.clock.advance(5000, 4);
      seen.push(h.rec.json<State>('evse2mqtt/v2g'));
    }
    const setpoints = sim.writes.filter((w) => w.register === REG.currentSetpoint).map((w) => w.value);
    const firstDischarge = setpoints.findIndex((a) => a < 0);
    // the probe: min_current (6 A) first, then the discharge
    expect(setpoints.slice(0, Math.max(0, firstDischarge))).toContain(6);
    expect(firstDischarge).toBeGreaterThan(0);
    expect(setpoints.slice(0, firstDischarge).every((a) => a === 0 || a === 6)).toBe(true);
    expect(seen.some((s) => s.failsafe === 'state of charge unknown')).toBe(true);
    const last = seen.at(-1)!;
    expect(last.failsafe).toBeNull();
    expect(last.charge_current).toBeLessThan(0);
    expect(last.state_of_charge).toBeGreaterThan(50);
  } finally {
    await h.stop();
    await sim.stop();
  }
}, 60_000);
