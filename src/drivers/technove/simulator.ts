import { asJsonObject, HttpSimulator, type RecordedRequest, type SimReply } from '../../sim/http-sim.js';
import { MIN_CURRENT, PATHS, STATION_NUMBER } from './wire.js';

/** Options of the TechnoVE simulator. */
export interface TechnoveSimOptions {
  port?: number;
  /** Installation maximum, A (default 32). */
  maxStationCurrent?: number;
  /** Configured max current, A (default maxStationCurrent). */
  maxCurrent?: number;
  /** Supply voltage, V (default 240). */
  voltage?: number;
  /** Auto-charge at start (default true, as a station out of the box charges when plugged in). */
  autoCharge?: boolean;
  /** Lifetime energy at start, kWh (default 812). */
  energyTotal?: number;
  name?: string;
}

/** Broken replies of GET /station/get/info a test can ask for. */
export type OddReply = 'empty-object' | 'not-json' | 'http-500' | 'partial';

/** What the car draws below the station's limit, A (station_charging.json: 23.75 A at maxCurrent 24). */
const CAR_MARGIN_A = 0.25;

/**
 * A TechnoVE station on a real socket: the `/station/...` API (README.md beside this file) with
 * the behaviour the library relies on: start/stop ignored while auto_charge is on, `partage`
 * ignored below 8 A, above maxStationCurrent and in sharing mode (the station answers "ok" all the
 * same), the status letters A/B/C, faults D–H, windows S and T, session energy in kWh. Commands
 * answer `ok` as text/plain. Time advances with tick().
 */
export class TechnoveSimulator extends HttpSimulator {
  readonly maxStationCurrent: number;
  maxCurrent: number;
  voltageIn: number;
  voltageOut: number;
  autoCharge: boolean;
  /** The charging session is enabled (isSessionActive). */
  sessionActive = false;
  sharingMode = false;
  sharingConflict = false;
  upToDate = true;
  highTariffSchedule = false;
  highTariffPeriod = false;
  outOfActivationPeriod = false;
  /** Fault status code (68…72) or null. */
  fault: number | null = null;
  vehicle = false;
  /** The car asks for energy when allowed. */
  evDemand = true;
  /** A the car draws at most. */
  evMaxCurrent = 32;
  /** kWh. */
  energySession = 0;
  /** kWh. */
  energyTotal: number;
  lastCharge = '';
  readonly name: string;
  readonly id = 'AA:BB:CC:DD:EE:FF';
  readonly version = '1.82';
  /** When set, GET /station/get/info answers this broken reply. */
  infoReply: OddReply | null = null;
  /** When set, every command answers this HTTP status. */
  commandStatus: number | null = null;

  constructor(opts: TechnoveSimOptions = {}) {
    super(opts.port ?? 0);
    this.maxStationCurrent = opts.maxStationCurrent ?? 32;
    this.maxCurrent = opts.maxCurrent ?? this.maxStationCurrent;
    this.voltageIn = opts.voltage ?? 240;
    this.voltageOut = this.voltageIn;
    this.autoCharge = opts.autoCharge ?? true;
    this.energyTotal = opts.energyTotal ?? 812;
    this.name = opts.name ?? 'Garage';
  }

  // ---- what a person, a car or the station's own schedule does -------------------------------

  /** Plugs a car in: a new session starts (at once when auto_charge is on). */
  plugIn(opts: { evMaxCurrent?: number; demand?: boolean } = {}): void {
    this.vehicle = true;
    if (opts.evMaxCurrent !== undefined) this.evMaxCurrent = opts.evMaxCurrent;
    if (opts.demand !== undefined) this.evDemand = opts.demand;
    this.energySession = 0;
    this.sessionActive = this.autoCharge;
  }

  /** Unplugs: the session ends and is recorded in `lastCharge`. */
  unplug(): void {
    if (this.vehicle && this.energySession > 0) {
      this.lastCharge = `${Math.floor(Date.now() / 1000)},0,${round(this.energySession, 2)}\n`;
    }
    this.vehicle = false;
    this.sessionActive = false;
  }

  /** The car asks for energy (C) or not (B). */
  setDemand(on: boolean): void {
    this.evDemand = on;
  }

  /** Someone switches auto-charge in the TechnoVE app. */
  setAutoChargeInApp(on: boolean): void {
    this.setAutomatic(on);
  }

  /** Someone sets the max current in the TechnoVE app, A (clamped to [8, maxStationCurrent]). */
  setMaxCurrentInApp(amps: number): void {
    this.maxCurrent = Math.max(MIN_CURRENT, Math.min(this.maxStationCurrent, Math.round(amps)));
  }

  /** The station joins (true) or leaves a load-sharing group; the group may set its current, A. */
  setSharingMode(on: boolean, groupCurrent?: number): void {
    this.sharingMode = on;
    if (on && groupCurrent !== undefined) this.maxCurrent = groupCurrent;
  }

  /** Puts the station in a fault (68 D … 72 H) or clears it (null). */
  setFault(code: number | null): void {
    if (code !== null && (code < 68 || code > 72)) throw new Error(`not a fault status: ${code}`);
    this.fault = code;
  }

  /** Outside (true) or inside the station's activation period: status S while outside. */
  setOutOfActivationPeriod(on: boolean): void {
    this.outOfActivationPeriod = on;
  }

  /** The high-tariff period begins (true) or ends: status T while the high-tariff schedule is on. */
  setHighTariffPeriod(on: boolean): void {
    this.highTariffPeriod = on;
  }

