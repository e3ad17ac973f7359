import { DEFAULT_TIMEOUT_MS, MIN_TIMEOUT_MS, PAUSE_BELOW_A, type PulsatrixBodies } from './wire.js';

/** Options of the simulated SECC. */
export interface PulsatrixDeviceOptions {
  /** Phase voltages, V (default 231.2 / 230.8 / 232.0). */
  voltages?: [number, number, number];
  /** Phases wired (default 3). */
  phasesWired?: 1 | 3;
  /** Absolute limit of the EVSE (`effectiveAmperageLimit`), A (default 32). */
  effectiveAmperageLimit?: number;
  /** The SECC's own limit when no API limit is in force, A (default = effectiveAmperageLimit). */
  ownLimit?: number;
  /** Has a phase shut-off relay, i.e. can switch to 1 phase (default: wired for 3). */
  phaseShutoff?: boolean;
  /** `/configuration` key spelling: the docs' field list or the docs' example (default 'example'). */
  configKeys?: 'docs' | 'example';
  /** Simulated start time, ms since the epoch (default: now). */
  startTime?: number;
}

/** API-set data: limits A / W (NaN = none), timeout ms, and when they were last set (simulated ms). */
export interface ApiData {
  amperageLimit: number;
  powerLimit: number;
  timeout: number;
  enabled: boolean;
  onePhase: boolean;
  phaseRotation: boolean;
  setAt: number | null;
}

const MIN_POWER_W = 1380;

function freshApi(): ApiData {
  return {
    amperageLimit: Number.NaN,
    powerLimit: Number.NaN,
    timeout: DEFAULT_TIMEOUT_MS,
    enabled: true,
    onePhase: false,
    phaseRotation: false,
    setAt: null,
  };
}

/**
 * The state and rules of a pulsatrix SECC (docs v1-limits): the SECC offers the minimum of its own
 * limit, `effectiveAmperageLimit` and the API limits while they are valid (set less than `timeout`
 * ms ago, in simulated time); an API limit below 6 A offers 0 A; NaN gives control back.
 * Assumptions where the docs are silent: writing a limit, `setEnabled` or the phase limit restarts
 * the validity of all API data; `setTimeout` only changes its length; `setEnabled false` stops charging.
 */
export class PulsatrixDevice {
  /** Simulated time, ms. */
  now: number;
  readonly voltages: [number, number, number];
  readonly phasesWired: 1 | 3;
  effectiveAmperageLimit: number;
  ownLimit: number;
  readonly phaseShutoff: boolean;
  readonly configKeys: 'docs' | 'example';
  api: ApiData = freshApi();
  vehicle = false;
  /** The vehicle draws when offered at least 6 A. */
  evDemand = true;
  /** A the vehicle draws at most. */
  evMaxCurrent = 32;
  /** Phases the vehicle's on-board charger uses. */
  evPhases: 1 | 3 = 3;
  /** `Unavailable` (set at the unit or by the backend). */
  unavailable = false;
  /** chargeControllerStatus fault code (`F1`, `R1`) or null. */
  fault: 'F1' | 'R1' | null = null;
  /** Lifetime meter, kWh. */
  energyKwh = 3643.753906;
  private session = { meterStart: 3643.753906, meterStop: 3643.753906, started: 0, ended: 0 };

  constructor(opts: PulsatrixDeviceOptions = {}) {
    this.now = opts.startTime ?? Date.now();
    this.voltages = opts.voltages ?? [231.2, 230.8, 232.0];
    this.phasesWired = opts.phasesWired ?? 3;
    this.effectiveAmperageLimit = opts.effectiveAmperageLimit ?? 32;
    this.ownLimit = opts.ownLimit ?? this.effectiveAmperageLimit;
    this.phaseShutoff = opts.phaseShutoff ?? this.phasesWired === 3;
    this.configKeys = opts.configKeys ?? 'example';
    this.session.started = Math.floor(this.now / 1000) - 3600;
    this.session.ended = this.session.started + 1800;
  }

  /** The API data are still valid (set within `timeout` ms). */
  apiValid(): boolean {
    return this.api.setAt !== null && this.now - this.api.setAt < this.api.timeout;
  }

  /** Phases the vehicle draws on. */
  phasesUsed(): 1 | 3 {
    if (this.phasesWired === 1) return 1;
    if (this.phaseShutoff && this.apiValid() && this.api.onePhase) return 1;
    return this.evPhases;
  }

