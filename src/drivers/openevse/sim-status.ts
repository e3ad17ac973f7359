import { CLIENT } from './wire.js';

/** What the status and config bodies read of the simulated OpenEVSE. */
export interface StatusDevice {
  readonly firmware: 'v5' | 'v2';
  readonly host: string;
  readonly user?: string;
  readonly password?: string;
  readonly maxCurrentSoft: number;
  readonly maxCurrentHard: number;
  readonly minCurrentHard: number;
  readonly voltage: number;
  readonly threePhase: boolean;
  readonly defaultActive: boolean;
  readonly vehicle: boolean;
  readonly batteryLevel?: number;
  /** Error state code set at the controller, or null. */
  readonly fault: number | null;
  readonly sessionWh: number;
  readonly totalKwh: number;
  readonly sessionSeconds: number;
  readonly configVersion: number;
  readonly claims: {
    readonly claimsVersion: number;
    readonly overrideVersion: number;
    get(client: number): unknown;
  };
  /** J1772 / controller state code (1 A, 2 B, 3 C, 4…14 errors, 254 sleeping, 255 disabled). */
  evseState(): number;
  isActive(): boolean;
  /** Pilot, A. */
  pilot(): number;
  /** Current the car draws, A. */
  drawnAmps(): number;
  /** Power the car draws, W. */
  powerW(): number;
}

/** Keys the ESP8266 2.x firmware does not report. */
const NOT_ON_V2 = [
  'status',
  'power',
  'max_current',
  'config_version',
  'claims_version',
  'override_version',
  'limit',
];

/**
 * The full GET /status object as the WiFi firmware reports it (driver README: energy in Wh/kWh,
 * current in mA, state codes, flags and LED colour); firmware 2.x lacks the v4+ keys.
 */
export function statusBody(dev: StatusDevice): Record<string, unknown> {
  const active = dev.isActive();
  const state = dev.evseState();
  const charging = state === 3;
  const ampMilli = Math.round(dev.drawnAmps() * 1000);
  const power = dev.powerW();
  const flags = (dev.vehicle ? 0x0100 : 0) | (charging ? 0x0040 : 0);
  const colour =
    dev.fault !== null ? 1 : charging ? 6 : !active ? (dev.vehicle ? 6 : 5) : dev.vehicle ? 3 : 2;
  const status: Record<string, unknown> = {
    mode: 'STA',
    wifi_client_connected: 1,
    net_connected: 1,
    ipaddress: dev.host,
    srssi: -58,
    rapi_connected: 1,
    evse_connected: 1,
    amp: ampMilli,
    voltage: dev.voltage,
    power,
    pilot: dev.pilot(),
    max_current: dev.maxCurrentSoft,
    temp: 312,
    temp_max: 355,
    temp1: false,
    temp2: 312,
    temp3: false,
    state,
    status: active ? 'active' : 'disabled',
    flags,
    vehicle: dev.vehicle ? 1 : 0,
    colour,
    manual_override: dev.claims.get(CLIENT.manual) ? 1 : 0,
    divertmode: 1,
    elapsed: Math.round(dev.sessionSeconds),
    session_elapsed: Math.round(dev.sessionSeconds),
    session_energy: Math.round(dev.sessionWh * 100) / 100,
    wattsec: Math.round(dev.sessionWh * 3600),
    total_energy: Math.round(dev.totalKwh * 1000) / 1000,
    watthour: Math.round(dev.totalKwh * 1000),
    gfcicount: 0,
    nogndcount: 0,
    stuckcount: 0,
    service_level: 2,
    limit: false,
    ota_update: 0,
    config_version: dev.configVersion,
    claims_version: dev.claims.claimsVersion,
    override_version: dev.claims.overrideVersion,
    schedule_version: 1,
    schedule_plan_version: 1,
    limit_version: 0,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    offset: '+0000',
  };
  if (dev.batteryLevel !== undefined) status.battery_level = dev.batteryLevel;
  if (dev.firmware === 'v2') for (const k of NOT_ON_V2) delete status[k];
  return status;
}

/** The full GET /config object (passwords masked, as the firmware does). */
export function configBody(dev: StatusDevice): Record<string, unknown> {
  return {
    firmware: '7.1.3',
    protocol: '-',
    version: dev.firmware === 'v2' ? '2.9.1' : 'v5.1.2',
    buildenv: 'openevse_wifi_v1',
    wifi_serial: '020000000001',
    max_current_soft: dev.maxCurrentSoft,
    min_current_hard: dev.minCurrentHard,
    max_current_hard: dev.maxCurrentHard,
    service: 2,
    is_threephase: dev.threePhase,
    default_state: dev.defaultActive,
    pause_uses_disabled: false,
    hostname: 'openevse-sim',
    www_username: dev.user ?? '',
    www_password: dev.password ? '_DUMMY_PASSWORD' : '',
    config_version: dev.configVersion,
  };
}
