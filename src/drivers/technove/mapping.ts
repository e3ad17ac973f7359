import type { ChargerReading, Scalar } from '../../core/model.js';
import { MIN_CURRENT, PATHS, type TechnoveInfo } from './wire.js';

/** How a status letter reads in the canonical model. */
export type LetterKind = 'unplugged' | 'waiting' | 'charging' | 'fault' | 'locked' | 'held';

/** One row of the vendor state table. */
export interface StationState {
  letter: string;
  /** The library's enum value (python-technove `Status`). */
  label: string;
  kind: LetterKind;
  /** Whether the letter itself says a vehicle is plugged in; undefined when it does not tell. */
  vehicle?: boolean;
}

/**
 * TechnoVE `status` (the ASCII code of a pilot-state letter; README.md beside this file) and its
 * canonical reading. "last known" = the vehicle presence of the last A/B/C/D letter seen: the
 * window and fault letters replace the pilot letter, so the station no longer tells.
 *
 * | code | letter | library enum             | vehicle                 | canonical status                        |
 * |------|--------|--------------------------|-------------------------|-----------------------------------------|
 * |  65  |   A    | unplugged                | no                      | disconnected                            |
 * |  66  |   B    | plugged_waiting          | yes                     | connected (session on) / paused (off)   |
 * |  67  |   C    | plugged_charging         | yes                     | charging                                |
 * |  68  |   D    | ventilation_required     | yes                     | error (the station needs ventilation)   |
 * |  69  |   E    | pilot_fault              | last known              | error                                   |
 * |  70  |   F    | evse_fault               | last known              | error                                   |
 * |  71  |   G    | (not documented)         | last known              | error (the issue lists 68–72 as faults) |
 * |  72  |   H    | ground_fault             | last known              | error                                   |
 * |  83  |   S    | out_of_activation_period | last known, else yes    | disabled (locked), disconnected w/o car |
 * |  84  |   T    | high_tariff_period       | last known, else yes    | paused (held), disconnected w/o car     |
 * | other|   –    | unknown                  | last known              | error "unknown status N"                |
 */
export const STATION_STATES: Readonly<Record<number, StationState>> = {
  65: { letter: 'A', label: 'unplugged', kind: 'unplugged', vehicle: false },
  66: { letter: 'B', label: 'plugged, waiting', kind: 'waiting', vehicle: true },
  67: { letter: 'C', label: 'plugged, charging', kind: 'charging', vehicle: true },
  68: { letter: 'D', label: 'ventilation required', kind: 'fault', vehicle: true },
  69: { letter: 'E', label: 'pilot fault', kind: 'fault' },
  70: { letter: 'F', label: 'EVSE fault', kind: 'fault' },
  71: { letter: 'G', label: 'fault G (undocumented)', kind: 'fault' },
  72: { letter: 'H', label: 'ground fault', kind: 'fault' },
  83: { letter: 'S', label: 'out of activation period', kind: 'locked' },
  84: { letter: 'T', label: 'high-tariff period', kind: 'held' },
};

/** Below this measured current, A, no energy is considered to flow. */
const FLOWING_A = 0.5;

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The state row of a status code, or undefined for an unknown code. */
export function stationState(code: unknown): StationState | undefined {
  return typeof code === 'number' ? STATION_STATES[code] : undefined;
}

/** What the status letter alone says about a plugged vehicle (undefined: it does not tell). */
export function vehicleFromStatus(code: unknown): boolean | undefined {
  return stationState(code)?.vehicle;
}

/**
 * Checks a GET /station/get/info reply before it is mapped: `{}` is "no data" (as the library
 * treats it) and a reply without `status` or `maxCurrent` cannot give a sound reading.
 */
export function checkInfo(raw: Record<string, unknown>): TechnoveInfo {
  if (Object.keys(raw).length === 0) {
    throw new Error(
      `GET ${PATHS.info}: the station returned no data ({}); it may be restarting. If this lasts, restart it from the TechnoVE app or its breaker`,
    );
  }
  const missing = [
    ...(raw.status === undefined ? ['status'] : []),
    ...(num(raw.maxCurrent) === undefined ? ['maxCurrent'] : []),
  ];
  if (missing.length > 0) {
    const keys = Object.keys(raw).slice(0, 8).join(', ');
    throw new Error(
      `GET ${PATHS.info}: the reply lacks ${missing.join(' and ')} (keys: ${keys}); check that host and port point at a TechnoVE station`,
    );
  }
  return raw as TechnoveInfo;
}

/**
 * Maps a station status object to the canonical reading. `lastVehicle` is the vehicle presence
 * of the last letter that told it (see the table); `power` is derived as voltageOut × current,
 * the power delivered to the car, which is what `energySession` integrates.
 */
export function mapInfo(info: TechnoveInfo, lastVehicle: boolean | undefined): ChargerReading {
  const state = stationState(info.status);
  const amps = num(info.current);
  const flowing = (amps ?? 0) >= FLOWING_A;
  const kind = state?.kind ?? 'fault';
  const vehicleConnected =
    state?.vehicle ??
    (kind === 'locked' || kind === 'held' ? (lastVehicle ?? true) : (lastVehicle ?? false) || flowing);
  const charging = kind === 'charging' || (kind === 'fault' && flowing);
  const fault =
    kind !== 'fault'
      ? null
      : state
        ? `TechnoVE: ${state.label} (status ${state.letter})`
        : `TechnoVE: unknown status ${JSON.stringify(info.status ?? null)}`;
  // isSessionActive says whether charging is allowed; during an S/T window the window decides, and
  // without a vehicle the station does not say (the bridge's own target applies, docs/mqtt-api.md)
  const enabled =
    !vehicleConnected || kind === 'locked' || kind === 'held' ? null : info.isSessionActive === true;
  const vIn = num(info.voltageIn);
  const vOut = num(info.voltageOut) || vIn;
  const values: Record<string, Scalar> = {
    current: amps === undefined ? null : round(amps, 2),
    voltage: vIn === undefined ? null : round(vIn, 1),
    power: amps === undefined || vOut === undefined ? null : round(amps * vOut, 1),
    session_energy: num(info.energySession) === undefined ? null : round(num(info.energySession)!, 3),
    total_energy: num(info.energyTotal) === undefined ? null : round(num(info.energyTotal)!, 3),
    auto_charge: info.auto_charge === true,
    sharing_mode: info.inSharingMode === true,
    update_available: info.isUpToDate === false,
  };
  const deviceMax = num(info.maxStationCurrent);
  return {
    vehicleConnected,
    charging,
    enabled,
    chargeCurrent: num(info.maxCurrent) ?? 0,
    fault,
    locked: kind === 'locked',
    held: kind === 'held',
    deviceMinCurrent: MIN_CURRENT,
    ...(deviceMax !== undefined && deviceMax > 0 ? { deviceMaxCurrent: deviceMax } : {}),
    values,
  };
}
