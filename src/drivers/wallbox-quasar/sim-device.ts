import { fromInt16, toInt16 } from '../../transport/modbus.js';
import { ACTION, CONTROL, REG, SETPOINT_LIMIT_A, SETPOINT_TYPE } from './registers.js';

/** A register write as the charger received it. */
export interface QuasarWrite {
  register: number;
  /** The word on the wire (0…65535). */
  raw: number;
  /** Signed value for the signed setpoints (0x0102, 0x0104), else the word. */
  value: number;
  /** Simulated time of arrival, ms. */
  at: number;
  /** Acknowledged but without effect: the charger was under user control (0x0051 = 0). */
  ignored: boolean;
}

/** Modbus exception codes the charger answers with. */
export const EXCEPTION = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3 } as const;

/** Options of the simulated charger. */
export interface QuasarDeviceOptions {
  /** Mains voltage, V. */
  voltage?: number;
  /** Vehicle battery, kWh. */
  capacityKwh?: number;
  /** The car stops discharging at this SoC, %. */
  carMinSoc?: number;
  /** Register 0x0001. */
  firmware?: number;
  serial?: number;
}

const WRITABLE: ReadonlySet<number> = new Set([
  REG.control,
  REG.autostart,
  REG.setpointType,
  REG.idleTimeout,
  REG.action,
  REG.currentSetpoint,
  REG.powerSetpoint,
]);

/**
 * The Quasar's register semantics and physics, without sockets (simulator.ts serves it over
 * Modbus TCP). Faithful to the register map in README.md beside this file: writes count only under remote
 * control (0x0051 = 1), user control resets autostart, setpoint type and idle timeout; action 1
 * starts and 2 stops; a negative setpoint discharges (state 11); with autostart off a plug-in waits
 * paused (4); the SoC reads 0 while no energy flows; the idle timeout stops (dis)charging when no
 * request arrives for 0x0058 s of simulated time.
 */
export class QuasarDevice {
  // registers
  control: number = CONTROL.user;
  autostart = 1;
  setpointType: number = SETPOINT_TYPE.current;
  /** s, 0 = off. */
  idleTimeout = 0;
  action = 0;
  /** A, signed. */
  setpoint = 0;
  /** W, signed. */
  powerSetpoint = 0;
  readonly firmware: number;
  readonly serial: number;
  /** Hardware max power, W. */
  maxPower = 7400;

  // the world around it
  vehicle = false;
  /** Vehicle battery, %. */
  soc = 50;
  capacityKwh: number;
  carMinSoc: number;
  voltage: number;
  /** The vehicle takes at most this current, A. */
  evMaxCurrent = 32;
  /** Charger locked in the app (state 6 without a car). */
  locked = false;
  /** The site's Power Boost holds the charger back (state 10). */
  powerBoostQueue = false;
  /** Under user control: the app's current, A, and whether the app lets it charge. */
  appCurrent = 32;
  appCharging = true;
  /** A (dis)charging session was started (action 1, or autostart). */
  running = false;
  unrecoverableError = 0;
  recoverableError = 0;
  /** The next idle SoC read returns 1 (the glitch real units show). */
  socGlitch = false;

  // observation
  /** Simulated time, ms. */
  now = 0;
  lastTraffic = 0;
  readonly writes: QuasarWrite[] = [];
  /** Times the idle timeout stopped the charger. */
  idleStops = 0;
  /** Energy into the vehicle this session (the charger's own figure), Wh. */
  sessionWh = 0;
  /** Energy out of the vehicle this session, Wh. */
  sessionDischargedWh = 0;

  constructor(opts: QuasarDeviceOptions = {}) {
    this.voltage = opts.voltage ?? 230;
    this.capacityKwh = opts.capacityKwh ?? 60;
    this.carMinSoc = opts.carMinSoc ?? 10;
    this.firmware = opts.firmware ?? 3400;
    this.serial = opts.serial ?? 123456;
  }

  // ---- what a person or a car does ----------------------------------------------------------

