import type http from 'node:http';
import {
  asJsonObject,
  basicAuthOk,
  HttpSimulator,
  type RecordedRequest,
  type SimReply,
} from '../../sim/http-sim.js';
import { EVSE_STATES } from './mapping.js';
import { ClaimTable, type ClaimTarget, claimsRequest, notAllowed, ok } from './sim-claims.js';
import { type RapiHeld, rapiRequest } from './sim-rapi.js';
import { configBody, statusBody } from './sim-status.js';
import { StatusPush } from './sim-ws.js';
import { CLIENT, type ClaimProperties, PRIORITY } from './wire.js';

/** Options of the OpenEVSE simulator. */
export interface OpenEvseSimOptions {
  port?: number;
  /** 'v5' (claims, RAPI writes blocked; default) or 'v2' (no claims, RAPI only). */
  firmware?: 'v5' | 'v2';
  user?: string;
  password?: string;
  /** A, the user's max at the unit. */
  maxCurrentSoft?: number;
  /** A, hardware max. */
  maxCurrentHard?: number;
  voltage?: number;
  threePhase?: boolean;
  /** Config `default_state`: active (true) or disabled with no claims. */
  defaultActive?: boolean;
}

/** A, what a car draws under the pilot (a little less than offered). */
const CAR_MARGIN_A = 0.15;

/**
 * An OpenEVSE WiFi gateway on a real socket: the HTTP API (status, config, override, claims, RAPI)
 * and the `/ws` push of the gateway (README.md beside this file), with the claim arbitration, the
 * J1772 state machine, energy in Wh/kWh and current in mA. Time advances with tick().
 */
export class OpenEvseSimulator extends HttpSimulator {
  readonly firmware: 'v5' | 'v2';
  readonly user?: string;
  readonly password?: string;
  /** The v5 claims (sim-claims.ts). */
  readonly claims = new ClaimTable();
  /** The `/ws` push (sim-ws.ts). */
  private readonly push = new StatusPush(() => this.computeStatus());

  // device state
  maxCurrentSoft: number;
  readonly maxCurrentHard: number;
  readonly minCurrentHard = 6;
  voltage: number;
  readonly threePhase: boolean;
  defaultActive: boolean;
  vehicle = false;
  /** The vehicle asks for energy (J1772 state C) when allowed. */
  evDemand = true;
  /** A the vehicle draws at most. */
  evMaxCurrent = 32;
  /** Battery level reported by vehicle data, %, or undefined. */
  batteryLevel?: number;
  fault: number | null = null;
  sessionWh = 0;
  totalKwh = 1234.5;
  sessionSeconds = 0;
  /** Bumped by each change of the configuration. */
  configVersion = 1;
  /** What RAPI commands set (firmware without claims; sim-rapi.ts). */
  readonly rapi: RapiHeld = { state: 'active', pilot: 16 };

  constructor(opts: OpenEvseSimOptions = {}) {
    super(opts.port ?? 0);
    this.firmware = opts.firmware ?? 'v5';
    this.user = opts.user;
    this.password = opts.password;
    this.maxCurrentSoft = opts.maxCurrentSoft ?? 32;
    this.maxCurrentHard = opts.maxCurrentHard ?? 32;
    this.voltage = opts.voltage ?? 230;
    this.threePhase = opts.threePhase ?? false;
    this.defaultActive = opts.defaultActive ?? true;
  }

  // ---- what a person or a car does -------------------------------------------------------

  /** Plugs a vehicle in. */
  plugIn(opts: { evMaxCurrent?: number; demand?: boolean; batteryLevel?: number } = {}): void {
    this.vehicle = true;
    if (opts.evMaxCurrent !== undefined) this.evMaxCurrent = opts.evMaxCurrent;
    if (opts.demand !== undefined) this.evDemand = opts.demand;
    this.batteryLevel = opts.batteryLevel;
    this.changed();
  }

  /** Unplugs: ends the session, releases auto_release claims, clears session energy. */
  unplug(): void {
    this.vehicle = false;
    this.claims.releaseOnUnplug();
    this.sessionWh = 0;
    this.sessionSeconds = 0;
    this.batteryLevel = undefined;
    this.changed();
  }

  /** A person sets the manual override at the unit or in its web UI (replaces it, like POST /override). */
  setOverride(props: ClaimProperties): void {
    this.claims.set(CLIENT.manual, { priority: PRIORITY.manual, props: { auto_release: true, ...props } });
    this.changed();
  }

  /** A person clears the override. */
  clearOverride(): void {
    this.claims.delete(CLIENT.manual);
    this.changed();
  }

  /** Sets another claim (schedule, shaper, …) as the firmware's own services would. */
  setClaim(client: number, priority: number, props: ClaimProperties): void {
    this.claims.set(client, { priority, props });
    this.changed();
  }

  /** Puts the controller in an error state (4…14) or clears it (null). */
  setFault(code: number | null): void {
    this.fault = code;
    this.changed();
  }

  /** Changes the user's max current at the unit. */
  setMaxCurrentSoft(amps: number): void {
    this.maxCurrentSoft = Math.max(this.minCurrentHard, Math.min(this.maxCurrentHard, amps));
    this.configVersion += 1;
    this.changed();
  }

