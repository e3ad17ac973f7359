import type { Logger } from 'pino';
import type { Format } from '../config/formats.js';
import type { ChargerConfig, Config } from '../config/types.js';
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
  /** How long a command may take before it counts as unanswered, ms (default 3000; 10000 bidirectional). */
  commandTimeoutMs?: number;
}

/** One configuration key a charger type adds to its `chargers[]` entries (a convict schema entry). */
export interface ChargerOption {
  doc: string;
  default: unknown;
  /** Throws an Error whose message is the reason (src/config/formats.ts). */
  format: Format;
  /** Never logged nor published. */
  sensitive?: boolean;
}

/** Where a type's own configuration checks report (paths are relative to the charger entry). */
export interface ChargerCheckContext {
  /** `chargers[i]`. */
  path: string;
  /** The whole configuration, for rules across chargers (e.g. unique identities). */
  config: Config;
  /** A problem: start-up stops. `path` is the full key path (`chargers[0].id_tags[1]`, `ocpp.port`). */
  problem(path: string, reason: string): void;
  /** A warning, printed (full text). */
  warn(text: string): void;
}

/** A top-level configuration section of a charger type: a convict schema and its checks. */
export interface TypeSection {
  name: string;
  /** Convict schema (nested objects allowed); defaults apply even when no charger has the type. */
  schema: Record<string, unknown>;
  check?(cfg: Config, ctx: Pick<ChargerCheckContext, 'problem' | 'warn'>): void;
}

/** Static facts about a charger type, used by configuration validation and discovery. */
export interface ChargerTypeMeta {
  /** The configuration `type`. */
  type: string;
  /** Short name in the README tables. */
  shortName: string;
  manufacturer: string;
  model: string;
  /**
   * TCP port when the configuration gives none; null for a type whose chargers connect to the
   * bridge (then `host`, `port` and `poll_interval` do not apply).
   */
  defaultPort: number | null;
  /** Lowest allowed min_current, A (6, or 8 for TechnoVE). */
  minCurrentFloor: number;
  bidirectional: boolean;
  watchdog: boolean;
  /** Configuration keys this type adds to a charger entry (beyond the common ones), by key. */
  options: Readonly<Record<string, ChargerOption>>;
  /** Cross-field checks of a charger of this type (after the common ones). */
  check?(cfg: ChargerConfig, ctx: ChargerCheckContext): void;
  /** A top-level configuration section the type adds (e.g. `ocpp:`), checked when a charger has the type. */
  section?: TypeSection;
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

/** Everything a driver factory gets; `O` = the options its type declares (its meta.ts). */
export interface DriverContext<O = unknown> {
  cfg: ChargerConfig & O;
  log: Logger;
  clock: Clock;
  /** `<instance>` of the bridge (docs/mqtt-api.md#names), for ids that must be stable per bridge. */
  instance: string;
  /** What the bridge shares with its drivers (absent in tests that build a driver alone). */
  services?: DriverServices;
}

/** Something a driver type runs once per bridge for all its chargers (e.g. a server they connect to). */
export interface SharedService {
  /** Stops it when the bridge stops. */
  close(): Promise<void>;
}

/** What the bridge shares with its drivers. */
export interface DriverServices {
  /** The whole configuration (sections a type adds, such as `ocpp:`). */
  config: Config;
  /** `data_dir`, for what a driver must keep across restarts. */
  dataDir: string;
  /** The bridge's logger (drivers make child loggers). */
  log: Logger;
  /** The service `key` of this bridge, made by `make` on first use and closed when the bridge stops. */
  shared<T extends SharedService>(key: string, make: () => T): T;
}

/** A `bridge/request/<name>` a charger type answers; `driver(id)` finds a charger of that type. */
export type TypeRequest = (
  body: Record<string, unknown>,
  driver: (id: string) => ChargerDriver | undefined,
) => Promise<Record<string, unknown>>;

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
  /**
   * How the bridge learns the charger's state. `poll` (default): it reads every poll_interval and
   * counts the charger offline after three failed polls. `connection`: the charger holds a
   * connection to the bridge; the driver pushes every reading and says when the charger is lost or
   * back (PushListener); `read()` returns the latest state (for `/get`) and throws while offline.
   */
  readonly updates?: 'poll' | 'connection';
  /** Type-specific facts for `bridge/info` (e.g. `{ocpp: {vendor, firmware, …}}`). */
  details?(): Record<string, unknown>;
  /** Closes sockets and timers. */
  close(): Promise<void>;
}

/** A charger type: metadata plus a factory that probes the device and returns a driver. */
export interface ChargerTypeDef extends ChargerTypeMeta {
  create(ctx: DriverContext): Promise<ChargerDriver>;
  /** `bridge/request/<name>` handlers of this type, registered when a charger has the type. */
  requests?: Readonly<Record<string, TypeRequest>>;
}