  /** Plugs a vehicle in; it starts by itself only with autostart on. */
  plugIn(opts: { soc?: number; evMaxCurrent?: number } = {}): void {
    this.sync();
    this.vehicle = true;
    if (opts.soc !== undefined) this.soc = opts.soc;
    if (opts.evMaxCurrent !== undefined) this.evMaxCurrent = opts.evMaxCurrent;
    this.sessionWh = 0;
    this.sessionDischargedWh = 0;
    this.running = this.control === CONTROL.user ? this.appCharging : this.autostart === 1;
  }

  /** Unplugs: the session ends. */
  unplug(): void {
    this.sync();
    this.vehicle = false;
    this.running = false;
  }

  /** A person takes control in the Wallbox app: 0x0051 reads 0, and the app's settings apply. */
  takeUserControl(opts: { current?: number; charging?: boolean } = {}): void {
    this.sync();
    if (opts.current !== undefined) this.appCurrent = opts.current;
    if (opts.charging !== undefined) this.appCharging = opts.charging;
    this.toUser();
  }

  /** Puts the charger in its error state with these codes (32-bit each), or clears it (null). */
  setError(codes: { unrecoverable?: number; recoverable?: number } | null): void {
    this.sync();
    this.unrecoverableError = codes?.unrecoverable ?? 0;
    this.recoverableError = codes?.recoverable ?? 0;
  }

  /** Brings simulated time up to date before a control acts (the simulator follows a clock). */
  protected sync(): void {}

  // ---- derived state ------------------------------------------------------------------------

  /** Register 0x0219. */
  state(): number {
    if (this.unrecoverableError !== 0 || this.recoverableError !== 0) return 7;
    if (!this.vehicle) return this.locked ? 6 : 0;
    if (!this.running) return 4;
    const amps = this.targetAmps();
    if (amps === 0) return 2;
    if (this.powerBoostQueue) return 10;
    if (amps > 0) return this.soc >= 100 ? 2 : 1;
    return this.soc <= this.carMinSoc ? 2 : 11;
  }

  /** Signed current flowing now, A (negative = discharging). */
  flowAmps(): number {
    const state = this.state();
    if (state !== 1 && state !== 11) return 0;
    const amps = this.targetAmps();
    return Math.sign(amps) * Math.min(Math.abs(amps), this.evMaxCurrent, SETPOINT_LIMIT_A);
  }

  /** Signed AC power, W. */
  powerW(): number {
    return Math.round(this.flowAmps() * this.voltage);
  }

  private targetAmps(): number {
    if (this.control === CONTROL.user) return this.appCurrent;
    if (this.setpointType === SETPOINT_TYPE.power) return Math.trunc(this.powerSetpoint / this.voltage);
    return this.setpoint;
  }

  // ---- Modbus register access ---------------------------------------------------------------

  /** Holding register `address` as a 16-bit word, or a Modbus exception code. */
  read(address: number): { word: number } | { exception: number } {
    const reader = this.registers()[address];
    return reader === undefined ? { exception: EXCEPTION.illegalAddress } : { word: reader() };
  }

  private registers(): Record<number, () => number> {
    const user = this.control === CONTROL.user;
    return {
      [REG.firmware]: () => this.firmware,
      [REG.serialHigh]: () => Math.floor(this.serial / 0x10000),
      [REG.serialLow]: () => this.serial % 0x10000,
      [REG.control]: () => this.control,
      [REG.autostart]: () => this.autostart,
      [REG.setpointType]: () => this.setpointType,
      [REG.idleTimeout]: () => this.idleTimeout,
      [REG.locked]: () => (this.locked ? 1 : 0),
      [REG.action]: () => this.action,
      // under user control the app's current is the setpoint in force
      [REG.currentSetpoint]: () => fromInt16(user ? this.appCurrent : this.setpoint),
      [REG.powerSetpoint]: () => fromInt16(this.powerSetpoint),
      [REG.maxPower]: () => this.maxPower,
      [REG.current]: () => fromInt16(Math.round(this.flowAmps())),
      [REG.voltage]: () => Math.round(this.voltage),
      [REG.power]: () => fromInt16(this.powerW()),
      [REG.state]: () => this.state(),
      [REG.soc]: () => this.socRegister(),
      [REG.unrecoverableHigh]: () => Math.floor(this.unrecoverableError / 0x10000),
      [REG.unrecoverableLow]: () => this.unrecoverableError % 0x10000,
      [REG.recoverableHigh]: () => Math.floor(this.recoverableError / 0x10000),
      [REG.recoverableLow]: () => this.recoverableError % 0x10000,
      547: () => (this.vehicle ? 3900 : 0), // DC battery voltage, 0.1 V
      548: () => fromInt16(Math.round((this.powerW() / 390) * 10)), // DC current, 0.1 A
    };
  }

