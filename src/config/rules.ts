import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { CHARGER_TYPES, chargerMeta } from '../drivers/meta.js';
import type { Config, Problem } from './types.js';

const RESERVED_IDS = new Set(['bridge', 'site']);
const BIDIRECTIONAL = Object.values(CHARGER_TYPES)
  .filter((t) => t.bidirectional)
  .map((t) => t.type)
  .join(', ');

/** Cross-field rules (docs/configuration.md); appends problems (start-up stops) and warnings (printed). */
export function checkRules(cfg: Config, problems: Problem[], warnings: string[]): void {
  const add = (path: string, reason: string) => problems.push({ path, reason });
  checkTopics(cfg, add);
  checkBroker(cfg, add);
  checkFrontend(cfg, add);

  const ids = new Map<string, string>();
  const endpoints = new Map<string, string>();
  const grid = cfg.meters.filter((m) => m.role === 'grid');
  const hasPv = cfg.meters.some((m) => m.role === 'pv');
  const hasHouse = cfg.meters.some((m) => m.role === 'house');

  cfg.chargers.forEach((c, i) => {
    const p = `chargers[${i}]`;
    const meta = chargerMeta(c.type);
    claimId(c.id, p, ids, add);
    if (meta.defaultPort !== null) {
      const endpoint = `${c.host.toLowerCase()}:${c.port}`;
      const other = endpoints.get(endpoint);
      if (other) add(`${p}.host`, `same host and port (${endpoint}) as ${other}`);
      else endpoints.set(endpoint, p);
    }
    if (c.min_current < meta.minCurrentFloor) {
      add(`${p}.min_current`, `must be >= ${meta.minCurrentFloor} for ${c.type}, got ${c.min_current}`);
    }
    if (c.max_current < c.min_current) add(`${p}.max_current`, `must be >= min_current (${c.min_current})`);
    if (c.max_discharge_current > 0) {
      if (!meta.bidirectional) add(`${p}.max_discharge_current`, `${c.type} cannot discharge; leave it 0`);
      else if (c.max_discharge_current < c.min_current) {
        add(`${p}.max_discharge_current`, `must be 0 or >= min_current (${c.min_current})`);
      }
    }
    if (c.mode === 'load_follow' && !meta.bidirectional) {
      add(`${p}.mode`, `load_follow needs a bidirectional charger (${BIDIRECTIONAL}), not ${c.type}`);
    }
    if ((c.mode === 'solar' || c.mode === 'min_solar') && grid.length === 0 && !(hasPv && hasHouse)) {
      add(`${p}.mode`, `${c.mode} needs a grid meter (a meter with role: grid)`);
    }
    if (c.mode === 'load_follow' && grid.length === 0)
      add(`${p}.mode`, 'load_follow needs a grid meter (a meter with role: grid)');
    if (c.mode === 'load_follow' && meta.bidirectional && c.max_discharge_current === 0) {
      warnings.push(
        `${p}.max_discharge_current: 0 with mode load_follow: it only charges from export and never discharges`,
      );
    }
    if (c.mode === 'smart' && !c.smart_charging)
      add(`${p}.mode`, 'smart needs a policy: add smart_charging with deadline ("HH:MM") and energy (kWh)');
    if (c.smart_charging && c.smart_charging.minimum_energy > c.smart_charging.energy) {
      add(`${p}.smart_charging.minimum_energy`, `must be <= energy (${c.smart_charging.energy})`);
    }
    if (c.phases === 3 && c.phase) warnings.push(`${p}.phase: ignored for a 3-phase charger`);
    meta.check?.(c, { path: p, config: cfg, problem: add, warn: (w) => warnings.push(w) });
    if (cfg.site.max_current !== null && !meta.watchdog) {
      warnings.push(
        `${p}: ${c.type} has no watchdog: if the bridge stops, its last setpoint stays and site.max_current is no longer enforced for it`,
      );
    }
  });

  cfg.meters.forEach((m, i) => {
    const p = `meters[${i}]`;
    claimId(m.id, p, ids, add);
    if (m.type === 'mqtt' && !m.topic) add(`${p}.topic`, 'is required for type mqtt');
    if (m.type !== 'mqtt' && !m.host) add(`${p}.host`, `is required for type ${m.type}`);
    if (m.type === 'shelly-em' && typeof m.channel !== 'number')
      add(`${p}.channel`, 'must be an emeters[] index (0, 1, 2) for shelly-em');
    if (m.role === 'grid' && cfg.site.max_current !== null && m.max_age > 30) {
      add(`${p}.max_age`, `must be <= 30 for a grid meter used by site.max_current, got ${m.max_age}`);
    }
  });
  for (const meta of Object.values(CHARGER_TYPES)) {
    if (meta.section?.check && cfg.chargers.some((c) => c.type === meta.type))
      meta.section.check(cfg, { problem: add, warn: (w) => warnings.push(w) });
  }
  if (grid.length > 1)
    add(`meters[${cfg.meters.indexOf(grid[1]!)}].role`, 'at most one meter may have role grid');

  try {
    new Intl.DateTimeFormat('en', { timeZone: cfg.site.timezone });
  } catch {
    add('site.timezone', `unknown IANA time zone ${JSON.stringify(cfg.site.timezone)}`);
  }
  if (cfg.tariff) checkZones(cfg, add);
}

