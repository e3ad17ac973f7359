/**
 * Wallbox Quasar Modbus TCP register map (README.md beside this file; the
 * register list Wallbox Chargers S.L. supplied to V2G Liberty, fixtures/wallbox-quasar/). Every
 * register is a holding register (FC3 read, FC6 write), one 16-bit word; signed values are int16
 * in two's complement.
 */
import { toInt16 } from '../../transport/modbus.js';

/** Register addresses. */
export const REG = {
  /** Firmware version (encoding not documented). */
  firmware: 0x0001,
  /** Serial number, high and low word. */
  serialHigh: 0x0002,
  serialLow: 0x0003,
  /** 0 = user (the Wallbox app), 1 = remote (Modbus). Writes other than this one count only in remote. */
  control: 0x0051,
  /** Start on plug-in: 1 = enable, 0 = disable; back to 1 whenever control returns to the user. */
  autostart: 0x0052,
  /** 0 = current setpoint (0x0102), 1 = power setpoint (0x0104). */
  setpointType: 0x0053,
  /** Modbus idle timeout, s: the charger stops when no Modbus traffic arrives within it; 0 = off. */
  idleTimeout: 0x0058,
  /** Charger locked, 0/1 (read only). */
  locked: 0x0100,
  /** Action: 1 start (dis)charging, 2 stop, 3 restart charger, 4 update software. */
  action: 0x0101,
  /** Current setpoint, A, int16, −32…32 (negative = discharge). */
  currentSetpoint: 0x0102,
  /** Power setpoint, W, int16, −7400…7400 (used when 0x0053 = 1; the bridge does not use it). */
  powerSetpoint: 0x0104,
  /** Max available power (hardware setting), W. */
  maxPower: 0x0202,
  /** AC current, A, int16. */
  current: 0x0207,
  /** AC voltage, V. */
  voltage: 0x020a,
  /** AC active power, W, int16 (negative = discharging). */
  power: 0x020e,
  /** Charger state (mapping.ts QUASAR_STATES). */
  state: 0x0219,
  /** Car state of charge, %; 0 (and a brief 1) while idle = unknown. */
  soc: 0x021a,
  /** Error codes, high and low word: unrecoverable, then recoverable. */
  unrecoverableHigh: 0x021b,
  unrecoverableLow: 0x021c,
  recoverableHigh: 0x021d,
  recoverableLow: 0x021e,
} as const;

/** Values of 0x0051: who controls the charger. */
export const CONTROL = { user: 0, remote: 1 } as const;
/** Values of 0x0052: start on plug-in. */
export const AUTOSTART = { enable: 1, disable: 0 } as const;
/** Values of 0x0053: setpoint in A (0x0102) or W (0x0104). */
export const SETPOINT_TYPE = { current: 0, power: 1 } as const;
/** Values of 0x0101. */
export const ACTION = { start: 1, stop: 2, restart: 3, update: 4 } as const;

/** Largest current setpoint magnitude the register accepts, A. */
export const SETPOINT_LIMIT_A = 32;

/**
 * Registers read per poll, as [first, count]. Each block spans documented registers only: whether
 * the charger answers reads across undocumented addresses is not known.
 */
export const READ_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [REG.control, 3],
  [REG.idleTimeout, 1],
  [REG.action, 2],
  [REG.current, 1],
  [REG.voltage, 1],
  [REG.power, 1],
  [REG.state, 6],
];

/** One poll of the charger, decoded (signed values already signed). */
export interface QuasarSnapshot {
  /** 0x0051: 0 user, 1 remote. */
  control: number;
  /** 0x0052. */
  autostart: number;
  /** 0x0053. */
  setpointType: number;
  /** 0x0058, s. */
  idleTimeout: number;
  /** 0x0101, last action. */
  action: number;
  /** 0x0102, A, signed. */
  setpoint: number;
  /** 0x0207, A, signed. */
  current: number;
  /** 0x020A, V. */
  voltage: number;
  /** 0x020E, W, signed. */
  power: number;
  /** 0x0219. */
  state: number;
  /** 0x021A, % (raw). */
  soc: number;
  /** 0x021B–0x021C as one 32-bit code. */
  unrecoverableError: number;
  /** 0x021D–0x021E as one 32-bit code. */
  recoverableError: number;
}

/** Register words by address, from the READ_BLOCKS replies. */
export type Words = ReadonlyMap<number, number>;

/** Decodes the words of one poll; throws naming the register when one is missing. */
export function decodeSnapshot(w: Words): QuasarSnapshot {
  const get = (a: number): number => {
    const v = w.get(a);
    if (v === undefined) throw new Error(`register 0x${a.toString(16)} missing from the reply`);
    return v;
  };
  return {
    control: get(REG.control),
    autostart: get(REG.autostart),
    setpointType: get(REG.setpointType),
    idleTimeout: get(REG.idleTimeout),
    action: get(REG.action),
    setpoint: toInt16(get(REG.currentSetpoint)),
    current: toInt16(get(REG.current)),
    voltage: get(REG.voltage),
    power: toInt16(get(REG.power)),
    state: get(REG.state),
    soc: get(REG.soc),
    unrecoverableError: get(REG.unrecoverableHigh) * 0x10000 + get(REG.unrecoverableLow),
    recoverableError: get(REG.recoverableHigh) * 0x10000 + get(REG.recoverableLow),
  };
}