  /** Advances the physics by `ms`: energy and session time accumulate while charging. */
  override tick(ms: number): void {
    if (this.evseState() === 3) {
      const watts = this.powerW();
      this.sessionWh += (watts * ms) / 3_600_000;
      this.totalKwh += (watts * ms) / 3_600_000_000;
      this.sessionSeconds += ms / 1000;
    }
    this.changed(true);
  }

  /** The bridge's claim (or any client's), as stored. */
  claim(client: number): ClaimProperties | undefined {
    return this.claims.get(client)?.props;
  }

  /** Client ids holding claims. */
  claimClients(): number[] {
    return this.claims.clients();
  }

  // ---- derived device state --------------------------------------------------------------

  /** Effective target: each property from the highest-priority claim that sets it. */
  target(): ClaimTarget {
    return this.claims.target(this.defaultActive);
  }

  /** Pilot, A: max(min_hard, min(max_soft, claim max_current, claim charge_current)). */
  pilot(): number {
    if (this.firmware === 'v2')
      return Math.max(this.minCurrentHard, Math.min(this.maxCurrentSoft, this.rapi.pilot));
    const t = this.target().props;
    const caps = [this.maxCurrentSoft, t.max_current, t.charge_current].filter(
      (v): v is number => typeof v === 'number',
    );
    return Math.max(this.minCurrentHard, Math.min(...caps));
  }

  /** The EVSE is active (not disabled by a claim, the default state or RAPI). */
  isActive(): boolean {
    return this.firmware === 'v2' ? this.rapi.state === 'active' : this.target().props.state === 'active';
  }

  /** J1772 / controller state code: the fault, 254/255 disabled, 1 A, 2 B (no demand), 3 C. */
  evseState(): number {
    if (this.fault !== null) return this.fault;
    if (!this.isActive()) return this.firmware === 'v2' && this.rapi.state === 'disabled' ? 255 : 254;
    if (!this.vehicle) return 1;
    return this.evDemand ? 3 : 2;
  }

  /** Current the car draws, A: a little under the pilot or its own maximum, while charging (state 3). */
  drawnAmps(): number {
    if (this.evseState() !== 3) return 0;
    return Math.max(0, Math.min(this.pilot(), this.evMaxCurrent) - CAR_MARGIN_A);
  }

  /** AC power the car draws, W to 0.1 W, from the current in mA as the status reports it (3 phases on a three-phase unit). */
  powerW(): number {
    const amps = Math.round(this.drawnAmps() * 1000) / 1000;
    return Math.round(amps * this.voltage * (this.threePhase ? 3 : 1) * 10) / 10;
  }

  /** The full GET /status object (sim-status.ts). */
  computeStatus(): Record<string, unknown> {
    return statusBody(this);
  }

  /** The full GET /config object (sim-status.ts). */
  computeConfig(): Record<string, unknown> {
    return configBody(this);
  }

  // ---- HTTP API ----------------------------------------------------------------------------

  protected handle(req: RecordedRequest, json: unknown): SimReply {
    if (!basicAuthOk(req.authorization, this.user, this.password)) {
      return { status: 401, text: '', headers: { 'WWW-Authenticate': 'Basic realm=openevse-sim' } };
    }
    const url = new URL(req.path, 'http://sim');
    const path = url.pathname;
    const m = req.method;
    if (path === '/status') {
      if (m === 'GET') return ok(this.computeStatus());
      if (m === 'POST') {
        const body = asJsonObject(json);
        if (!body) return { status: 400, body: { msg: 'Could not parse JSON' } };
        if (typeof body.voltage === 'number') this.voltage = body.voltage;
        this.changed();
        return ok(body);
      }
      return notAllowed();
    }
    if (path === '/config') {
      if (m === 'GET') return ok(this.computeConfig());
      if (m === 'POST') return this.postConfig(json);
      return notAllowed();
    }
    if (path === '/r' || path === '/rapi') return rapiRequest(this, url, req, () => this.changed());
    if (this.firmware === 'v2') return { status: 404, text: '' };
    return claimsRequest(this, m, path, json) ?? { status: 404, text: '' };
  }

  private postConfig(json: unknown): SimReply {
    const body = asJsonObject(json);
    if (!body) return { status: 400, body: { msg: 'Could not parse JSON' } };
    let changed = false;
    if (typeof body.max_current_soft === 'number') {
      this.maxCurrentSoft = Math.max(
        this.minCurrentHard,
        Math.min(this.maxCurrentHard, body.max_current_soft),
      );
      changed = true;
    }
    if (typeof body.default_state === 'boolean') {
      this.defaultActive = body.default_state;
      changed = true;
    }
    if (changed) this.configVersion += 1;
    this.changed();
    return ok({ config_version: this.configVersion, msg: changed ? 'done' : 'no change' });
  }

  // ---- WebSocket ------------------------------------------------------------------------------

  protected override attach(server: http.Server): void {
    this.push.attach(server);
  }

  /** A hostile device: pushes `text` `count` times at once to every /ws client. */
  flood(count: number, text: string): void {
    this.push.flood(count, text);
  }

  protected override detach(): void {
    this.push.detach();
  }

  /** Number of open /ws clients. */
  get wsClients(): number {
    return this.push.size;
  }

  /** Pushes the keys that changed since the last push (a partial object, as the firmware does). */
  changed(periodic = false): void {
    this.push.changed(periodic);
  }
}

/** Label of an EVSE state code (for the demo log). */
export function stateLabel(code: number): string {
  return EVSE_STATES[code]?.label ?? `state ${code}`;
}
