import { existsSync } from 'node:fs';
import { bool, list, num, oneOf, str } from '../../config/formats.js';
import type { ChargerConfig, Config } from '../../config/types.js';
import { passwordOption } from '../options.js';
import type { ChargerCheckContext, ChargerTypeMeta } from '../types.js';
import { MEASURED_KEYS } from './meter-values.js';

/** Options of an OCPP charger as the configuration gives them (README.md in this folder). */
export interface OcppOptions {
  /** The identity in the URL `ws://<bridge>:<port><path>/<charge_point_id>`. */
  charge_point_id: string;
  /** HTTP basic auth password the charger must give (security profile 1/2). */
  password?: string;
  /** Connector the bridge controls (1 on single-outlet wallboxes). */
  connector: number;
  authorize: 'accept_all' | 'list';
  /** Tags accepted under `authorize: list`. */
  id_tags?: string[];
  /** RemoteStartTransaction when plugged without a transaction. */
  remote_start: boolean;
  /** idTag of remote starts, ≤ 20 characters. */
  id_tag: string;
  /** `tx_default`: TxDefaultProfile; `tx`: TxProfile bound to the running transaction. */
  profile: 'tx_default' | 'tx';
  /** s, written to MeterValueSampleInterval at boot. */
  meter_interval: number;
  /** s between WebSocket pings to the charger; 0 = none (EN+ never answers them: lbbrhzn/ocpp#211). */
  ping_interval: number;
}

/** The top-level `ocpp:` section: where the central system listens. */
export interface OcppSection {
  host: string;
  port: number;
  /** URL path before the charge point id, e.g. `/ocpp`. */
  path: string;
  /** s, returned in BootNotification. */
  heartbeat_interval: number;
  tls: { cert: string | null; key: string | null };
}

/** The `ocpp:` section of a validated configuration (defaults applied). */
export function ocppSection(cfg: Config): OcppSection {
  return cfg.ocpp as OcppSection;
}

const IDENTITY_RE = /^[^/\s?#]{1,48}$/;

/** OCPP 1.6J charge points connecting to the bridge's central system. */
export const ocppMeta: ChargerTypeMeta = {
  type: 'ocpp',
  shortName: 'OCPP',
  manufacturer: 'OCPP',
  model: 'OCPP 1.6J charge point',
  defaultPort: null,
  minCurrentFloor: 6,
  bidirectional: false,
  watchdog: false,
  options: {
    charge_point_id: {
      doc: 'Identity the charger puts at the end of its URL; required, unique',
      default: null,
      format: str({ optional: true, re: IDENTITY_RE, what: '1–48 characters without / ? # or spaces' }),
    },
    password: { ...passwordOption, doc: 'HTTP basic auth password the charger must give' },
    connector: { doc: 'Connector the bridge controls', default: 1, format: num(1, 32, { integer: true }) },
    authorize: { doc: 'accept_all | list', default: 'accept_all', format: oneOf(['accept_all', 'list']) },
    id_tags: {
      doc: 'Tags accepted with authorize: list',
      default: null,
      format: (v: unknown) => (v === null ? undefined : list(v)),
    },
    remote_start: {
      doc: 'RemoteStartTransaction when plugged without a transaction',
      default: false,
      format: bool,
    },
    id_tag: {
      doc: 'idTag of remote starts (<= 20 characters)',
      default: 'evse2mqtt',
      format: str({ re: /^.{1,20}$/, what: '1 to 20 characters' }),
    },
    profile: { doc: 'tx_default | tx', default: 'tx_default', format: oneOf(['tx_default', 'tx']) },
    meter_interval: { doc: 's between MeterValues', default: 10, format: num(1, 3600, { integer: true }) },
    ping_interval: {
      doc: 's between WebSocket pings; 0 for chargers that never answer them (EN+)',
      default: 30,
      format: num(0, 3600, { integer: true }),
    },
  },
  section: {
    name: 'ocpp',
    schema: {
      host: { doc: 'Listen address of the OCPP central system', default: '0.0.0.0', format: str() },
      port: {
        doc: 'Listen port of the OCPP central system',
        default: 8887,
        format: num(0, 65535, { integer: true }),
      },
      path: {
        doc: 'URL path before the charge point id',
        default: '/ocpp',
        format: str({ re: /^(\/[^/?#\s]+)*$/, what: 'a path like /ocpp (or empty)', allowEmpty: true }),
      },
      heartbeat_interval: { doc: 's, returned in BootNotification', default: 300, format: num(10, 86400) },
      tls: {
        cert: { doc: 'TLS certificate file (wss://)', default: null, format: str({ optional: true }) },
        key: { doc: 'TLS key file', default: null, format: str({ optional: true }) },
      },
    },
    check: checkSection,
  },
  check: checkOcpp,
  capabilities: () => ({
    // session_energy = register − meterStart (connector.ts)
    provides: new Set<string>([...MEASURED_KEYS, 'session_energy']),
    writable: new Set(),
    resolution: 0.1,
    bidirectional: false,
    watchdog: false,
    push: true,
    // the whole Rejected ladder may take 10 s (commands.ts); the driver's own time-out says so first
    commandTimeoutMs: 10_500,
  }),
};

function checkOcpp(c: ChargerConfig, ctx: ChargerCheckContext): void {
  const o = c as ChargerConfig & OcppOptions;
  const p = ctx.path;
  if (!o.charge_point_id) ctx.problem(`${p}.charge_point_id`, 'is required for type ocpp');
  const same = ctx.config.chargers.findIndex(
    (x) => x.type === 'ocpp' && x.charge_point_id === o.charge_point_id,
  );
  if (o.charge_point_id && ctx.config.chargers[same] !== c)
    ctx.problem(
      `${p}.charge_point_id`,
      `${JSON.stringify(o.charge_point_id)} is already used by chargers[${same}]`,
    );
  if (o.authorize === 'list' && !(o.id_tags && o.id_tags.length > 0))
    ctx.problem(`${p}.id_tags`, 'authorize: list needs at least one tag in id_tags');
  (o.id_tags ?? []).forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > 20)
      ctx.problem(`${p}.id_tags[${i}]`, `must be a tag of 1 to 20 characters, got ${JSON.stringify(t)}`);
  });
}

/** Checks of the `ocpp:` section, run when a charger has type ocpp. */
function checkSection(cfg: Config, ctx: Pick<ChargerCheckContext, 'problem' | 'warn'>): void {
  const s = ocppSection(cfg);
  for (const k of ['cert', 'key'] as const) {
    const f = s.tls[k];
    if (f && !existsSync(f)) ctx.problem(`ocpp.tls.${k}`, `file not found: ${f}`);
  }
  if ((s.tls.cert === null) !== (s.tls.key === null))
    ctx.problem('ocpp.tls.cert', 'cert and key go together');
  const loopback = s.host === 'localhost' || s.host === '::1' || s.host.startsWith('127.');
  const open = cfg.chargers.filter((x) => x.type === 'ocpp' && !x.password).map((x) => x.id);
  if (!loopback && open.length > 0)
    ctx.warn(
      `ocpp.host: the central system listens on ${s.host} and ${open.join(', ')} has no password: anyone on the network who knows the charge_point_id can connect as that charger`,
    );
}
