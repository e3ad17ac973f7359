import { CHARGER_TYPE_NAMES, chargerTypeOptions, chargerTypeSections } from '../drivers/meta.js';
import { bool, HHMM, list, num, obj, oneOf, str } from './formats.js';

/** Lower-case id shared by chargers and meters (docs/configuration.md#chargers). */
export const ID_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const TOPIC_WHAT = 'a topic without + # $ and without a leading or trailing /';
const TOPIC_RE = /^(?!\/)(?!.*\/$)[^+#$]+$/;

/** `frontend`: the built-in web page (docs/web-interface.md). */
const frontendSchema = {
  enabled: { doc: 'Serve the web page', default: true, format: bool },
  host: { doc: 'Listen address; a non-loopback one needs auth_token', default: '127.0.0.1', format: str() },
  port: {
    doc: 'Listen port (0 = any free port, logged)',
    default: 8090,
    format: num(0, 65535, { integer: true }),
  },
  base_url: {
    doc: 'Path prefix when a proxy does not strip it (e.g. /evse)',
    default: '/',
    format: str({
      re: /^\/([A-Za-z0-9._~-]+\/?)*$/,
      what: 'a path starting with / (letters, digits, . _ ~ -)',
    }),
  },
  auth_token: {
    doc: 'Token a page must give (login form, ?token=)',
    default: null,
    format: str({ optional: true }),
    sensitive: true,
    env: 'EVSE2MQTT_FRONTEND_AUTH_TOKEN',
  },
  url: {
    doc: 'Public URL of the page; HA configuration_url of the bridge device',
    default: null,
    format: str({ optional: true, re: /^https?:\/\/[^\s]+$/, what: 'an http:// or https:// URL' }),
  },
  read_only: { doc: 'Controls hidden, commands refused', default: false, format: bool },
};

/** Top-level convict schema. `chargers`, `meters`, `tariff` and `influxdb` are checked item by item below. */
export const rootSchema = {
  mqtt: {
    server: {
      doc: '"embedded", or a broker URL: mqtt://host:1883, mqtts://host:8883, ws://host/mqtt',
      default: 'embedded',
      format: str({
        re: /^(embedded|(mqtts?|wss?|tcp|ssl):\/\/.+)$/,
        what: '"embedded" or a mqtt://, mqtts://, ws:// or wss:// URL',
      }),
      env: 'EVSE2MQTT_MQTT_SERVER',
    },
    base_topic: {
      doc: 'Prefix of every topic the bridge owns',
      default: 'evse2mqtt',
      format: str({ re: TOPIC_RE, what: TOPIC_WHAT }),
      env: 'EVSE2MQTT_MQTT_BASE_TOPIC',
    },
    user: { doc: 'Broker user', default: null, format: str({ optional: true }), env: 'EVSE2MQTT_MQTT_USER' },
    password: {
      doc: 'Broker password',
      default: null,
      format: str({ optional: true, allowEmpty: true }),
      sensitive: true,
      env: 'EVSE2MQTT_MQTT_PASSWORD',
    },
    client_id: {
      doc: 'MQTT client id; default "e2m" + 8 hex digits (Homie connections add -1, -2, …)',
      default: null,
      format: str({ optional: true, re: /^[A-Za-z0-9_-]{1,20}$/, what: '1–20 letters, digits, _ or -' }),
    },
    version: { doc: 'auto | 4 (3.1.1) | 5', default: 'auto', format: oneOf(['auto', 4, 5]) },
    ca: { doc: 'TLS CA file', default: null, format: str({ optional: true }) },
    cert: { doc: 'TLS client certificate file', default: null, format: str({ optional: true }) },
    key: { doc: 'TLS client key file', default: null, format: str({ optional: true }) },
    reject_unauthorized: { doc: 'Verify the broker certificate', default: true, format: bool },
  },
  embedded_broker: {
    host: { doc: 'Listen address of the embedded broker', default: '127.0.0.1', format: str() },
    port: {
      doc: 'Listen port of the embedded broker (0 = any free port, logged)',
      default: 1883,
      format: num(0, 65535, { integer: true }),
    },
    user: { doc: 'User clients must give', default: null, format: str({ optional: true }) },
    password: {
      doc: 'Password clients must give',
      default: null,
      format: str({ optional: true }),
      sensitive: true,
    },
  },
  data_dir: { doc: 'Where runtime state (state.json) is kept', default: './data', format: str() },
  homeassistant: {
    enabled: { doc: 'Publish Home Assistant MQTT discovery', default: true, format: bool },
    discovery_topic: {
      doc: 'HA discovery prefix',
      default: 'homeassistant',
      format: str({ re: TOPIC_RE, what: TOPIC_WHAT }),
    },
    status_topic: {
      doc: 'HA birth topic',
      default: 'homeassistant/status',
      format: str({ re: TOPIC_RE, what: TOPIC_WHAT }),
    },
  },
  homie: {
    enabled: { doc: 'Publish Homie 4 devices', default: true, format: bool },
    base_topic: {
      doc: 'Homie root topic',
      default: 'homie',
      format: str({ re: TOPIC_RE, what: TOPIC_WHAT }),
    },
  },
  log: {
    level: {
      doc: 'trace | debug | info | warn | error',
      default: 'info',
      format: oneOf(['trace', 'debug', 'info', 'warn', 'error']),
      env: 'EVSE2MQTT_LOG_LEVEL',
    },
    format: {
      doc: 'auto (readable lines on a terminal, JSON lines otherwise) | pretty | json',
      default: 'auto',
      format: oneOf(['auto', 'pretty', 'json']),
    },
  },
  chargers: { doc: 'Chargers', default: [] as unknown[], format: list },
  meters: { doc: 'Energy meters', default: [] as unknown[], format: list },
  site: {
    max_current: {
      doc: 'A per phase at the grid connection',
      default: null,
      format: num(1, 1000, { optional: true }),
    },
    residual_power: { doc: 'W the solar control leaves exported', default: 0, format: num(-100000, 100000) },
    load_follow_target: {
      doc: 'W of grid import load_follow aims at',
      default: 100,
      format: num(-100000, 100000),
    },
    failsafe: { doc: 'min_current | pause', default: 'min_current', format: oneOf(['min_current', 'pause']) },
    interval: { doc: 's between control cycles', default: 10, format: num(1, 3600) },
    enable_delay: { doc: 's', default: 60, format: num(0, 86400) },
    disable_delay: { doc: 's', default: 180, format: num(0, 86400) },
    timezone: { doc: 'IANA zone; default: the system zone', default: null, format: str({ optional: true }) },
  },
  tariff: { doc: 'Tariff', default: null, format: obj({ optional: true }) },
  frontend: frontendSchema,
  influxdb: { doc: 'InfluxDB 2 output', default: null, format: obj({ optional: true }) },
};

/** The keys of every charger (`chargers[i]`); type-dependent defaults (port, min_current) are filled in after. */
const commonChargerSchema = {
  id: {
    doc: 'Unique id, ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
    default: null,
    format: str({ re: ID_RE, what: 'lower-case letters, digits and inner hyphens' }),
  },
  name: { doc: 'Display name; default = id', default: null, format: str({ optional: true }) },
  type: { doc: CHARGER_TYPE_NAMES.join(' | '), default: null, format: oneOf(CHARGER_TYPE_NAMES) },
  host: {
    doc: 'Host name or IP address (required unless the charger connects to the bridge)',
    default: null,
    format: str({ optional: true }),
  },
  port: {
    doc: 'TCP port; default by type',
    default: null,
    format: num(1, 65535, { integer: true, optional: true }),
  },
  poll_interval: { doc: 's between reads', default: 5, format: num(0.1, 3600) },
  min_current: {
    doc: 'A; default 6 (8 for technove)',
    default: null,
    format: num(0, 80, { optional: true }),
  },
  max_current: { doc: 'A; the bridge never commands more', default: null, format: num(0, 80) },
  max_discharge_current: { doc: 'A; bidirectional types only', default: 0, format: num(0, 80) },
  min_state_of_charge: { doc: '%; never discharge below it', default: 20, format: num(0, 100) },
  phases: { doc: 'Phases wired: 1 | 3', default: 1, format: oneOf([1, 3]) },
  phase: {
    doc: 'L1 | L2 | L3 for a 1-phase charger',
    default: null,
    format: oneOf(['L1', 'L2', 'L3'], { optional: true }),
  },
  voltage: { doc: 'V nominal', default: 230, format: num(100, 500) },
  mode: {
    doc: 'Start-up mode when nothing is saved',
    default: 'manual',
    format: oneOf(['manual', 'off', 'fast', 'solar', 'min_solar', 'smart', 'load_follow']),
  },
  on_exit: { doc: 'release | pause | keep', default: 'release', format: oneOf(['release', 'pause', 'keep']) },
  smart_charging: { doc: 'Defaults for mode smart', default: null, format: obj({ optional: true }) },
};

/** The top-level schema with the sections charger types add (`ocpp:`, declared in their meta.ts). */
export function fullRootSchema(): Record<string, unknown> {
  return { ...rootSchema, ...chargerTypeSections() };
}

/** One charger: the common keys plus every option a charger type declares (its meta.ts). */
export const chargerSchema = { ...commonChargerSchema, ...chargerTypeOptions() };

/** Keys every charger has, whatever its type. */
export const COMMON_CHARGER_KEYS: ReadonlySet<string> = new Set(Object.keys(commonChargerSchema));

/** `chargers[i].smart_charging` */
export const smartChargingSchema = {
  deadline: { doc: '"HH:MM" local time', default: null, format: str({ re: HHMM, what: '"HH:MM" (24 h)' }) },
  energy: { doc: 'kWh to add by the deadline', default: null, format: num(0, 500) },
  minimum_energy: { doc: 'kWh charged at once', default: 0, format: num(0, 500) },
};

/** One meter (`meters[i]`). */
export const meterSchema = {
  id: {
    doc: 'Unique id',
    default: null,
    format: str({ re: ID_RE, what: 'lower-case letters, digits and inner hyphens' }),
  },
  name: { doc: 'Display name; default = id', default: null, format: str({ optional: true }) },
  role: { doc: 'grid | pv | house', default: null, format: oneOf(['grid', 'pv', 'house']) },
  type: {
    doc: 'mqtt | shelly-em | shelly-gen2',
    default: null,
    format: oneOf(['mqtt', 'shelly-em', 'shelly-gen2']),
  },
  topic: { doc: 'MQTT topic (type mqtt)', default: null, format: str({ optional: true }) },
  value: { doc: 'Dotted JSON key; omit for plain numbers', default: null, format: str({ optional: true }) },
  scale: { doc: 'Multiplier', default: 1, format: num(-1e6, 1e6) },
  current_keys: {
    doc: 'Per-phase current keys',
    default: null,
    format: (v: unknown) => (v === null ? undefined : list(v)),
  },
  timestamp: { doc: 'JSON key of the reading time', default: null, format: str({ optional: true }) },
  availability_topic: {
    doc: 'Availability topic of the source',
    default: null,
    format: str({ optional: true }),
  },
  max_age: { doc: 's before a reading is stale', default: 60, format: num(1, 86400) },
  host: { doc: 'Host (shelly types)', default: null, format: str({ optional: true }) },
  port: { doc: 'TCP port (shelly types)', default: 80, format: num(1, 65535, { integer: true }) },
  channel: {
    doc: 'shelly-em: emeters[] index; shelly-gen2: em1:<n> or em:0',
    default: null,
    format: (v: unknown) => {
      if (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0)) return;
      if (typeof v === 'string' && /^(em1?:\d+|\d+)$/.test(v)) return;
      throw new Error(`must be a channel number or em1:<n> / em:<n>, got ${JSON.stringify(v)}`);
    },
  },
  user: { doc: 'User (shelly)', default: null, format: str({ optional: true }) },
  password: { doc: 'Password (shelly)', default: null, format: str({ optional: true }), sensitive: true },
  poll_interval: { doc: 's between reads (shelly)', default: 2, format: num(0.1, 3600) },
};

