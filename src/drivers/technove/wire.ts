/**
 * Wire types of the TechnoVE station local HTTP API (README.md beside this file).
 * Plain HTTP on port 80, no authentication, JSON request bodies, commands answered with a short text.
 */

/** Paths of the local API, as the station serves them. */
export const PATHS = {
  /** GET: the full status object (the only endpoint polled). */
  info: '/station/get/info',
  /** POST `{"activated": bool}`: auto-charge on/off. */
  automatic: '/station/set/automatic',
  /** GET: start charging (only honoured with auto_charge off). */
  start: '/station/control/start',
  /** GET: stop charging (only honoured with auto_charge off). */
  stop: '/station/control/stop',
  /** POST `{" stationNumber": 1, "current": A}`: the station's max current. */
  partage: '/station/control/partage',
  /** POST `{"activated": bool}`: high-tariff schedule on/off. */
  highTariffSchedule: '/station/schedule/high/activate',
} as const;

/** Lowest current the station accepts, A; smaller values are silently ignored by the station. */
export const MIN_CURRENT = 8;

/** The station number in a `partage` body (1 for a single station). */
export const STATION_NUMBER = 1;

/**
 * GET /station/get/info, keys exactly as the station sends them (note the snake_case `auto_charge`
 * and `network_ssid` among camelCase keys). Every key is optional: firmware versions differ and
 * the library accepts partial objects. Units: V, A, kWh, epoch s, dBm.
 */
export interface TechnoveInfo {
  /** Input voltage, V. */
  voltageIn?: number;
  /** Output voltage to the car, V. */
  voltageOut?: number;
  /** Present charge current, A (a float although documented as int). */
  current?: number;
  /** Configured max current, A (what `partage` sets). */
  maxCurrent?: number;
  /** Installation max current, A. */
  maxStationCurrent?: number;
  /** Energy of the current or last session, kWh. */
  energySession?: number;
  /** Lifetime energy, kWh. */
  energyTotal?: number;
  /** ASCII code of the status letter (65 'A' … 84 'T'). */
  status?: number;
  auto_charge?: boolean;
  isSessionActive?: boolean;
  inSharingMode?: boolean;
  conflictInSharingConfig?: boolean;
  isBatteryProtected?: boolean;
  /** Fraction, e.g. 0.9 (French spelling). */
  maxChargePourcentage?: number;
  highChargePeriodActive?: boolean;
  normalPeriodActive?: boolean;
  /** CSV with a trailing newline, e.g. "1701072080,0,17.39\n" (epoch s, ?, kWh; UNCERTAIN). */
  lastCharge?: string;
  /** Station clock, epoch s. */
  time?: number;
  /** MAC address. */
  id?: string;
  name?: string;
  /** Firmware, e.g. "1.82". */
  version?: string;
  /** False when a firmware update is available. */
  isUpToDate?: boolean;
  network_ssid?: string;
  /** dBm. */
  rssi?: number;
  isStaticIp?: boolean;
  [key: string]: unknown;
}

/** Body of POST /station/set/automatic and /station/schedule/high/activate. */
export interface ActivatedBody {
  activated: boolean;
}

/** Body of POST /station/control/partage; the station expects the key with its leading space. */
export interface PartageBody {
  ' stationNumber': number;
  /** A, integer. */
  current: number;
}

/** The partage body for `amps` (integer A), with the leading-space key the station expects. */
export function partageBody(amps: number): PartageBody {
  return { ' stationNumber': STATION_NUMBER, current: amps };
}