function claimId(
  id: string,
  path: string,
  ids: Map<string, string>,
  add: (p: string, r: string) => void,
): void {
  if (RESERVED_IDS.has(id)) add(`${path}.id`, `"${id}" is reserved by the bridge; choose another id`);
  const other = ids.get(id);
  if (other) add(`${path}.id`, `"${id}" is already used by ${other}`);
  else ids.set(id, path);
}

function checkTopics(cfg: Config, add: (p: string, r: string) => void): void {
  const base = cfg.mqtt.base_topic;
  const clash = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  if (cfg.homeassistant.enabled && clash(base, cfg.homeassistant.discovery_topic)) {
    add(
      'mqtt.base_topic',
      `must differ from homeassistant.discovery_topic (${cfg.homeassistant.discovery_topic})`,
    );
  }
  if (cfg.homie.enabled && clash(base, cfg.homie.base_topic)) {
    add('mqtt.base_topic', `must differ from homie.base_topic (${cfg.homie.base_topic})`);
  }
}

function checkBroker(cfg: Config, add: (p: string, r: string) => void): void {
  const embedded = cfg.mqtt.server === 'embedded';
  if (embedded && cfg.mqtt.version === 5) {
    add(
      'mqtt.version',
      '5 needs an external broker: the embedded broker speaks MQTT 3.1.1 only (use auto or 4)',
    );
  }
  const host = cfg.embedded_broker.host;
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (embedded && !loopback && !(cfg.embedded_broker.user && cfg.embedded_broker.password)) {
    add(
      'embedded_broker.user',
      `a non-loopback host (${host}) needs embedded_broker.user and embedded_broker.password`,
    );
  }
  for (const k of ['ca', 'cert', 'key'] as const) {
    const f = cfg.mqtt[k];
    if (f && !existsSync(f)) add(`mqtt.${k}`, `file not found: ${f}`);
  }
  if ((cfg.mqtt.cert === undefined) !== (cfg.mqtt.key === undefined))
    add('mqtt.cert', 'cert and key go together');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The page on a non-loopback address without a token would let anyone on the network steer the chargers. */
function checkFrontend(cfg: Config, add: (p: string, r: string) => void): void {
  const f = cfg.frontend;
  if (f.enabled && !isLoopback(f.host) && !f.auth_token) {
    add(
      'frontend.auth_token',
      `is required when frontend.host is not a loopback address (${f.host}); set it or EVSE2MQTT_FRONTEND_AUTH_TOKEN`,
    );
  }
}

function checkZones(cfg: Config, add: (p: string, r: string) => void): void {
  const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const covered: Array<{ from: number; to: number; i: number }> = [];
  cfg.tariff!.zones.forEach((z, i) => {
    const from = minutes(z.from);
    const to = minutes(z.to);
    // to <= from wraps past midnight: split into two intervals of the day
    const parts =
      to > from
        ? [[from, to]]
        : [
            [from, 1440],
            [0, to],
          ];
    for (const [a, b] of parts) {
      if (a === b) continue;
      const hit = covered.find((c) => a! < c.to && c.from < b!);
      if (hit) {
        add(`tariff.zones[${i}]`, `overlaps tariff.zones[${hit.i}]`);
        return;
      }
    }
    for (const [a, b] of parts) covered.push({ from: a!, to: b!, i });
  });
}