  /** The API's own limit while valid, A (Infinity when none). */
  private apiLimit(): number {
    if (!this.apiValid()) return Number.POSITIVE_INFINITY;
    if (!this.api.enabled) return 0;
    let lim = Number.POSITIVE_INFINITY;
    const a = this.api.amperageLimit;
    if (Number.isFinite(a)) lim = a < PAUSE_BELOW_A ? 0 : a;
    const p = this.api.powerLimit;
    if (Number.isFinite(p)) {
      const fromPower = p < MIN_POWER_W ? 0 : p / this.voltages[0] / this.phasesUsed();
      lim = Math.min(lim, fromPower < PAUSE_BELOW_A ? 0 : fromPower);
    }
    return lim;
  }

  /** What the SECC offers now (minimum of all valid limits), A. */
  offered(): number {
    if (this.unavailable || this.fault) return 0;
    const own = Math.min(this.ownLimit, this.effectiveAmperageLimit);
    return Math.round(Math.min(own, this.apiLimit()) * 10) / 10;
  }

  /** Per-phase current the vehicle draws, A (a little under what is offered). */
  draw(): number {
    const offered = this.offered();
    if (!this.vehicle || !this.evDemand || offered < PAUSE_BELOW_A) return 0;
    return Math.round(Math.max(0, Math.min(offered, this.evMaxCurrent) - 0.2) * 100) / 100;
  }

  /** Plugs a vehicle in: a session starts. */
  plugIn(): void {
    if (this.vehicle) return;
    this.vehicle = true;
    this.session = {
      meterStart: this.energyKwh,
      meterStop: this.energyKwh,
      started: Math.floor(this.now / 1000),
      ended: 0,
    };
  }

  /** Unplugs: the session ends. */
  unplug(): void {
    if (!this.vehicle) return;
    this.vehicle = false;
    this.session.ended = Math.floor(this.now / 1000);
    this.session.meterStop = this.energyKwh;
  }

  /** Forgets every API-set value (a restart of the SECC). */
  reboot(): void {
    this.api = freshApi();
  }

  /** Advances simulated time by `ms`: energy accumulates, API limits expire. */
  tick(ms: number): void {
    const watts = this.power();
    this.now += ms;
    this.energyKwh += (watts * ms) / 3_600_000_000;
  }

  /** Active power, W. */
  power(): number {
    const i = this.draw();
    const n = this.phasesUsed();
    let w = 0;
    for (let k = 0; k < n; k++) w += i * this.voltages[k]!;
    return Math.round(w * 10) / 10;
  }

  /**
   * Applies one WebSocket command (`setCurrentLimit`, `setPowerLimit`, `setTimeout`, `setEnabled`,
   * `setOnePhaseLimit`/`setOnePhaseLimitActive`/`set1p3p`, `setPhaseRotation`); returns an error text or null.
   */
  command(name: string, value: string): string | null {
    const v = value.trim();
    const float = /^-?nan$/i.test(v) ? Number.NaN : v === '' ? Number.NaN : Number(v);
    const numeric = ['setCurrentLimit', 'setPowerLimit', 'setTimeout'].includes(name);
    if (numeric && Number.isNaN(float) && !/^-?nan$/i.test(v))
      return `${name}: expected a number, got "${v}"`;
    const bool =
      v === 'true' || v === '1' ? true : v === 'false' || v === '3' || v === '0' ? false : undefined;
    switch (name) {
      case 'setCurrentLimit':
        return this.setApi({ amperageLimit: float });
      case 'setPowerLimit':
        return this.setApi({ powerLimit: float });
      case 'setTimeout':
        return this.setApi({ timeout: float });
      case 'setEnabled':
        return bool === undefined
          ? `setEnabled: expected true or false, got "${v}"`
          : this.setApi({ enabled: bool });
      case 'setOnePhaseLimit':
      case 'setOnePhaseLimitActive':
      case 'set1p3p':
        return bool === undefined
          ? `${name}: expected true or false, got "${v}"`
          : this.setApi({ onePhase: bool });
      case 'setPhaseRotation':
        return bool === undefined
          ? `${name}: expected true or false, got "${v}"`
          : this.setApi({ phaseRotation: bool });
      default:
        return `unknown command "${name}"`;
    }
  }

