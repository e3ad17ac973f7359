import type { MeterConfig } from '../../config/types.js';
import type { DeviceInfo } from '../../core/model.js';
import { DigestHttpClient } from '../../transport/digest.js';
import { expectOk, HttpError, preview } from '../../transport/http.js';
import type { MeterContext, MeterPoller, MeterSample, MeterTypeDef } from '../types.js';

/** Per-request timeout, ms (bridge clock). */
export const REQUEST_TIMEOUT_MS = 3000;

/** A Gen2 metering channel: `em1:<id>` (Pro EM, Pro 3EM monophase) or `em:<id>` (Pro 3EM triphase). */
export interface Gen2Channel {
  kind: 'em1' | 'em';
  id: number;
}

/** `EM1.GetStatus` result: A, V, W (signed), VA, Hz; `errors` when the channel cannot measure. */
export interface Em1Status {
  id: number | string;
  current: number;
  voltage: number;
  act_power: number;
  aprt_power?: number;
  pf?: number;
  freq?: number;
  errors?: string[];
}

/** `EM1Data.GetStatus` result: Wh counters. */
export interface Em1DataStatus {
  id: number | string;
  total_act_energy: number;
  total_act_ret_energy: number;
}

/** `EM.GetStatus` result (three phases a/b/c): A, V, W; `total_act_power` W signed. */
export interface EmStatus {
  id: number;
  a_current: number;
  b_current: number;
  c_current: number;
  a_voltage: number;
  total_act_power: number;
  errors?: string[];
}

/** `EMData.GetStatus` result: Wh counters summed over the phases. */
export interface EmDataStatus {
  id: number;
  total_act: number;
  total_act_ret: number;
}

/** Display names of `GET /shelly` → `app`. */
const APPS: Readonly<Record<string, string>> = {
  ProEM: 'Shelly Pro EM',
  Pro3EM: 'Shelly Pro 3EM',
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const optNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const kwh = (wh: unknown): number | null => {
  const v = optNum(wh);
  // Wh → kWh without float noise (1264.15 Wh → 1.26415)
  return v === null ? null : Math.round(v * 1000) / 1e6;
};

/** Parses `channel`: `em1:<n>`, `em:<n>`, or a number / digit string meaning `em1:<n>`. */
export function parseChannel(channel: number | string): Gen2Channel {
  if (typeof channel === 'number' && Number.isInteger(channel) && channel >= 0) {
    return { kind: 'em1', id: channel };
  }
  const m = /^(?:(em1?):)?(\d+)$/.exec(String(channel));
  if (!m?.[2]) throw new Error(`channel must be em1:<n> or em:0, got ${JSON.stringify(channel)}`);
  return { kind: m[1] === 'em' ? 'em' : 'em1', id: Number(m[2]) };
}

/** Readable `em1:0` / `em:0`. */
export const channelName = (c: Gen2Channel): string => `${c.kind}:${c.id}`;

function checkErrors(status: Record<string, unknown>, name: string): void {
  const errors = status.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    throw new Error(`${name} reports errors: ${errors.map(String).join(', ')}`);
  }
}

/**
 * Maps `EM1.GetStatus` + `EM1Data.GetStatus` to a sample: act_power W (signed as the device
 * reports), Wh → kWh, current A as current_l1, voltage V. Throws on a missing power or `errors`.
 */
export function mapEm1(status: unknown, data: unknown, name = 'em1'): MeterSample {
  if (!isObj(status)) throw new Error(`${name}: status is not an object`);
  checkErrors(status, name);
  const power = optNum(status.act_power);
  if (power === null) throw new Error(`${name}: no numeric act_power`);
  const d = isObj(data) ? data : {};
  return {
    power,
    energy_import: kwh(d.total_act_energy),
    energy_export: kwh(d.total_act_ret_energy),
    current_l1: optNum(status.current),
    voltage: optNum(status.voltage),
  };
}

/**
 * Maps `EM.GetStatus` + `EMData.GetStatus` (Pro 3EM triphase) to a sample: total_act_power W,
 * total_act / total_act_ret Wh → kWh, a_/b_/c_current A → current_l1..l3, a_voltage V.
 */
export function mapEm(status: unknown, data: unknown, name = 'em'): MeterSample {
  if (!isObj(status)) throw new Error(`${name}: status is not an object`);
  checkErrors(status, name);
  const power = optNum(status.total_act_power);
  if (power === null) throw new Error(`${name}: no numeric total_act_power`);
  const d = isObj(data) ? data : {};
  return {
    power,
    energy_import: kwh(d.total_act),
    energy_export: kwh(d.total_act_ret),
    current_l1: optNum(status.a_current),
    current_l2: optNum(status.b_current),
    current_l3: optNum(status.c_current),
    voltage: optNum(status.a_voltage),
  };
}

/** Device info from Gen2 `GET /shelly`; throws a user-fit error for a Gen1 device. */
export function checkShelly(body: Record<string, unknown>): DeviceInfo {
  const gen = optNum(body.gen);
  if (gen === null || gen < 2) {
    const type = typeof body.type === 'string' ? ` (type ${body.type})` : '';
    throw new Error(`this is a Gen1 Shelly${type}: use type shelly-em`);
  }
  const app = typeof body.app === 'string' ? body.app : '';
  const model = APPS[app] ?? `Shelly ${app || (typeof body.model === 'string' ? body.model : `Gen${gen}`)}`;
  const info: DeviceInfo = { manufacturer: 'Shelly', model };
  if (typeof body.ver === 'string') info.sw_version = body.ver;
  if (typeof body.mac === 'string') info.serial = body.mac;
  return info;
}