  /** Writes `raw` to `address`; returns a Modbus exception code when refused. */
  write(address: number, raw: number): number | null {
    if (!WRITABLE.has(address)) return EXCEPTION.illegalAddress;
    const signed = address === REG.currentSetpoint || address === REG.powerSetpoint;
    const value = signed ? toInt16(raw) : raw;
    if (!this.valid(address, value)) return EXCEPTION.illegalValue;
    const ignored = address !== REG.control && this.control !== CONTROL.remote;
    this.writes.push({ register: address, raw, value, at: this.now, ignored });
    if (ignored) return null;
    switch (address) {
      case REG.control:
        if (value === CONTROL.user) this.toUser();
        else this.control = CONTROL.remote;
        break;
      case REG.autostart:
        this.autostart = value;
        break;
      case REG.setpointType:
        this.setpointType = value;
        break;
      case REG.idleTimeout:
        this.idleTimeout = value;
        break;
      case REG.action:
        this.action = value;
        if (value === ACTION.start) this.running = this.vehicle;
        if (value === ACTION.stop || value === ACTION.restart) this.running = false;
        break;
      case REG.currentSetpoint:
        this.setpoint = value;
        break;
      case REG.powerSetpoint:
        this.powerSetpoint = value;
        break;
    }
    return null;
  }

  /** A request arrived (any register): feeds the idle timeout. */
  traffic(): void {
    this.lastTraffic = this.now;
  }

  private valid(address: number, v: number): boolean {
    switch (address) {
      case REG.control:
      case REG.autostart:
      case REG.setpointType:
        return v === 0 || v === 1;
      case REG.action:
        return v >= 1 && v <= 4;
      case REG.currentSetpoint:
        return Math.abs(v) <= SETPOINT_LIMIT_A;
      case REG.powerSetpoint:
        return Math.abs(v) <= this.maxPower;
      default:
        return true;
    }
  }

  private socRegister(): number {
    const state = this.state();
    if (!this.vehicle) return 0;
    if (state === 1 || state === 11) return Math.max(1, Math.round(this.soc));
    if (this.socGlitch) {
      this.socGlitch = false;
      return 1;
    }
    return 0;
  }

  /** User control: autostart back on, current setpoints, idle timeout off; the app decides. */
  private toUser(): void {
    this.control = CONTROL.user;
    this.autostart = 1;
    this.setpointType = SETPOINT_TYPE.current;
    this.idleTimeout = 0;
    this.running = this.vehicle && this.appCharging;
  }

  // ---- time ---------------------------------------------------------------------------------

  /** Advances simulated time by `ms`: energy, SoC, the car's limits and the idle timeout. */
  tick(ms: number): void {
    let left = ms;
    while (left > 0) {
      const stopAt = this.idleDeadline();
      const step = stopAt !== null && stopAt - this.now < left ? Math.max(0, stopAt - this.now) : left;
      this.flow(step);
      this.now += step;
      left -= step;
      if (stopAt !== null && this.now >= stopAt) {
        // no Modbus traffic for 0x0058 s: the charger goes idle by itself
        this.running = false;
        this.idleStops += 1;
      }
    }
  }

  /** When the idle timeout stops the charger, simulated ms, or null if it cannot. */
  private idleDeadline(): number | null {
    if (this.idleTimeout <= 0 || this.control !== CONTROL.remote || !this.running) return null;
    return this.lastTraffic + this.idleTimeout * 1000;
  }

  private flow(ms: number): void {
    const wh = (this.powerW() * ms) / 3_600_000;
    if (wh > 0) this.sessionWh += wh;
    else this.sessionDischargedWh -= wh;
    this.soc = Math.max(0, Math.min(100, this.soc + wh / (this.capacityKwh * 10)));
  }
}
