import type { Logger } from 'pino';
import type { MeterConfig, MeterType } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { DeviceInfo } from '../core/model.js';

/**
 * One reading of a meter channel in the device's own sign and fixed units. The meter runtime
 * applies `scale` and the role rules (grid signed: + import, − export; pv and house ≥ 0).
 */
export interface MeterSample {
  /** Active power, W, signed as the device reports it. */
  power: number;
  /** Energy imported / consumed, kWh (lifetime counter), when the device has one. */
  energy_import?: number | null;
  /** Energy exported / returned, kWh (lifetime counter), when the device has one. */
  energy_export?: number | null;
  /** Per-phase current, A. */
  current_l1?: number | null;
  current_l2?: number | null;
  current_l3?: number | null;
  /** Voltage, V (L1 / the channel's). */
  voltage?: number | null;
  /** When the device measured it, ms since the epoch; receipt time when absent. */
  at?: number;
}

/** What a polled meter driver gets. */
export interface MeterContext {
  cfg: MeterConfig;
  log: Logger;
  clock: Clock;
}

/** A polled meter (Shelly over HTTP): one read per poll_interval. Errors carry a user-fit message. */
export interface MeterPoller {
  readonly info: DeviceInfo;
  /** Reads the configured channel now. */
  read(): Promise<MeterSample>;
  close(): Promise<void>;
}

/** A meter type: static facts plus, for polled types, a factory that probes the device. */
export interface MeterTypeDef {
  type: MeterType;
  manufacturer: string;
  model: string;
  /** Catalog keys this meter publishes for `cfg` (always includes `power`). */
  provides(cfg: MeterConfig): ReadonlySet<string>;
  /** Polled types only (shelly-em, shelly-gen2); `mqtt` meters are fed by subscriptions. */
  create?(ctx: MeterContext): Promise<MeterPoller>;
}
