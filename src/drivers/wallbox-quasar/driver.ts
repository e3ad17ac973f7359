import type { ChargerReading, DeviceInfo, OnExit, Targets } from '../../core/model.js';
import { fromInt16, hex, ModbusClient, type ModbusSession } from '../../transport/modbus.js';
import type { ChargerDriver, ChargerTypeDef, DriverContext } from '../types.js';
import { mapSnapshot, SessionEnergy } from './mapping.js';
import { type QuasarOptions, quasarMeta } from './meta.js';
import {
  ACTION,
  AUTOSTART,
  CONTROL,
  decodeSnapshot,
  type QuasarSnapshot,
  READ_BLOCKS,
  REG,
  SETPOINT_LIMIT_A,
  SETPOINT_TYPE,
} from './registers.js';

/** Per-request timeout, ms (evse-controller uses 2 s against real units). */
const REQUEST_TIMEOUT_MS = 3000;
/** apply() sends nothing more after this, ms: the runtime answers "no answer" at 10 s. */
const APPLY_BUDGET_MS = 9000;

/**
 * Wallbox Quasar driver over Modbus TCP (README.md beside this file). The charger ignores writes unless it is
 * under remote control, so the first command takes control: 0x51 = 1, autostart 0x52 = 0,
 * setpoint type 0x53 = 0 (current) and the Modbus idle timeout 0x58 = `watchdog` s, which stops
 * (dis)charging when the bridge stops talking. Then setpoint 0x102 (signed A) and action 0x101.
 * 0x51 reading 0 afterwards means a person took control in the Wallbox app: reported as
 * `overridden` on two reads (when the runtime adopts it), then left alone until the next command.
 */
export class QuasarDriver implements ChargerDriver {
  info: DeviceInfo;
  private last?: QuasarSnapshot;
  /** The bridge took remote control with its last command and nobody took it back since. */
  private inControl = false;
  /** Consecutive reads showing 0x51 = 0 while in control. */
  private overrideReads = 0;
  /** The targets last written. */
  private wanted?: Targets;
  /** Vehicle presence from the last state that told it. */
  private lastVehicle?: boolean;
  /** A person took control in the app since the bridge's last command. */
  private personInControl = false;
  /** A start was sent for the current stretch of state 4 (sent once, then the runtime decides). */
  private restartSent = false;
  private readonly energy: SessionEnergy;

  constructor(
    private readonly ctx: DriverContext<QuasarOptions>,
    private readonly modbus: ModbusClient,
    info: DeviceInfo,
  ) {
    this.info = info;
    this.energy = new SessionEnergy(Math.max(60_000, 10 * ctx.cfg.poll_interval * 1000));
  }

