import type { MeterConfig } from '../../config/types.js';
import type { DeviceInfo } from '../../core/model.js';
import { HttpClient, HttpError } from '../../transport/http.js';
import type { MeterContext, MeterPoller, MeterSample, MeterTypeDef } from '../types.js';

/** Per-request timeout, ms (bridge clock). */
export const REQUEST_TIMEOUT_MS = 3000;

/** Device types (`GET /shelly` → `type`) whose `emeters[]` count energy in Wh (see README.md). */
export const GEN1_EM_MODELS: Readonly<Record<string, string>> = {
  SHEM: 'Shelly EM',
  'SHEM-3': 'Shelly 3EM',
};

/** One `emeters[]` entry of Gen1 `GET /status`: W, V, A (3EM only), Wh counters. */
export interface Gen1Emeter {
  /** W, signed: negative = energy flowing back through the CT. */
  power: number;
  reactive?: number;
  pf?: number;
  /** V */
  voltage: number;
  /** A, 3EM only. */
  current?: number;
  is_valid: boolean;
  /** Wh imported. */
  total: number;
  /** Wh returned. */
  total_returned: number;
}

/** The parts of Gen1 `GET /status` the driver reads; `unixtime` is s (0 before the clock is set). */
export interface Gen1Status {
  unixtime?: number;
  emeters: unknown[];
}

/** Gen1 `GET /shelly`: device type, MAC, firmware; `gen` is absent on Gen1. */
export interface Gen1Shelly {
  type?: string;
  mac?: string;
  fw?: string;
  auth?: boolean;
  gen?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const optNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Wh → kWh without float noise (401472.9 Wh → 401.4729, not 401.47290000000004). */
const kwh = (wh: number | null): number | null => (wh === null ? null : Math.round(wh * 1000) / 1e6);

/**
 * Maps one Gen1 emeter object to a sample: power W as signed by the device, `total` /
 * `total_returned` Wh → kWh, `current` A (3EM) as current_l1, `at` = unixtime s → ms when set.
 * Throws on a missing power or `is_valid: false`.
 */
export function mapEmeter(e: unknown, channel: number, unixtime?: number): MeterSample {
  if (!isObj(e)) throw new Error(`emeters[${channel}] is not an object`);
  if (e.is_valid === false) {
    throw new Error(`emeters[${channel}] reports is_valid false (the device could not measure this channel)`);
  }
  const power = optNum(e.power);
  if (power === null) throw new Error(`emeters[${channel}] has no numeric power`);
  const total = optNum(e.total);
  const returned = optNum(e.total_returned);
  const s: MeterSample = {
    power,
    energy_import: kwh(total),
    energy_export: kwh(returned),
    current_l1: optNum(e.current),
    voltage: optNum(e.voltage),
  };
  if (unixtime !== undefined && unixtime > 0) s.at = unixtime * 1000;
  return s;
}

/** The `emeters[channel]` entry of a Gen1 `/status` body; throws when the channel does not exist. */
export function emeterOf(status: Record<string, unknown>, channel: number): unknown {
  const meters = status.emeters;
  if (!Array.isArray(meters)) throw new Error('/status has no emeters[] (not a Shelly EM or 3EM?)');
  if (channel >= meters.length) {
    throw new Error(
      `channel ${channel} does not exist: the device has ${meters.length} emeters (channel 0–${meters.length - 1})`,
    );
  }
  return meters[channel];
}

/** Maps a whole Gen1 `/status` body to the sample of `channel` (an `emeters[]` index). */
export function mapStatus(status: Record<string, unknown>, channel: number): MeterSample {
  const unixtime = optNum(status.unixtime);
  return mapEmeter(emeterOf(status, channel), channel, unixtime ?? undefined);
}

/** Device info from Gen1 `GET /shelly`; throws a user-fit error for Gen2+ or non-EM devices. */
export function checkShelly(body: Record<string, unknown>): DeviceInfo {
  const gen = optNum(body.gen);
  if (gen !== null && gen >= 2) {
    throw new Error(`this is a Gen${gen} Shelly (JSON-RPC): use type shelly-gen2`);
  }
  const type = typeof body.type === 'string' ? body.type : '';
  const model = GEN1_EM_MODELS[type];
  if (!model) {
    // Gen1 plugs and relays count energy in watt-minutes (meters[]), not in Wh (emeters[]); see README.md
    throw new Error(`device type ${JSON.stringify(type)} is not a Shelly EM or 3EM (SHEM, SHEM-3)`);
  }
  const info: DeviceInfo = { manufacturer: 'Shelly', model };
  if (typeof body.fw === 'string') info.sw_version = body.fw;
  if (typeof body.mac === 'string') info.serial = body.mac;
  return info;
}

function channelOf(cfg: MeterConfig): number {
  const ch = typeof cfg.channel === 'number' ? cfg.channel : Number(cfg.channel);
  if (!Number.isInteger(ch) || ch < 0) {
    throw new Error(`channel must be an emeters[] index (0, 1, 2), got ${JSON.stringify(cfg.channel)}`);
  }
  return ch;
}

/** Poller of one Gen1 EM/3EM channel: one `GET /status` per read. */
class ShellyGen1Poller implements MeterPoller {
  constructor(
    readonly info: DeviceInfo,
    private readonly http: HttpClient,
    private readonly channel: number,
  ) {}

  async read(): Promise<MeterSample> {
    const status = await this.http.getObject('/status');
    return mapStatus(status, this.channel);
  }

  async close(): Promise<void> {}
}

/** Shelly EM / 3EM (Gen1) over HTTP: `/status` emeters[channel]; W, V, A, Wh → kWh. */
export const shellyEmType: MeterTypeDef = {
  type: 'shelly-em',
  manufacturer: 'Shelly',
  model: 'Shelly EM / 3EM (Gen1)',
  provides: () => new Set(['power', 'energy_import', 'energy_export', 'current_l1', 'voltage']),
  async create(ctx: MeterContext): Promise<MeterPoller> {
    const { cfg } = ctx;
    const where = `shelly-em at ${cfg.host}:${cfg.port}`;
    const channel = channelOf(cfg);
    const http = new HttpClient({
      baseUrl: `http://${cfg.host}:${cfg.port}`,
      ...(cfg.user ? { user: cfg.user, password: cfg.password ?? '' } : {}),
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    try {
      const info = checkShelly(await http.getObject('/shelly'));
      // checks auth and the channel; an is_valid false is left to the reads (it may pass)
      emeterOf(await http.getObject('/status'), channel);
      const poller = new ShellyGen1Poller(info, http, channel);
      ctx.log.info({ model: info.model, fw: info.sw_version, channel }, 'shelly-em probed');
      return poller;
    } catch (e) {
      const msg = `${where}: ${(e as Error).message}`;
      throw e instanceof HttpError ? new HttpError(msg, e.status, e.body) : new Error(msg);
    }
  },
};
