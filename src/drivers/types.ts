import type { Logger } from 'pino';
import type { ChargerConfig, ChargerType } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { ChargerReading, DeviceInfo, OnExit, Scalar, Targets } from '../core/model.js';

/**
 * What a charger type can do, known before any connection (drives discovery and /set validation).
 * The required contract is small: read, enable/disable, set a current. The rest is optional.
 */
export interface ChargerCapabilities {
  /** Catalog keys the type reports beyond the core ones (e.g. `power`, `temperature`, `auto_charge`). */
  provides: ReadonlySet<string>;
  /** Writable catalog keys beyond `enabled`, `charge_current` and `mode` (e.g. `phases`). */
  writable: ReadonlySet<string>;
  /** Setpoint resolution, A (1 or 0.1). */
  resolution: number;
  /** Can discharge (negative charge_current). */
  bidirectional: boolean;
  /** Falls back by itself when the bridge dies (the README's chargers table). */
  watchdog: boolean;
  /** Pushes updates (WebSocket); polling then only confirms. */
  push: boolean;
}

/** Static facts about a charger type, used by configuration validation and discovery. */
export interface ChargerTypeMeta {
  type: ChargerType;
  manufacturer: string;
  model: string;
  /** TCP port when the configuration gives none. */
  defaultPort: number;
  /** Lowest allowed min_current, A (6, or 8 for TechnoVE). */
  minCurrentFloor: number;
  bidirectional: boolean;
  watchdog: boolean;
  /** Extra configuration keys this type accepts (beyond the common ones). */
  options: ReadonlyArray<'user' | 'password' | 'token' | 'unit_id' | 'watchdog' | 'max_discharge_current'>;
  /** Capabilities for a given configuration. */
  capabilities(cfg: ChargerConfig): ChargerCapabilities;
}

/** Receives pushed readings from a driver with a push channel. */
export interface PushListener {
  /** A complete reading merged from pushed data. */
  reading(r: ChargerReading): void;
  /** The push channel closed and one reconnect attempt failed: the charger counts as offline. */
  lost(reason: string): void;
  /** The push channel is back. */
  restored(): void;
}

/** Everything a driver factory gets. */
export interface DriverContext {
  cfg: ChargerConfig;
  log: Logger;
  clock: Clock;
  /** `<instance>` of the bridge (docs/mqtt-api.md#names), for ids that must be stable per bridge. */
  instance: string;
}

/** A connected charger. All methods throw an Error whose message is fit for a user on failure. */
export interface ChargerDriver {
  /** Identity as probed. */
  readonly info: DeviceInfo;
  /** Reads the device now (one request burst, shared by every getter). */
  read(): Promise<ChargerReading>;
  /**
   * Writes the targets; `changed` names the keys that differ from the last applied targets.
   * May resolve with extra keys the device changed as a side effect (e.g. TechnoVE switching
   * `auto_charge` off to obey a stop), which become part of the bridge's targets.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most drivers resolve with nothing; a few report side effects
  apply(targets: Targets, changed: ReadonlySet<string>): Promise<void | Record<string, Scalar>>;
  /** Leaves the device as `on_exit` says (docs/configuration.md#chargers). */
  exit(action: OnExit): Promise<void>;
  /** Starts the push channel, if the type has one. */
  subscribe?(listener: PushListener): void;
  /** Closes sockets and timers. */
  close(): Promise<void>;
}

/** A charger type: metadata plus a factory that probes the device and returns a driver. */
export interface ChargerTypeDef extends ChargerTypeMeta {
  create(ctx: DriverContext): Promise<ChargerDriver>;
}
