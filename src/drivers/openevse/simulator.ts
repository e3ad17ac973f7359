import type http from 'node:http';
import {
  asJsonObject,
  basicAuthOk,
  HttpSimulator,
  type RecordedRequest,
  type SimReply,
} from '../../sim/http-sim.js';
import { PushServer } from '../../sim/push-server.js';
import { EVSE_STATES } from './mapping.js';
import { ClaimTable, type ClaimTarget, claimsRequest, notAllowed, ok } from './sim-claims.js';
import { type RapiHeld, rapiRequest } from './sim-rapi.js';
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

const STATUS_PUSH_KEYS = [
  'state',
  'status',
  'vehicle',
  'pilot',
  'max_current',
  'manual_override',
  'flags',
  'colour',
];

/**
 * An OpenEVSE WiFi gateway on a real socket: the HTTP API (status, config, override, claims, RAPI)
 * and the `/ws` push of protocols/openevse.md, with the claim arbitration of §5.2/§5.3, the
 * J1772 state machine of §5.1, energy in Wh/kWh and current in mA. Time advances with tick().
 */
export class OpenEvseSimulator extends HttpSimulator {
  readonly firmware: 'v5' | 'v2';
  private readonly user?: string;
  private readonly password?: string;
  /** The v5 claims (sim-claims.ts). */
  readonly claims = new ClaimTable();
  /** The /ws push channel. */
  private readonly push = new PushServer();
  private lastPushed: Record<string, unknown> = {};

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
  private configVersion = 1;
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

  /** Unplugs: ends the session, releases auto_release claims, clears session energy (§5.1 step 5). */
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
    const s = this.computeStatus();
    if (s.state === 3) {
      const watts = s.power as number;
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

  /** Effective target: each property from the highest-priority claim that sets it (§5.2). */
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

  /** The full GET /status object. */
  computeStatus(): Record<string, unknown> {
    const active = this.isActive();
    const pilot = this.pilot();
    let state: number;
    if (this.fault !== null) state = this.fault;
    else if (!active) state = this.firmware === 'v2' && this.rapi.state === 'disabled' ? 255 : 254;
    else if (!this.vehicle) state = 1;
    else state = this.evDemand ? 3 : 2;
    const charging = state === 3;
    // a car draws a little under the advertised pilot
    const amps = charging ? Math.max(0, Math.min(pilot, this.evMaxCurrent) - 0.15) : 0;
    const ampMilli = Math.round(amps * 1000);
    const power = Math.round((ampMilli / 1000) * this.voltage * (this.threePhase ? 3 : 1) * 10) / 10;
    const flags = (this.vehicle ? 0x0100 : 0) | (charging ? 0x0040 : 0);
    const colour =
      this.fault !== null ? 1 : charging ? 6 : !active ? (this.vehicle ? 6 : 5) : this.vehicle ? 3 : 2;
    const override = this.claims.get(CLIENT.manual);
    const status: Record<string, unknown> = {
      mode: 'STA',
      wifi_client_connected: 1,
      net_connected: 1,
      ipaddress: this.host,
      srssi: -58,
      rapi_connected: 1,
      evse_connected: 1,
      amp: ampMilli,
      voltage: this.voltage,
      power,
      pilot,
      max_current: this.maxCurrentSoft,
      temp: 312,
      temp_max: 355,
      temp1: false,
      temp2: 312,
      temp3: false,
      state,
      status: active ? 'active' : 'disabled',
      flags,
      vehicle: this.vehicle ? 1 : 0,
      colour,
      manual_override: override ? 1 : 0,
      divertmode: 1,
      elapsed: Math.round(this.sessionSeconds),
      session_elapsed: Math.round(this.sessionSeconds),
      session_energy: Math.round(this.sessionWh * 100) / 100,
      wattsec: Math.round(this.sessionWh * 3600),
      total_energy: Math.round(this.totalKwh * 1000) / 1000,
      watthour: Math.round(this.totalKwh * 1000),
      gfcicount: 0,
      nogndcount: 0,
      stuckcount: 0,
      service_level: 2,
      limit: false,
      ota_update: 0,
      config_version: this.configVersion,
      claims_version: this.claims.claimsVersion,
      override_version: this.claims.overrideVersion,
      schedule_version: 1,
      schedule_plan_version: 1,
      limit_version: 0,
      time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      offset: '+0000',
    };
    if (this.batteryLevel !== undefined) status.battery_level = this.batteryLevel;
    if (this.firmware === 'v2') {
      // ESP8266 2.x: no `status`, `power`, `max_current`, version counters
      for (const k of [
        'status',
        'power',
        'max_current',
        'config_version',
        'claims_version',
        'override_version',
        'limit',
      ]) {
        delete status[k];
      }
    }
    return status;
  }

  /** The full GET /config object (passwords masked, as the firmware does). */
  computeConfig(): Record<string, unknown> {
    return {
      firmware: '7.1.3',
      protocol: '-',
      version: this.firmware === 'v2' ? '2.9.1' : 'v5.1.2',
      buildenv: 'openevse_wifi_v1',
      wifi_serial: '020000000001',
      max_current_soft: this.maxCurrentSoft,
      min_current_hard: this.minCurrentHard,
      max_current_hard: this.maxCurrentHard,
      service: 2,
      is_threephase: this.threePhase,
      default_state: this.defaultActive,
      pause_uses_disabled: false,
      hostname: 'openevse-sim',
      www_username: this.user ?? '',
      www_password: this.password ? '_DUMMY_PASSWORD' : '',
      config_version: this.configVersion,
    };
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
    // the firmware registers /ws without the auth pre-check: no credentials asked here
    this.push.attach(
      server,
      '/ws',
      (ws) => {
        const full = this.computeStatus();
        this.lastPushed = full;
        ws.send(JSON.stringify(full));
      },
      (ws, text) => {
        try {
          const msg = JSON.parse(text) as Record<string, unknown>;
          if ('ping' in msg) ws.send(JSON.stringify({ pong: 1 }));
        } catch {
          /* the firmware ignores what it cannot parse */
        }
      },
    );
  }

  protected override detach(): void {
    this.push.detach();
  }

  /** A hostile device: pushes `text` `count` times at once to every /ws client. */
  flood(count: number, text: string): void {
    this.push.flood(count, text);
  }

  /** Number of open /ws clients. */
  get wsClients(): number {
    return this.push.size;
  }

  /** Pushes the keys that changed since the last push (a partial object, as the firmware does). */
  changed(periodic = false): void {
    if (this.push.size === 0) {
      this.lastPushed = this.computeStatus();
      return;
    }
    const now = this.computeStatus();
    const frame: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(now)) {
      if (k === 'time') continue;
      if (this.lastPushed[k] !== v) frame[k] = v;
    }
    // a state change carries the whole state group, as the controller's $AT event does
    if (STATUS_PUSH_KEYS.some((k) => k in frame)) for (const k of STATUS_PUSH_KEYS) frame[k] = now[k];
    this.lastPushed = now;
    if (Object.keys(frame).length === 0 || (periodic && now.state !== 3 && !('state' in frame))) return;
    const text = JSON.stringify(frame);
    this.push.send(text);
  }
}

/** Label of an EVSE state code (for the demo log). */
export function stateLabel(code: number): string {
  return EVSE_STATES[code]?.label ?? `state ${code}`;
}
