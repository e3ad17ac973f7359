import { describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { PulsatrixSimulator } from '../../src/drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from '../../src/drivers/technove/simulator.js';
import { ACTION, CONTROL, REG } from '../../src/drivers/wallbox-quasar/registers.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { fromInt16 } from '../../src/transport/modbus.js';

// What the demo sums into its grid meter: each simulated car's real draw, W.
describe("a simulated car's draw", () => {
  it('OpenEVSE: a little under the pilot while active, nothing while disabled or unplugged, on 3 phases for a three-phase unit', () => {
    const sim = new OpenEvseSimulator();
    expect(sim.powerW()).toBe(0);
    sim.plugIn({ evMaxCurrent: 32 });
    sim.setOverride({ charge_current: 10 });
    expect(sim.powerW()).toBe(2265.5); // 9.85 A × 230 V
    expect(sim.computeStatus().power).toBe(sim.powerW());
    sim.setOverride({ state: 'disabled' });
    expect(sim.powerW()).toBe(0);
    const three = new OpenEvseSimulator({ threePhase: true });
    three.plugIn({ evMaxCurrent: 16 });
    expect(three.powerW()).toBe(Math.round(15.85 * 230 * 3 * 10) / 10);
  });

  it('TechnoVE: the car takes a little under maxCurrent or its own maximum, nothing once unplugged', () => {
    const sim = new TechnoveSimulator();
    sim.plugIn({ evMaxCurrent: 10 });
    expect(sim.powerW()).toBe(9.75 * 240);
    sim.unplug();
    expect(sim.powerW()).toBe(0);
  });

  it('pulsatrix: a 1-phase car draws on one phase only', () => {
    const sim = new PulsatrixSimulator({ ownLimit: 32 });
    sim.plugIn({ evMaxCurrent: 13, evPhases: 1 });
    expect(sim.device.power()).toBeCloseTo(12.8 * 231.2, 1);
    sim.plugIn({ evPhases: 3 });
    expect(sim.device.power()).toBeCloseTo(12.8 * (231.2 + 230.8 + 232.0), 1);
  });

  it('Quasar: a negative setpoint under remote control discharges (negative power)', () => {
    const sim = new QuasarSimulator();
    sim.plugIn({ soc: 70 });
    expect(sim.write(REG.control, CONTROL.remote)).toBeNull();
    expect(sim.write(REG.currentSetpoint, fromInt16(-10))).toBeNull();
    expect(sim.write(REG.action, ACTION.start)).toBeNull();
    expect(sim.powerW()).toBe(-2300);
  });
});
