import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import convict from 'convict';
import { LineCounter, parseDocument } from 'yaml';
import { CHARGER_TYPES, chargerMeta } from '../drivers/meta.js';
import { checkRules } from './rules.js';
import {
  COMMON_CHARGER_KEYS,
  chargerSchema,
  fullRootSchema,
  influxSchema,
  meterSchema,
  smartChargingSchema,
  tariffSchema,
  zoneSchema,
} from './schema.js';
import type {
  ChargerConfig,
  Config,
  MeterConfig,
  Problem,
  SmartChargingConfig,
  TariffConfig,
} from './types.js';

/** The outcome of validation: a config when there is no problem, plus warnings either way. */
export interface LoadResult {
  config?: Config;
  problems: Problem[];
  warnings: string[];
}

/** Environment variables that override the file (a closed list, docs/configuration.md). */
export type Env = Record<string, string | undefined>;

/** A configuration that cannot be used; `problems` are the lines `path: reason`. */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.path}: ${p.reason}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Reads and parses a YAML file; a missing file or a syntax error is a ConfigError. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError([{ path: file, reason: why }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const pos = lines.linePos(err.pos[0]);
        return {
          path: file,
          reason: `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${err.message.split('\n')[0]}`,
        };
      }),
    );
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([{ path: file, reason: 'must be a YAML mapping (key: value lines)' }]);
  }
  return value;
}

/** Validates a parsed configuration: schema (convict), defaults, environment overrides, cross-field rules. */
export function validateConfig(raw: unknown, env: Env = process.env): LoadResult {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const rootEnv: Env = {};
  for (const k of [
    'EVSE2MQTT_MQTT_SERVER',
    'EVSE2MQTT_MQTT_USER',
    'EVSE2MQTT_MQTT_PASSWORD',
    'EVSE2MQTT_MQTT_BASE_TOPIC',
    'EVSE2MQTT_LOG_LEVEL',
    'EVSE2MQTT_FRONTEND_AUTH_TOKEN',
  ]) {
    if (env[k] !== undefined && env[k] !== '') rootEnv[k] = env[k];
  }
  const root = runSchema(
    fullRootSchema(),
    normaliseSections(raw, problems),
    '',
    problems,
    rootEnv,
  ) as unknown as Config & {
    chargers: unknown[];
    meters: unknown[];
    tariff: unknown;
    influxdb: unknown;
    site: Config['site'] & { timezone: string | null };
    mqtt: Config['mqtt'] & { client_id: string | null };
  };
  const chargers = (Array.isArray(root.chargers) ? root.chargers : []).map((item, i) =>
    normaliseCharger(item, `chargers[${i}]`, problems, warnings),
  );
  const meters = (Array.isArray(root.meters) ? root.meters : []).map((item, i) =>
    normaliseMeter(item, `meters[${i}]`, problems),
  );
  let tariff: TariffConfig | null = null;
  if (root.tariff) {
    const t = runSchema(tariffSchema, root.tariff, 'tariff.', problems) as unknown as TariffConfig;
    t.zones = (Array.isArray(t.zones) ? t.zones : []).map(
      (z, i) =>
        runSchema(zoneSchema, z, `tariff.zones[${i}].`, problems) as unknown as TariffConfig['zones'][number],
    );
    tariff = stripNulls(t);
  }
  const influxdb = root.influxdb
    ? (stripNulls(
        runSchema(influxSchema, root.influxdb, 'influxdb.', problems),
      ) as unknown as Config['influxdb'])
    : null;
  const config: Config = {
    ...root,
    mqtt: stripNulls({
      ...root.mqtt,
      client_id: root.mqtt.client_id ?? `e2m${randomBytes(4).toString('hex')}`,
    }),
    embedded_broker: stripNulls(root.embedded_broker),
    chargers: chargers.filter((c): c is ChargerConfig => c !== null),
    meters: meters.filter((m): m is MeterConfig => m !== null),
    site: { ...root.site, timezone: root.site.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone },
    tariff,
    influxdb,
    frontend: normaliseFrontend(root.frontend),
  };
  if (problems.length === 0) checkRules(config, problems, warnings);
  return problems.length > 0 ? { problems, warnings } : { config, problems, warnings };
}

/** Loads a file and validates it; throws ConfigError listing every problem. */
export function loadConfig(file: string, env: Env = process.env): { config: Config; warnings: string[] } {
  const result = validateConfig(readConfigFile(file), env);
  if (!result.config) throw new ConfigError(result.problems);
  return { config: result.config, warnings: result.warnings };
}