  /** A firmware update becomes available (true) or is installed. */
  setUpdateAvailable(on: boolean): void {
    this.upToDate = !on;
  }

  /** Advances the physics by `ms`: energy accumulates while charging (kWh = V × A × h / 1000). */
  override tick(ms: number): void {
    if (this.status() !== 67) return;
    const kwh = (this.voltageOut * this.drawnCurrent() * ms) / 3_600_000_000;
    this.energySession += kwh;
    this.energyTotal += kwh;
  }

  // ---- derived state --------------------------------------------------------------------------

  /** The status code (ASCII of the letter): fault › S › T › A › C › B. */
  status(): number {
    if (this.fault !== null) return this.fault;
    if (this.outOfActivationPeriod) return 83;
    if (this.highTariffSchedule && this.highTariffPeriod) return 84;
    if (!this.vehicle) return 65;
    return this.sessionActive && this.evDemand ? 67 : 66;
  }

  /** Current the car draws now, A. */
  drawnCurrent(): number {
    if (this.status() !== 67) return 0;
    return Math.max(0, Math.min(this.maxCurrent, this.evMaxCurrent) - CAR_MARGIN_A);
  }

  /** AC power the car draws now, W. */
  powerW(): number {
    return this.voltageOut * this.drawnCurrent();
  }

  /** The full GET /station/get/info object. */
  computeInfo(): Record<string, unknown> {
    return {
      voltageIn: this.voltageIn,
      voltageOut: this.voltageOut,
      maxStationCurrent: this.maxStationCurrent,
      maxCurrent: this.maxCurrent,
      current: this.drawnCurrent(),
      network_ssid: 'example-ssid',
      id: this.id,
      auto_charge: this.autoCharge,
      highChargePeriodActive: this.highTariffSchedule && this.highTariffPeriod,
      normalPeriodActive: this.highTariffSchedule && !this.highTariffPeriod,
      maxChargePourcentage: 1,
      isBatteryProtected: false,
      inSharingMode: this.sharingMode,
      energySession: round(this.energySession, 2),
      energyTotal: round(this.energyTotal, 2),
      version: this.version,
      rssi: -60,
      name: this.name,
      lastCharge: this.lastCharge,
      time: Math.floor(Date.now() / 1000),
      isUpToDate: this.upToDate,
      isSessionActive: this.sessionActive,
      conflictInSharingConfig: this.sharingConflict,
      isStaticIp: false,
      status: this.status(),
    };
  }

  // ---- HTTP API -------------------------------------------------------------------------------

  protected handle(req: RecordedRequest, json: unknown): SimReply {
    const path = new URL(req.path, 'http://sim').pathname;
    const m = req.method;
    if (path === PATHS.info && m === 'GET') return this.info();
    if (path === PATHS.start || path === PATHS.stop) {
      if (m !== 'GET') return notFound();
      if (this.commandStatus !== null) return failed(this.commandStatus);
      // the station runs its own sessions while auto-charge is on (the library refuses to ask)
      if (!this.autoCharge) this.sessionActive = path === PATHS.start ? this.vehicle : false;
      return ok();
    }
    if (m !== 'POST') return notFound();
    if (path === PATHS.automatic || path === PATHS.highTariffSchedule) {
      const body = asJsonObject(json);
      if (typeof body?.activated !== 'boolean') return badRequest();
      if (this.commandStatus !== null) return failed(this.commandStatus);
      if (path === PATHS.automatic) this.setAutomatic(body.activated);
      else this.highTariffSchedule = body.activated;
      return ok();
    }
    if (path === PATHS.partage) {
      const body = asJsonObject(json);
      const amps = body?.current;
      if (typeof amps !== 'number' || body?.[' stationNumber'] !== STATION_NUMBER) return badRequest();
      if (this.commandStatus !== null) return failed(this.commandStatus);
      // "a smaller value will just be ignored" (library comment); so are the others the library guards
      if (!this.sharingMode && amps >= MIN_CURRENT && amps <= this.maxStationCurrent) {
        this.maxCurrent = Math.floor(amps);
      }
      return ok();
    }
    return notFound();
  }

  private info(): SimReply {
    switch (this.infoReply) {
      case 'empty-object':
        return { status: 200, body: {} };
      case 'not-json':
        return {
          status: 200,
          text: '<html><body>Station busy</body></html>',
          headers: { 'Content-Type': 'text/html' },
        };
      case 'http-500':
        return { status: 500, text: 'Internal Server Error', headers: { 'Content-Type': 'text/plain' } };
      case 'partial':
        return { status: 200, body: { name: this.name } };
      default:
        return { status: 200, body: this.computeInfo() };
    }
  }

  private setAutomatic(on: boolean): void {
    this.autoCharge = on;
    // with auto-charge on, a plugged car gets its session at once
    if (on && this.vehicle) this.sessionActive = true;
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function ok(): SimReply {
  return { status: 200, text: 'ok', headers: { 'Content-Type': 'text/plain' } };
}

function failed(status: number): SimReply {
  return { status, text: 'Internal Server Error', headers: { 'Content-Type': 'text/plain' } };
}

function badRequest(): SimReply {
  return { status: 400, text: 'Bad Request', headers: { 'Content-Type': 'text/plain' } };
}

function notFound(): SimReply {
  return { status: 404, text: 'Not Found', headers: { 'Content-Type': 'text/plain' } };
}