  /** Applies a PUT /limits body (docs keys `setAmperageLimit`… and OpenAPI keys `amperageLimit`…). */
  putLimits(body: Record<string, unknown>): string | null {
    const pick = (...keys: string[]) => keys.map((k) => body[k]).find((x) => x !== undefined);
    const change: Partial<ApiData> = {};
    const amps = pick('setAmperageLimit', 'amperageLimit');
    const power = pick('sePowerLimit', 'setPowerLimit', 'powerLimit');
    const timeout = pick('setTimeout', 'timeout');
    const enabled = pick('enabled', 'setEnabled');
    const one = pick('setOnePhaseLimit', 'onePhaseLimit', 'setOnePhaseLimitActive');
    // bare NaN arrives as null from the tolerant parser
    const asNum = (x: unknown) => (x === null ? Number.NaN : typeof x === 'number' ? x : undefined);
    if (amps !== undefined) change.amperageLimit = asNum(amps) ?? Number.NaN;
    if (power !== undefined) change.powerLimit = asNum(power) ?? Number.NaN;
    if (timeout !== undefined) change.timeout = typeof timeout === 'number' ? timeout : Number.NaN;
    if (typeof enabled === 'boolean') change.enabled = enabled;
    if (typeof one === 'boolean') change.onePhase = one;
    if (Object.keys(change).length === 0) return 'no known key in the body';
    return this.setApi(change);
  }

  private setApi(change: Partial<ApiData>): string | null {
    if (
      change.timeout !== undefined &&
      !(Number.isInteger(change.timeout) && change.timeout >= MIN_TIMEOUT_MS)
    ) {
      return `timeout must be an integer >= ${MIN_TIMEOUT_MS} ms`;
    }
    for (const k of ['amperageLimit', 'powerLimit'] as const) {
      const x = change[k];
      if (x !== undefined && !Number.isNaN(x) && !(x >= 0)) return `${k} must be >= 0 or NaN`;
    }
    const restarts = Object.keys(change).some((k) => k !== 'timeout');
    this.api = { ...this.api, ...change, ...(restarts ? { setAt: this.now } : {}) };
    return null;
  }

  /** The four bodies as the SECC reports them. */
  bodies(): Required<PulsatrixBodies> {
    const offered = this.offered();
    const i = this.draw();
    const used = this.phasesUsed();
    const apiBinding =
      this.apiValid() && this.apiLimit() <= Math.min(this.ownLimit, this.effectiveAmperageLimit);
    const charging = i > 0;
    const state = this.fault
      ? 'FAULTED'
      : this.unavailable
        ? 'UNAVAILABLE'
        : !this.vehicle
          ? 'IDLE'
          : charging
            ? 'CHARGING'
            : offered < PAUSE_BELOW_A
              ? 'SUSPENDED_EVSE'
              : 'SUSPENDED_EV';
    const ccs =
      this.fault ??
      (this.unavailable
        ? 'E1'
        : !this.vehicle
          ? 'A1'
          : charging
            ? 'C2'
            : offered < PAUSE_BELOW_A
              ? 'B1'
              : 'B2');
    const names =
      this.configKeys === 'docs'
        ? { pdName: 'Zuhause', ctrlrName: 'Garage' }
        : { powerDomainName: 'Zuhause', controllerName: 'Garage' };
    return {
      charging: {
        voltage: [...this.voltages],
        amperage: [0, 1, 2].map((k) => (k < used ? i : 0)),
        allocatedAmperage: Math.min(this.ownLimit, this.effectiveAmperageLimit),
        commandedAmperage: i,
        availableAmperage: offered,
        signaledAmperage: this.vehicle ? offered : 0,
        frequency: 50.01,
        energyImported: Math.round(this.energyKwh * 1e6) / 1e6,
        lastActivePower: this.power(),
      },
      configuration: {
        ...names,
        sessionId: '0b8cd3b0-5412-e569-9a39-ed3d1c2fa956',
        effectiveAmperageLimit: this.effectiveAmperageLimit,
        hasPhaseRotation: false,
        [this.configKeys === 'docs' ? 'hasPhaseStShutoff' : 'hasPhaseShutoff']: this.phaseShutoff,
        hasPhaseSTTurnon: true,
      },
      transaction: {
        state,
        startedTime: this.session.started,
        endedTime: this.session.ended,
        meterStart: this.session.meterStart,
        meterStop: this.session.meterStop,
        vehicleStatus: !this.vehicle ? 'A' : charging ? 'C' : 'B',
        chargeControllerStatus: ccs,
        usedPhasesSession: this.vehicle ? (used === 1 ? '100' : '111') : '000',
        startReason: 'CablePluggedIn',
        stopReason: this.session.ended ? 'EVDisconnected' : '',
        allocationSourceName: apiBinding ? 'API' : 'Unmanaged',
        onePhaseLimitActive: this.apiValid() && this.api.onePhase,
        phaseLimitSourceName: 'API',
        phaseRotationActive: false,
        phaseRotationSourceName: 'API',
      },
      limits: {
        amperageLimit: this.api.amperageLimit,
        powerLimit: this.api.powerLimit,
        timeout: this.api.timeout,
        enabled: this.api.enabled,
      },
    };
  }
}
