import type { ChargerStatus } from '../../core/model.js';

/**
 * OCPP connector status → the canonical model (README.md in this folder, "Status").
 *
 * | OCPP (connector; station 0 overrides) | vehicle_connected | status |
 * |---|---|---|
 * | Faulted (connector or 0)              | last known        | error (errorCode: info [vendorErrorCode]) |
 * | Charging                              | true              | charging |
 * | Available                             | false             | disconnected |
 * | Unavailable (connector or 0), Reserved| false             | disabled |
 * | Preparing, SuspendedEV, SuspendedEVSE, Finishing | true   | paused when the bridge's target is 0, else connected |
 */
export interface StatusFacts {
  vehicleConnected: boolean;
  charging: boolean;
  /** Set when the OCPP state says it beyond what the derivation can (Unavailable/Reserved → disabled). */
  status?: ChargerStatus;
}

const PLUGGED = new Set(['Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing']);

/**
 * The model facts of a connector status. `station` is connector 0's status (its Faulted and
 * Unavailable override the connector's); `lastConnected` is kept through Faulted. An unknown
 * status (a vendor's own word) keeps the last known plug state.
 */
export function statusFacts(
  connector: string,
  station: string | undefined,
  lastConnected: boolean,
): StatusFacts {
  const s = station === 'Faulted' || station === 'Unavailable' ? station : connector;
  if (s === 'Faulted') return { vehicleConnected: lastConnected, charging: false };
  if (s === 'Unavailable' || s === 'Reserved')
    return { vehicleConnected: false, charging: false, status: 'disabled' };
  if (s === 'Available') return { vehicleConnected: false, charging: false };
  if (PLUGGED.has(s)) return { vehicleConnected: true, charging: s === 'Charging' };
  return { vehicleConnected: lastConnected, charging: false };
}

/** A StatusNotification's error fields as the state's `error`: `<errorCode>: <info> [<vendorErrorCode>]`. */
export function errorText(errorCode?: string, info?: string, vendorErrorCode?: string): string {
  let out = errorCode ?? 'Faulted';
  if (info) out += `: ${info}`;
  if (vendorErrorCode) out += ` [${vendorErrorCode}]`;
  return out;
}
