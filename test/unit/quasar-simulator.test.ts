import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { REG } from '../../src/drivers/wallbox-quasar/registers.js';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { fromInt16, ModbusClient, toInt16 } from '../../src/transport/modbus.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** The simulator seen through a real Modbus TCP connection, as a driver sees the charger. */
describe('Quasar simulator register semantics', () => {
  let sim: QuasarSimulator;
  let clock: ManualClock;
  let c: ModbusClient;
  const read = async (reg: number) => (await c.readHolding(reg, 1))[0]!;
  const take = async () => {
    await c.writeRegister(REG.control, 1);
    await c.writeRegister(REG.autostart, 0);
    await c.writeRegister(REG.idleTimeout, 60);
  };

  beforeEach(async () => {
    sim = new QuasarSimulator();
    await sim.start();
    clock = new ManualClock();
    sim.follow(() => clock.now());
    c = new ModbusClient({
      host: '127.0.0.1',
      port: sim.port,
      unitId: 1,
      timeoutMs: 3000,
      clock,
      log: pino({ level: 'silent' }),
    });
  });

  afterEach(async () => {
    await c.close();
    await sim.stop();
  });

  it('acknowledges but ignores writes under user control (0x51 = 0)', async () => {
    sim.appCharging = false;
    sim.plugIn({ soc: 50 });
    await c.writeRegister(REG.currentSetpoint, fromInt16(-10));
    await c.writeRegister(REG.action, 1);
    expect(await read(REG.state)).toBe(4);
    expect(sim.writes.map((w) => w.ignored)).toEqual([true, true]);
    await take();
    await c.writeRegister(REG.currentSetpoint, fromInt16(-10));
    await c.writeRegister(REG.action, 1);
    expect(await read(REG.state)).toBe(11);
    expect(toInt16(await read(REG.power))).toBe(-2300);
    expect(toInt16(await read(REG.current))).toBe(-10);
    expect(await read(REG.soc)).toBe(50);
  });

  it('returns to the app’s settings when 0x51 = 0 is written: autostart on, idle timeout off', async () => {
    await take();
    expect(await c.readHolding(REG.control, 3)).toEqual([1, 0, 0]);
    await c.writeRegister(REG.control, 0);
    expect(await c.readHolding(REG.control, 3)).toEqual([0, 1, 0]);
    expect(await read(REG.idleTimeout)).toBe(0);
  });

  it('waits paused at a plug-in with autostart off, and reads SoC 0 (or a glitch of 1) while idle', async () => {
    await take();
    sim.plugIn({ soc: 70 });
    expect(await read(REG.state)).toBe(4);
    expect(await read(REG.soc)).toBe(0);
    sim.socGlitch = true;
    expect(await read(REG.soc)).toBe(1);
    expect(await read(REG.soc)).toBe(0);
    await c.writeRegister(REG.currentSetpoint, 16);
    await c.writeRegister(REG.action, 1);
    expect(await read(REG.state)).toBe(1);
    expect(await read(REG.soc)).toBe(70);
  });

  it('stops (dis)charging when no request arrives for 0x58 s of simulated time', async () => {
    sim.plugIn({ soc: 50 });
    await take();
    await c.writeRegister(REG.currentSetpoint, 16);
    await c.writeRegister(REG.action, 1);
    await clock.advance(59_000);
    expect(await read(REG.state)).toBe(1); // this read is traffic: the timer starts again
    await clock.advance(59_999);
    sim.catchUp();
    expect(sim.state()).toBe(1);
    await clock.advance(1);
    sim.catchUp();
    expect(sim.state()).toBe(4);
    expect(sim.idleStops).toBe(1);
    expect(sim.sessionWh).toBeCloseTo((3680 * 119) / 3600, 6);
  });

  it('refuses out-of-range values and unknown registers with Modbus exceptions', async () => {
    await take();
    await expect(c.writeRegister(REG.currentSetpoint, 33)).rejects.toThrow(/Modbus exception 3/);
    await expect(c.writeRegister(REG.state, 1)).rejects.toThrow(/Modbus exception 2/);
    await expect(c.readHolding(0x0054, 1)).rejects.toThrow(/Modbus exception 2/);
  });

  it('stops answering mid-stream, and answers again after a restart (user control, connections dropped)', async () => {
    await take();
    sim.hangAfter(2);
    const p = c.transaction(async (io) => {
      await io.readHolding(REG.control, 1);
      await io.readHolding(REG.state, 1);
      await io.readHolding(REG.power, 1);
    });
    const failed = p.catch((e: unknown) => e);
    await clock.advance(3000);
    expect(String(await failed)).toMatch(/read 1 register at 0x020e: no answer within 3 s/);
    expect(sim.unanswered).toBe(1);
    await sim.restart();
    await clock.advance(1000);
    expect(await read(REG.control)).toBe(0);
  });
});
