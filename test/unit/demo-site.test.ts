import { describe, expect, it } from '@jest/globals';
import { hhmm, housePower, pvPower } from '../../src/demo/day.js';
import { DemoSite, type SiteCharger } from '../../src/demo/site.js';
import { ShellyGen1Simulator } from '../../src/meters/shelly/sim-gen1.js';
import { ShellyGen2Simulator } from '../../src/meters/shelly/sim-gen2.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A charger whose car draws `watts` while plugged in, and remembers what the site did to it. */
function stubCharger(id: string, watts: number, visits: Array<[string, string]>) {
  const seen = { plugged: false, events: [] as string[], tickedMs: 0 };
  const charger: SiteCharger = {
    id,
    powerW: () => (seen.plugged ? watts : 0),
    tick: (ms) => {
      seen.tickedMs += ms;
    },
    plugIn: () => {
      seen.plugged = true;
      seen.events.push('in');
    },
    unplug: () => {
      seen.plugged = false;
      seen.events.push('out');
    },
    visits,
  };
  return { charger, seen };
}

function site(chargers: SiteCharger[]) {
  const clock = new ManualClock();
  const pvMeter = new ShellyGen1Simulator({ time: clock.now() });
  const gridMeter = new ShellyGen2Simulator({ time: clock.now() });
  const logs = new MemoryLog('info');
  const s = new DemoSite({ chargers, pvMeter, gridMeter, clock, log: logs.bundle.log });
  return { s, clock, pvMeter, gridMeter, logs };
}

describe('the demo site', () => {
  it('sets the grid meter to house + what the cars draw − PV, a discharge counting negative', async () => {
    const charging = stubCharger('a', 3000, [['00:00', '23:59']]);
    const discharging = stubCharger('b', -2000, [['00:00', '23:59']]);
    const { s, clock, pvMeter, gridMeter } = site([charging.charger, discharging.charger]);
    s.start();
    await clock.advance(1000, 0);
    const m = s.minute();
    expect(pvMeter.channels[0]!.power).toBe(pvPower(m));
    expect(pvMeter.channels[0]!.power).toBeGreaterThan(5000);
    expect(gridMeter.channels[0]!.power).toBe(housePower(m) + 3000 - 2000 - pvPower(m));
    expect(gridMeter.channels[0]!.power).toBeLessThan(0); // a sunny late morning exports
    s.stop();
  });

  it('advances the simulators by the time that passed on its clock, the meters’ clocks too', async () => {
    const c = stubCharger('a', 0, []);
    const { s, clock, gridMeter } = site([c.charger]);
    const t0 = gridMeter.time;
    s.start();
    await clock.advance(5000, 0);
    expect(c.seen.tickedMs).toBe(5000);
    expect(gridMeter.time - t0).toBe(5000);
    s.stop();
    await clock.advance(5000, 0);
    expect(c.seen.tickedMs).toBe(5000);
  });

  it('plugs a car in when the simulated day reaches its visit and unplugs it when the visit ends, and logs both', async () => {
    // 10:30 at start, 2.4 simulated minutes per real second
    const c = stubCharger('demo-x', 1000, [['10:35', '10:40']]);
    const { s, clock, logs } = site([c.charger]);
    s.start();
    expect(c.seen.events).toEqual([]);
    await clock.advance(3000, 0); // 10:37
    expect(c.seen.events).toEqual(['in']);
    expect(s.minute()).toBeGreaterThan(hhmm('10:35'));
    await clock.advance(3000, 0); // 10:44
    expect(c.seen.events).toEqual(['in', 'out']);
    expect(logs.find('a car plugged into demo-x')).toHaveLength(1);
    expect(logs.find('a car left demo-x')).toHaveLength(1);
    s.stop();
  });
});