  /** Connects, reads the identity registers (0x0001–0x0003) and returns a driver. */
  static async create(ctx: DriverContext<QuasarOptions>): Promise<QuasarDriver> {
    const { cfg } = ctx;
    const modbus = new ModbusClient({
      host: cfg.host,
      port: cfg.port,
      unitId: cfg.unit_id,
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    let info: DeviceInfo;
    try {
      info = identify(await modbus.readHolding(REG.firmware, 3));
    } catch (e) {
      await modbus.close();
      throw e;
    }
    if (cfg.poll_interval * 2 > cfg.watchdog) {
      ctx.log.warn(
        { poll_interval: cfg.poll_interval, watchdog: cfg.watchdog },
        `poll_interval (${cfg.poll_interval} s) is more than half of watchdog (${cfg.watchdog} s): the charger may stop between polls`,
      );
    }
    ctx.log.info(
      { unit: cfg.unit_id, ...info },
      'Wallbox Quasar found; remote control is taken at the first command',
    );
    return new QuasarDriver(ctx, modbus, info);
  }

  /** Reads the poll registers in one exclusive burst; restarts a stop the bridge did not ask for. */
  async read(): Promise<ChargerReading> {
    const s = await this.modbus.transaction(async (io) => {
      let snap = await readSnapshot(io);
      if (this.shouldRestart(snap)) {
        this.restartSent = true;
        await io.writeRegister(REG.action, ACTION.start);
        this.ctx.log.info(
          { state: snap.state },
          'charger paused although the bridge wants it running (plug-in with autostart off, or its idle timeout): started again',
        );
        snap = await readSnapshot(io);
      }
      return snap;
    });
    return this.map(s);
  }

  /** Takes control when needed, then setpoint and action in the safe order, as one burst. */
  async apply(targets: Targets): Promise<void> {
    const started = this.ctx.clock.now();
    const amps = Math.max(-SETPOINT_LIMIT_A, Math.min(SETPOINT_LIMIT_A, Math.round(targets.charge_current)));
    const run = targets.enabled && amps !== 0;
    const writes: Array<[number, number]> = this.holdsControl() ? [] : this.takeControl();
    // a new setpoint before a start; a stop before anything else (never a burst at the old setpoint)
    if (run) writes.push([REG.currentSetpoint, fromInt16(amps)], [REG.action, ACTION.start]);
    else writes.push([REG.action, ACTION.stop], [REG.currentSetpoint, fromInt16(amps)]);
    this.inControl = false;
    await this.modbus.transaction(async (io) => {
      for (const [reg, value] of writes) {
        if (this.ctx.clock.now() - started > APPLY_BUDGET_MS) {
          throw new Error(`the charger answers too slowly; stopped before writing ${hex(reg)}`);
        }
        await io.writeRegister(reg, value);
      }
    });
    this.inControl = true;
    this.personInControl = false;
    this.overrideReads = 0;
    this.restartSent = false;
    this.wanted = { ...targets, charge_current: amps };
    if (this.last) this.last = { ...this.last, ...this.controlRegisters(), setpoint: amps };
    this.ctx.log.info({ writes: writes.map(([r, v]) => `${hex(r)}=${v}`) }, 'Quasar registers written');
  }

  /** release: 0x51 = 0 (the charger's own settings, autostart on); pause: action 2; keep: nothing. */
  async exit(action: OnExit): Promise<void> {
    if (action === 'keep') return;
    const remoteNow = this.last?.control === CONTROL.remote;
    if (action === 'release') {
      if (!this.inControl && !remoteNow) return;
      await this.modbus.writeRegister(REG.control, CONTROL.user);
      this.inControl = false;
      this.ctx.log.info('control handed back to the Wallbox app (0x51 = 0)');
      return;
    }
    if (this.personInControl) {
      this.ctx.log.info('a person took control at the charger; on_exit pause leaves it to them');
      return;
    }
    const writes: Array<[number, number]> = this.holdsControl() ? [] : this.takeControl();
    writes.push([REG.action, ACTION.stop]);
    await this.modbus.transaction(async (io) => {
      for (const [reg, value] of writes) await io.writeRegister(reg, value);
    });
    this.ctx.log.info('charger paused (0x101 = 2)');
  }

  /** Closes the Modbus connection. */
  async close(): Promise<void> {
    await this.modbus.close();
  }

  /** The bridge holds remote control and the charger agrees (its last read said remote, watchdog armed). */
  private holdsControl(): boolean {
    const s = this.last;
    const c = this.controlRegisters();
    return (
      this.inControl &&
      s !== undefined &&
      s.control === c.control &&
      s.autostart === c.autostart &&
      s.setpointType === c.setpointType &&
      s.idleTimeout === c.idleTimeout
    );
  }

  /** What the control registers hold once the bridge has control. */
  private controlRegisters(): Pick<QuasarSnapshot, 'control' | 'autostart' | 'setpointType' | 'idleTimeout'> {
    return {
      control: CONTROL.remote,
      autostart: AUTOSTART.disable,
      setpointType: SETPOINT_TYPE.current,
      idleTimeout: Math.round(this.ctx.cfg.watchdog),
    };
  }

  /** Taking control (see README.md): remote, no autostart, current setpoints, idle timeout = watchdog s. */
  private takeControl(): Array<[number, number]> {
    const c = this.controlRegisters();
    return [
      [REG.control, c.control],
      [REG.autostart, c.autostart],
      [REG.setpointType, c.setpointType],
      [REG.idleTimeout, c.idleTimeout],
    ];
  }

  /** In control, wanting energy to flow, yet paused (state 4): start once per pause. */
  private shouldRestart(s: QuasarSnapshot): boolean {
    if (s.state !== 4) {
      this.restartSent = false;
      return false;
    }
    const w = this.wanted;
    return (
      !this.restartSent &&
      this.inControl &&
      s.control === CONTROL.remote &&
      w?.enabled === true &&
      w.charge_current !== 0
    );
  }

  private map(s: QuasarSnapshot): ChargerReading {
    this.last = s;
    const w = this.wanted;
    const reading = mapSnapshot(s, {
      ...(this.lastVehicle !== undefined ? { lastVehicle: this.lastVehicle } : {}),
      idleByBridge: this.inControl && w?.enabled === true && w.charge_current === 0,
    });
    this.lastVehicle = reading.vehicleConnected;
    reading.values.session_energy = this.energy.update(
      this.ctx.clock.now(),
      s.power,
      reading.vehicleConnected,
    );
    if (this.inControl && s.control === CONTROL.user) {
      // a person took control in the Wallbox app: a change at the device (docs/mqtt-api.md). Reported on
      // two reads, which is when the runtime adopts it; control comes back at the next command.
      reading.overridden = true;
      this.overrideReads += 1;
      if (this.overrideReads >= 2) {
        this.inControl = false;
        this.personInControl = true;
        this.overrideReads = 0;
        this.ctx.log.info(
          'a person took control of the charger (0x51 = 0); the bridge leaves it until its next command',
        );
      }
    } else {
      this.overrideReads = 0;
    }
    reading.info = this.info;
    reading.deviceMaxCurrent = SETPOINT_LIMIT_A;
    return reading;
  }
}

/** Reads READ_BLOCKS and decodes them. */
async function readSnapshot(io: ModbusSession): Promise<QuasarSnapshot> {
  const words = new Map<number, number>();
  for (const [first, count] of READ_BLOCKS) {
    const data = await io.readHolding(first, count);
    for (const [i, w] of data.entries()) words.set(first + i, w);
  }
  return decodeSnapshot(words);
}

/** Identity from registers 0x0001–0x0003 (firmware; serial high/low word). Encodings are not documented. */
export function identify(words: readonly number[]): DeviceInfo {
  const [fw = 0, hi = 0, lo = 0] = words;
  const serial = hi * 0x10000 + lo;
  return {
    manufacturer: quasarMeta.manufacturer,
    model: quasarMeta.model,
    ...(fw ? { sw_version: String(fw) } : {}),
    ...(serial ? { serial: String(serial) } : {}),
  };
}

/** The wallbox-quasar charger type. */
export const quasarType: ChargerTypeDef = {
  ...quasarMeta,
  // the configuration filled in this type's options (meta.ts)
  create: (ctx) => QuasarDriver.create(ctx as DriverContext<QuasarOptions>),
};
