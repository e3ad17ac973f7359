import { describe, expect, it } from '@jest/globals';
import { type ChargerReading, type ChargerStatus, readingStatus } from '../../src/core/model.js';
import { identify } from '../../src/drivers/wallbox-quasar/driver.js';
import {
  faultText,
  type MapContext,
  mapSnapshot,
  QUASAR_STATES,
  SessionEnergy,
  stateOfCharge,
} from '../../src/drivers/wallbox-quasar/mapping.js';
import { decodeSnapshot, type QuasarSnapshot, REG } from '../../src/drivers/wallbox-quasar/registers.js';

const status = (r: ChargerReading): ChargerStatus => readingStatus(r);

const idle: QuasarSnapshot = {
  control: 1,
  autostart: 0,
  setpointType: 0,
  idleTimeout: 60,
  action: 2,
  setpoint: 16,
  current: 0,
  voltage: 230,
  power: 0,
  state: 0,
  soc: 0,
  unrecoverableError: 0,
  recoverableError: 0,
};

const snap = (p: Partial<QuasarSnapshot>): QuasarSnapshot => ({ ...idle, ...p });

describe('Quasar state register 0x0219 (one row per vendor state)', () => {
  it.each<[string, Partial<QuasarSnapshot>, MapContext, Partial<ChargerReading> & { status: ChargerStatus }]>(
    [
      [
        '0 no car connected',
        { state: 0 },
        {},
        { status: 'disconnected', vehicleConnected: false, enabled: null },
      ],
      [
        '1 charging',
        { state: 1, current: 16, power: 3680, soc: 55 },
        {},
        { status: 'charging', charging: true, enabled: true, vehicleConnected: true },
      ],
      ['2 waiting for car demand', { state: 2 }, {}, { status: 'connected', enabled: true }],
      ['3 waiting for the next schedule', { state: 3 }, {}, { status: 'paused', held: true }],
      ['4 paused', { state: 4 }, {}, { status: 'paused', enabled: false, vehicleConnected: true }],
      [
        '4 paused by the bridge for setpoint 0',
        { state: 4 },
        { idleByBridge: true },
        { status: 'connected', enabled: null },
      ],
      ['5 end of schedule', { state: 5 }, {}, { status: 'paused', held: true }],
      [
        '6 no car, charger locked',
        { state: 6 },
        {},
        { status: 'disconnected', vehicleConnected: false, locked: true },
      ],
      [
        '7 error (vehicle as last seen)',
        { state: 7 },
        { lastVehicle: true },
        { status: 'error', vehicleConnected: true },
      ],
      ['8 in queue by Power Sharing', { state: 8 }, {}, { status: 'connected', enabled: true }],
      ['9 unconfigured Power Sharing', { state: 9 }, {}, { status: 'error', vehicleConnected: false }],
      ['10 in queue by Power Boost', { state: 10 }, {}, { status: 'connected', enabled: true }],
      [
        '11 discharging',
        { state: 11, setpoint: -10, current: -10, power: -2300, soc: 64 },
        {},
        { status: 'discharging', charging: true, chargeCurrent: -10 },
      ],
      ['42 unknown', { state: 42 }, {}, { status: 'error', fault: 'Quasar: unknown state 42' }],
    ],
  )('%s', (_name, regs, ctx, expected) => {
    const r = mapSnapshot(snap(regs), ctx);
    const { status: want, ...rest } = expected;
    expect(status(r)).toBe(want);
    expect(r).toMatchObject(rest);
  });

  it('has a row for every documented state 0–11', () => {
    expect(Object.keys(QUASAR_STATES).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('publishes power and current signed, and the setpoint in force as charge_current', () => {
    const r = mapSnapshot(snap({ state: 11, setpoint: -10, current: -10, power: -2300, soc: 64 }));
    expect(r.values).toEqual({ current: -10, voltage: 230, power: -2300, state_of_charge: 64 });
    expect(r.chargeCurrent).toBe(-10);
  });
});

describe('state of charge 0x021A', () => {
  it.each([
    [0, false, null],
    [0, true, null],
    [1, false, null],
    [1, true, 1],
    [64, false, 64],
    [64, true, 64],
    [101, true, null],
  ])('raw %p (energy flowing: %p) → %p', (raw, flowing, expected) => {
    expect(stateOfCharge(raw, flowing)).toBe(expected);
  });

  it('is null while idle with a car (the register reads 0) and with no car', () => {
    expect(mapSnapshot(snap({ state: 4, soc: 0 })).values.state_of_charge).toBeNull();
    expect(mapSnapshot(snap({ state: 4, soc: 1 })).values.state_of_charge).toBeNull();
    expect(mapSnapshot(snap({ state: 0, soc: 57 })).values.state_of_charge).toBeNull();
  });
});

describe('faults', () => {
  it('names the error codes of 0x021B–0x021E (high and low word)', () => {
    const words = new Map<number, number>([
      [REG.control, 1],
      [REG.autostart, 0],
      [REG.setpointType, 0],
      [REG.idleTimeout, 60],
      [REG.action, 1],
      [REG.currentSetpoint, 0],
      [REG.current, 0],
      [REG.voltage, 230],
      [REG.power, 0],
      [REG.state, 7],
      [REG.soc, 0],
      [REG.unrecoverableHigh, 1],
      [REG.unrecoverableLow, 2],
      [REG.recoverableHigh, 0],
      [REG.recoverableLow, 300],
    ]);
    const s = decodeSnapshot(words);
    expect(faultText(s)).toBe('Quasar: error (unrecoverable error code 65538, recoverable error code 300)');
  });

  it('counts an unrecoverable code as a fault in any state, a recoverable one alone not', () => {
    expect(faultText(snap({ state: 1, unrecoverableError: 5 }))).toBe('Quasar: unrecoverable error code 5');
    expect(faultText(snap({ state: 1, recoverableError: 5 }))).toBeNull();
  });
});

describe('register decoding', () => {
  it('reads signed int16 in two’s complement (0x020E 63036 = −2500 W)', () => {
    const zero: number[] = [REG.control, REG.autostart, REG.setpointType, REG.idleTimeout, REG.action];
    zero.push(REG.voltage, REG.soc, REG.unrecoverableHigh, REG.unrecoverableLow);
    zero.push(REG.recoverableHigh, REG.recoverableLow);
    const words = new Map<number, number>(zero.map((a) => [a, 0]));
    words.set(REG.state, 11);
    words.set(REG.power, 63036);
    words.set(REG.current, 65526);
    words.set(REG.currentSetpoint, 0xfff6);
    const s = decodeSnapshot(words);
    expect(s).toMatchObject({ state: 11, power: -2500, current: -10, setpoint: -10 });
  });

  it('says which register is missing', () => {
    expect(() => decodeSnapshot(new Map())).toThrow('register 0x51 missing from the reply');
  });

  it('reads the identity registers 0x0001–0x0003', () => {
    expect(identify([3400, 1, 57920])).toEqual({
      manufacturer: 'Wallbox',
      model: 'Quasar',
      sw_version: '3400',
      serial: '123456',
    });
    expect(identify([0, 0, 0])).toEqual({ manufacturer: 'Wallbox', model: 'Quasar' });
  });
});

describe('session energy integrated from power', () => {
  it('is unknown until a plug-in is seen, then counts energy into the vehicle only', () => {
    const e = new SessionEnergy(4_000_000);
    expect(e.update(0, 3680, true)).toBeNull(); // plugged in before the bridge looked
    expect(e.update(5_000, 0, false)).toBeNull();
    expect(e.update(10_000, 0, true)).toBe(0); // plug-in seen: a session starts
    expect(e.update(15_000, 3600, true)).toBe(0); // the power of the previous read applies to the interval
    expect(e.update(3_615_000, 3600, true)).toBe(3.6); // 3600 W for one hour
    expect(e.update(3_620_000, -2300, true)).toBeCloseTo(3.605, 6);
    expect(e.update(3_625_000, -2300, true)).toBeCloseTo(3.605, 6); // discharging adds nothing
    expect(e.update(3_630_000, 0, false)).toBeCloseTo(3.605, 6); // unplugged: the last session stays
    expect(e.update(3_635_000, 0, true)).toBe(0);
  });

  it('does not integrate across a gap longer than the limit', () => {
    const e = new SessionEnergy(60_000);
    e.update(0, 0, false);
    e.update(1_000, 7200, true);
    expect(e.update(301_000, 7200, true)).toBe(0);
    expect(e.update(306_000, 7200, true)).toBe(0.01);
  });
});