function normaliseCharger(
  item: unknown,
  path: string,
  problems: Problem[],
  warnings: string[],
): ChargerConfig | null {
  const before = problems.length;
  const c = runSchema(chargerSchema, item, `${path}.`, problems) as unknown as ChargerConfig & {
    port: number | null;
    min_current: number | null;
    name: string | null;
    smart_charging: unknown;
  };
  if (problems.length > before || typeof item !== 'object' || item === null) return null;
  const meta = chargerMeta(c.type);
  const inbound = meta.defaultPort === null;
  for (const key of Object.keys(item)) {
    // keys of other types, and host/port/poll_interval of a charger that connects to the bridge
    const foreign = !COMMON_CHARGER_KEYS.has(key) && !(key in meta.options);
    if (foreign || (inbound && ['host', 'port', 'poll_interval'].includes(key)))
      warnings.push(`${path}.${key}: ignored by ${c.type}`);
  }
  if (!inbound && !c.host) problems.push({ path: `${path}.host`, reason: 'is required' });
  const smart = c.smart_charging
    ? (runSchema(
        smartChargingSchema,
        c.smart_charging,
        `${path}.smart_charging.`,
        problems,
      ) as unknown as SmartChargingConfig)
    : null;
  return stripNulls({
    ...c,
    name: c.name ?? c.id,
    host: inbound ? '' : c.host,
    port: inbound ? 0 : (c.port ?? meta.defaultPort),
    min_current: c.min_current ?? meta.minCurrentFloor,
    smart_charging: smart,
  }) as ChargerConfig;
}

function normaliseMeter(item: unknown, path: string, problems: Problem[]): MeterConfig | null {
  const before = problems.length;
  const m = runSchema(meterSchema, item, `${path}.`, problems) as unknown as MeterConfig & {
    name: string | null;
  };
  if (problems.length > before) return null;
  return stripNulls({ ...m, name: m.name ?? m.id, channel: m.channel ?? 0 }) as MeterConfig;
}

/** Runs one convict schema over `data`; problems get `prefix` in front of their key path. */
function runSchema(
  schema: object,
  data: unknown,
  prefix: string,
  problems: Problem[],
  env: Env = {},
): Record<string, unknown> {
  const where = prefix.replace(/\.$/, '') || 'configuration';
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    problems.push({ path: where, reason: 'must be a mapping (key: value lines)' });
    data = {};
  }
  const c = convict(schema as convict.Schema<unknown>, { args: [], env: env as NodeJS.ProcessEnv });
  c.load(data ?? {});
  try {
    c.validate({ allowed: 'strict' });
  } catch (e) {
    for (const line of (e as Error).message.split('\n')) problems.push(toProblem(line, prefix));
  }
  return c.getProperties() as Record<string, unknown>;
}

function toProblem(line: string, prefix: string): Problem {
  const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line);
  if (undeclared) return { path: prefix + undeclared[1], reason: 'unknown key' };
  const missing = /^configuration param '(.+)' missing from config/.exec(line);
  if (missing) return { path: prefix + missing[1], reason: 'its parent must be a mapping' };
  const m = /^([^:]+): (.*?)(?:: value was .*)?$/.exec(line);
  if (m?.[1] && m[2]) return { path: prefix + m[1], reason: m[2] };
  return { path: prefix.replace(/\.$/, '') || 'configuration', reason: line };
}

const SECTIONS = [
  'mqtt',
  'embedded_broker',
  'homeassistant',
  'homie',
  'log',
  'site',
  'frontend',
  ...Object.values(CHARGER_TYPES).flatMap((t) => (t.section ? [t.section.name] : [])),
];

/** `frontend` with its optional keys absent and `base_url` ending in `/`. */
function normaliseFrontend(f: Config['frontend']): Config['frontend'] {
  const base = f.base_url.endsWith('/') ? f.base_url : `${f.base_url}/`;
  return stripNulls({ ...f, base_url: base });
}

/** `mqtt:` with nothing under it parses as null (an empty section); a section that is not a mapping is a problem. */
function normaliseSections(raw: unknown, problems: Problem[]): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null && (SECTIONS.includes(k) || k === 'chargers' || k === 'meters')) continue;
    if (SECTIONS.includes(k) && (typeof v !== 'object' || Array.isArray(v))) {
      problems.push({ path: k, reason: 'must be a mapping (key: value lines)' });
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Optional keys are null in convict; in the Config they are absent. */
function stripNulls<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v;
  return out as T;
}