/** `tariff` */
export const tariffSchema = {
  currency: {
    doc: 'ISO 4217',
    default: 'EUR',
    format: str({ re: /^[A-Z]{3}$/, what: 'a 3-letter ISO 4217 code' }),
  },
  zones: { doc: 'Daily time-of-use zones', default: [] as unknown[], format: list },
  default_price: { doc: 'Price outside the zones', default: null, format: num(-1000, 1000) },
  feed_in_price: {
    doc: 'Paid per kWh exported (prices solar energy in sessions)',
    default: 0,
    format: num(-1000, 1000),
  },
  topic: { doc: 'Topic of a JSON price list', default: null, format: str({ optional: true }) },
};

/** `tariff.zones[i]` */
export const zoneSchema = {
  from: { doc: '"HH:MM"', default: null, format: str({ re: HHMM, what: '"HH:MM" (24 h)' }) },
  to: { doc: '"HH:MM"', default: null, format: str({ re: HHMM, what: '"HH:MM" (24 h)' }) },
  price: { doc: 'Price per kWh', default: null, format: num(-1000, 1000) },
};

/** `influxdb` */
export const influxSchema = {
  url: {
    doc: 'http(s)://host:8086',
    default: null,
    format: str({ re: /^https?:\/\/.+/, what: 'an http:// or https:// URL' }),
  },
  token: { doc: 'API token', default: null, format: str({ optional: true }), sensitive: true },
  org: { doc: 'Organisation', default: null, format: str() },
  bucket: { doc: 'Bucket', default: null, format: str() },
};
