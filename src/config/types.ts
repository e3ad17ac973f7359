import type { LogFormat, LogLevel } from '../core/logger.js';
import type { Mode, OnExit } from '../core/model.js';

/** Validated configuration (docs/configuration.md), defaults applied. */
export interface Config {
  /** Sections added by charger types (`ocpp:`), typed in their meta.ts. */
  readonly [section: string]: unknown;
  mqtt: MqttConfig;
  embedded_broker: EmbeddedBrokerConfig;
  data_dir: string;
  homeassistant: { enabled: boolean; discovery_topic: string; status_topic: string };
  homie: { enabled: boolean; base_topic: string };
  log: { level: LogLevel; format: LogFormat };
  chargers: ChargerConfig[];
  meters: MeterConfig[];
  site: SiteConfig;
  tariff: TariffConfig | null;
  influxdb: InfluxConfig | null;
  frontend: FrontendConfig;
}

/** `frontend`: the built-in web page (docs/web-interface.md). */
export interface FrontendConfig {
  enabled: boolean;
  host: string;
  /** TCP port; 0 = any free port. */
  port: number;
  /** Path prefix, normalised to start and end with `/`. */
  base_url: string;
  auth_token?: string;
  /** Public URL of the page (also HA `configuration_url`). */
  url?: string;
  read_only: boolean;
}

export interface MqttConfig {
  /** `embedded` or a broker URL (mqtt://, mqtts://, ws://, wss://). */
  server: string;
  base_topic: string;
  user?: string;
  password?: string;
  client_id: string;
  version: 'auto' | 4 | 5;
  ca?: string;
  cert?: string;
  key?: string;
  reject_unauthorized: boolean;
}

export interface EmbeddedBrokerConfig {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

/** A charger `type`: a key of the registry in src/drivers/meta.ts (checked when the configuration loads). */
export type ChargerType = string;

export interface SmartChargingConfig {
  /** "HH:MM" local time in site.timezone. */
  deadline: string;
  /** kWh to add by the deadline. */
  energy: number;
  /** kWh charged at once whatever the price. */
  minimum_energy: number;
}

/**
 * One charger: the keys every type has, plus the options its type declares in its meta.ts
 * (read them through `ChargerConfig & <Type>Options`).
 */
export interface ChargerConfig {
  readonly [option: string]: unknown;
  id: string;
  name: string;
  type: ChargerType;
  /** Empty for a type whose chargers connect to the bridge. */
  host: string;
  /** TCP port; 0 for a type whose chargers connect to the bridge. */
  port: number;
  /** s */
  poll_interval: number;
  /** A */
  min_current: number;
  /** A */
  max_current: number;
  /** A */
  max_discharge_current: number;
  /** % */
  min_state_of_charge: number;
  phases: 1 | 3;
  phase?: 'L1' | 'L2' | 'L3';
  /** V */
  voltage: number;
  mode: Mode;
  on_exit: OnExit;
  smart_charging?: SmartChargingConfig;
}

export type MeterRole = 'grid' | 'pv' | 'house';
export type MeterType = 'mqtt' | 'shelly-em' | 'shelly-gen2';

export interface MeterConfig {
  id: string;
  name: string;
  role: MeterRole;
  type: MeterType;
  topic?: string;
  value?: string;
  scale: number;
  current_keys?: string[];
  timestamp?: string;
  availability_topic?: string;
  /** s */
  max_age: number;
  host?: string;
  port: number;
  channel: number | string;
  user?: string;
  password?: string;
  /** s */
  poll_interval: number;
}

export interface SiteConfig {
  /** A per phase, or null when not configured. */
  max_current: number | null;
  /** W */
  residual_power: number;
  /** W */
  load_follow_target: number;
  failsafe: 'min_current' | 'pause';
  /** s */
  interval: number;
  /** s */
  enable_delay: number;
  /** s */
  disable_delay: number;
  timezone: string;
}

export interface TariffZone {
  from: string;
  to: string;
  price: number;
}

export interface TariffConfig {
  currency: string;
  zones: TariffZone[];
  default_price: number;
  /** Paid per kWh exported, in `currency`; prices the solar energy of a session (docs/sessions.md); the configuration sets 0 by default. */
  feed_in_price?: number;
  topic?: string;
}

export interface InfluxConfig {
  url: string;
  token?: string;
  org: string;
  bucket: string;
}

/** One configuration problem: a key path and the reason. */
export interface Problem {
  path: string;
  reason: string;
}
