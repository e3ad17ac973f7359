/** The canonical charger model (docs/mqtt-api.md), shared by drivers, runtime, engine and publishers. */

/** Charger status values, in the order of the derivation (first match wins). */
export const STATUSES = [
  'error',
  'discharging',
  'charging',
  'disconnected',
  'disabled',
  'paused',
  'connected',
] as const;
export type ChargerStatus = (typeof STATUSES)[number];

/** Operating modes (docs/engine.md#modes). `load_follow` only for bidirectional chargers. */
export const MODES = ['manual', 'off', 'fast', 'solar', 'min_solar', 'smart', 'load_follow'] as const;
export type Mode = (typeof MODES)[number];

/** Modes in which the engine, not a person, sets the targets. */
export const AUTOMATIC_MODES: ReadonlySet<Mode> = new Set([
  'off',
  'fast',
  'solar',
  'min_solar',
  'smart',
  'load_follow',
]);

/** What the bridge does with a charger when it stops (`on_exit`, docs/configuration.md#chargers). */
export type OnExit = 'release' | 'pause' | 'keep';

/** Fail-safe reasons (`failsafe`, docs/engine.md#fail-safes). */
export type FailsafeReason =
  | 'grid meter stale'
  | 'pv meter stale'
  | 'house meter stale'
  | 'state of charge unknown'
  | 'charger offline';

/** A published value: JSON scalar or null. */
export type Scalar = number | boolean | string | null;

/**
 * One read of a charger, in canonical units, produced by its driver.
 * `values` holds the measured catalog keys (`current` A, `voltage` V, `power` W, `session_energy` kWh,
 * `total_energy` kWh, `temperature` °C, `state_of_charge` %, `phases`, …) and driver extras; a key the
 * device provides but cannot report right now is null.
 */
export interface ChargerReading {
  /** A vehicle is plugged in. */
  vehicleConnected: boolean;
  /** Energy flows (either direction). */
  charging: boolean;
  /** Charging allowed at the device now; null when the device does not say (e.g. no vehicle). */
  enabled: boolean | null;
  /** Current limit in force on the device, A (signed for bidirectional chargers). */
  chargeCurrent: number;
  /** Device fault text, null when healthy. */
  fault: string | null;
  /**
   * The status when the device states it and the derivation cannot (OCPP `Unavailable` is
   * `disabled` with no vehicle); absent on most chargers.
   */
  status?: ChargerStatus;
  /** Disabled by something outside the bridge's control (a person's override, a lock at the unit). */
  locked?: boolean;
  /** Held by a tariff or schedule window at the charger. */
  held?: boolean;
  /**
   * The device says someone else took control after the bridge did (e.g. Quasar register 0x51
   * reads 0, TechnoVE auto_charge switched back on in its app). Counts as a change at the device.
   */
  overridden?: boolean;
  /** Device limits, A, when the device reports them. */
  deviceMinCurrent?: number;
  deviceMaxCurrent?: number;
  /** Device identity learned from the read. */
  info?: Partial<DeviceInfo>;
  /**
   * The charger's own transaction, for chargers that keep one (OCPP): carried into the charging
   * session record (`transaction_id`, `id_tag`, `stop_reason`); absent on the others.
   */
  transaction?: TransactionInfo;
  /** Measured and extra catalog keys. */
  values: Record<string, Scalar>;
}

/** A charger-side transaction (OCPP StartTransaction/StopTransaction). */
export interface TransactionInfo {
  /** Transaction id the bridge assigned; null before one was accepted. */
  id: number | null;
  /** The idTag that started it. */
  idTag: string | null;
  /** StopTransaction `reason` once it ended, else null. */
  stopReason: string | null;
}

/** The bridge's targets for a charger: what it has commanded (or adopted). */
export interface Targets {
  enabled: boolean;
  /** A; negative = discharge on bidirectional chargers. */
  charge_current: number;
  phases?: 1 | 3;
  /** Driver-specific writable keys (e.g. TechnoVE `auto_charge`). */
  extra: Record<string, Scalar>;
}

/** Identity of a device for discovery. */
export interface DeviceInfo {
  manufacturer: string;
  model: string;
  sw_version?: string;
  serial?: string;
}

/** Inputs of the status derivation. */
export interface StatusInputs {
  fault: string | null;
  power: number | null | undefined;
  charging: boolean;
  vehicleConnected: boolean;
  locked: boolean;
  enabled: boolean;
  held: boolean;
}

/** The status derivation of docs/mqtt-api.md#status, first match wins. */
export function deriveStatus(s: StatusInputs): ChargerStatus {
  if (s.fault) return 'error';
  if (typeof s.power === 'number' && s.power < 0) return 'discharging';
  if (s.charging) return 'charging';
  if (!s.vehicleConnected) return 'disconnected';
  if (s.locked) return 'disabled';
  if (!s.enabled || s.held) return 'paused';
  return 'connected';
}

/** The status of a reading, with `enabled` taken from the bridge's target when the device does not say. */
export function readingStatus(r: ChargerReading, enabledFallback = true): ChargerStatus {
  if (r.status) return r.status;
  return deriveStatus({
    fault: r.fault,
    power: r.values.power as number | null | undefined,
    charging: r.charging,
    vehicleConnected: r.vehicleConnected,
    locked: r.locked === true,
    enabled: r.enabled ?? enabledFallback,
    held: r.held === true,
  });
}