const CHANNEL_HINT =
  'check channel: the Pro EM and a Pro 3EM in monophase profile use em1:<n>, a Pro 3EM in triphase profile em:0';

/** Poller of one Gen2 channel: a status and a data RPC per read. */
class ShellyGen2Poller implements MeterPoller {
  private readonly name: string;

  constructor(
    readonly info: DeviceInfo,
    private readonly http: DigestHttpClient,
    private readonly channel: Gen2Channel,
    private readonly hasPassword: boolean,
  ) {
    this.name = channelName(channel);
  }

  async read(): Promise<MeterSample> {
    const { kind, id } = this.channel;
    if (kind === 'em1') {
      const status = await this.rpc('EM1.GetStatus', id);
      const data = await this.rpc('EM1Data.GetStatus', id);
      return mapEm1(status, data, this.name);
    }
    const status = await this.rpc('EM.GetStatus', id);
    const data = await this.rpc('EMData.GetStatus', id);
    return mapEm(status, data, this.name);
  }

  async close(): Promise<void> {
    this.http.close();
  }

  /** Checks auth and that the channel exists; a channel's error state is left to the reads. */
  async probe(): Promise<void> {
    const { kind, id } = this.channel;
    await this.rpc(kind === 'em1' ? 'EM1.GetStatus' : 'EM.GetStatus', id);
  }

  /** GET /rpc/<method>?id=<id>; a JSON-RPC error body becomes an error naming the method. */
  private async rpc(method: string, id: number): Promise<Record<string, unknown>> {
    const path = `/rpc/${method}?id=${id}`;
    const r = await this.http.get(path);
    if (r.status === 401) {
      const what = this.hasPassword
        ? 'the device refused user/password (check user and password in the configuration)'
        : 'the device has authentication on (set password in the configuration; the user is admin)';
      throw new HttpError(`${method}: HTTP 401, ${what}`, r.status, r.text);
    }
    if (r.status >= 200 && r.status < 300) {
      if (isObj(r.json)) return r.json;
      throw new HttpError(`${method}: expected a JSON object, got ${preview(r.text)}`, r.status, r.text);
    }
    // Gen2 RPC errors: {"code":404,"message":"No handler for …"}, {"code":-105,"message":"Argument 'id', …"}
    if (isObj(r.json) && typeof r.json.message === 'string') {
      const code = optNum(r.json.code);
      const hint = code === 404 || code === -105 ? `; ${CHANNEL_HINT}` : '';
      throw new HttpError(
        `${method} failed for ${this.name}: ${r.json.message} (RPC error ${code ?? '?'}, HTTP ${r.status})${hint}`,
        r.status,
        r.text,
      );
    }
    expectOk(r, 'GET', path);
    throw new HttpError(`${method}: HTTP ${r.status}`, r.status, r.text); // not reached
  }
}

/** The catalog keys of a Gen2 channel: em:<n> has three phase currents. */
function provides(cfg: MeterConfig): ReadonlySet<string> {
  const base = ['power', 'energy_import', 'energy_export', 'current_l1', 'voltage'];
  let kind: Gen2Channel['kind'] = 'em1';
  try {
    kind = parseChannel(cfg.channel).kind;
  } catch {
    // a bad channel is reported by create()
  }
  return new Set(kind === 'em' ? [...base, 'current_l2', 'current_l3'] : base);
}

/** Shelly Pro EM / Pro 3EM (Gen2+ JSON-RPC over HTTP, optional digest auth): W, V, A, Wh → kWh. */
export const shellyGen2Type: MeterTypeDef = {
  type: 'shelly-gen2',
  manufacturer: 'Shelly',
  model: 'Shelly Pro EM / Pro 3EM (Gen2+)',
  provides,
  async create(ctx: MeterContext): Promise<MeterPoller> {
    const { cfg } = ctx;
    const where = `shelly-gen2 at ${cfg.host}:${cfg.port}`;
    const channel = parseChannel(cfg.channel);
    const hasPassword = cfg.password !== undefined && cfg.password !== '';
    const http = new DigestHttpClient({
      baseUrl: `http://${cfg.host}:${cfg.port}`,
      user: cfg.user || 'admin',
      ...(hasPassword ? { password: cfg.password } : {}),
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    try {
      // GET /shelly answers without auth on every Gen2+ device
      const r = await http.get('/shelly');
      expectOk(r, 'GET', '/shelly');
      if (!isObj(r.json)) throw new HttpError(`GET /shelly: expected a JSON object, got ${preview(r.text)}`);
      const info = checkShelly(r.json);
      const poller = new ShellyGen2Poller(info, http, channel, hasPassword);
      await poller.probe();
      ctx.log.info(
        { model: info.model, fw: info.sw_version, channel: channelName(channel) },
        'shelly probed',
      );
      return poller;
    } catch (e) {
      http.close();
      const msg = `${where}: ${(e as Error).message}`;
      throw e instanceof HttpError ? new HttpError(msg, e.status, e.body) : new Error(msg);
    }
  },
};
