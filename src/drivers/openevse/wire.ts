/**
 * Wire types of the OpenEVSE WiFi gateway HTTP/WebSocket API (README.md beside this file).
 * Only the fields the bridge reads; every field is optional because firmware versions differ.
 */

/** GET /status and /ws frames (merged). Units: amp mA, voltage V, power W, pilot A, temp 0.1 °C,
 * session_energy Wh, wattsec Ws, total_energy kWh, watthour/wh Wh. */
export interface OpenEvseStatus {
  amp?: number;
  voltage?: number;
  power?: number;
  pilot?: number;
  max_current?: number;
  temp?: number | false;
  state?: number;
  status?: 'active' | 'disabled' | string;
  vehicle?: number;
  manual_override?: number;
  session_energy?: number;
  wattsec?: number;
  total_energy?: number;
  watthour?: number;
  wh?: number;
  battery_level?: number;
  config_version?: number;
  claims_version?: number;
  override_version?: number;
  [key: string]: unknown;
}

/** GET /config (the keys the bridge uses). */
export interface OpenEvseConfig {
  firmware?: string;
  version?: string;
  buildenv?: string;
  wifi_serial?: string;
  hostname?: string;
  max_current_soft?: number;
  min_current_hard?: number;
  max_current_hard?: number;
  is_threephase?: boolean;
  [key: string]: unknown;
}

/** Claim properties (POST /claims/{client}, /override). */
export interface ClaimProperties {
  state?: 'active' | 'disabled';
  charge_current?: number;
  max_current?: number;
  auto_release?: boolean;
}

/** GET /claims/target: the effective target and which client won each property. */
export interface ClaimsTarget {
  properties?: ClaimProperties;
  claims?: { state?: number; charge_current?: number; max_current?: number };
}

/** Well-known claim client ids (README.md beside this file). */
export const CLIENT = {
  manual: 65537,
  divert: 65538,
  boost: 65539,
  schedule: 65540,
  limit: 65542,
  error: 65543,
  ohm: 65544,
  ocpp: 65545,
  rfid: 65546,
  mqtt: 65547,
  shaper: 65548,
} as const;

/** Claim priorities (README.md beside this file). */
export const PRIORITY = {
  default: 10,
  divert: 50,
  schedule: 100,
  boost: 200,
  api: 500,
  manual: 1000,
  rfid: 1030,
  ocpp: 1050,
  limit: 1100,
  safety: 5000,
  error: 10000,
} as const;

/**
 * The bridge's own claim client id: vendor 0x0E2B in the high 16 bits (no OpenEVSE or
 * OpenEnergyMonitor client uses it), FNV-1a of the bridge instance in the low 16 bits, so
 * it is stable across restarts and two bridges with different base topics do not share one.
 */
export function bridgeClientId(instance: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(`evse2mqtt:${instance}`)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return ((0x0e2b << 16) | (h & 0xffff)) >>> 0;
}
