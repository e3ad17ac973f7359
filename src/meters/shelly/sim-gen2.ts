import { randomBytes } from 'node:crypto';
import { HttpSimulator, type RecordedRequest, type SimReply } from '../../sim/http-sim.js';
import { digestResponse } from '../../transport/digest.js';

/** Device profiles: Pro EM (em1:0..1), Pro 3EM triphase (em:0, phases a/b/c), Pro 3EM monophase (em1:0..2). */
export type Gen2Profile = 'pro-em' | 'pro-3em' | 'pro-3em-monophase';

/** Options of the Gen2 Shelly simulator. */
export interface ShellyGen2SimOptions {
  port?: number;
  /** Default `pro-em`. */
  profile?: Gen2Profile;
  /** Digest auth (user `admin`, SHA-256) is on when set. */
  password?: string;
  /** Device clock at start, ms since the epoch (default now); tick() advances it. */
  time?: number;
}

/** One simulated channel (em1:<n>) or phase (em:0 a/b/c): W signed, V, A, Hz, Wh counters. */
export interface Gen2SimChannel {
  /** W; negative = flowing back (export). */
  power: number;
  /** V */
  voltage: number;
  /** A */
  current: number;
  pf: number;
  /** Hz */
  freq: number;
  /** Wh imported. */
  importWh: number;
  /** Wh returned. */
  exportWh: number;
  /** Component errors as the device lists them, e.g. `power_meter_failure`. */
  errors: string[];
}

/** Broken replies of the status RPCs a test can ask for. */
export type Gen2OddReply = 'http-500' | 'not-json';

const DEVICES: Record<Gen2Profile, { id: string; model: string; app: string }> = {
  'pro-em': { id: 'shellyproem50-aabbccddeeff', model: 'SPEM-002CEBEU50', app: 'ProEM' },
  'pro-3em': { id: 'shellypro3em-aabbccddeeff', model: 'SPEM-003CEBEU', app: 'Pro3EM' },
  'pro-3em-monophase': { id: 'shellypro3em-aabbccddeeff', model: 'SPEM-003CEBEU', app: 'Pro3EM' },
};

/** Firmware version, as in the fixture shelly.getstatus.pro-em-50.fw-1.5.json (≈ 1.5.0). */
export const GEN2_VER = '1.5.0';

/**
 * A Shelly Pro EM / Pro 3EM on a real socket: `GET /shelly` (never behind auth) and the JSON-RPC
 * GET methods EM1/EM1Data/EM/EMData.GetStatus and Shelly.GetStatus with the payload shapes of the
 * fixtures, RPC error bodies (404 no handler, -105 bad id), optional digest auth (RFC 7616,
 * SHA-256, user admin, real nonces), Wh counters integrating power in simulated time (tick()).
 */
export class ShellyGen2Simulator extends HttpSimulator {
  readonly profile: Gen2Profile;
  readonly channels: Gen2SimChannel[];
  readonly mac = 'AABBCCDDEEFF';
  password?: string;
  /** Device clock, ms since the epoch. */
  time: number;
  /** When set, the status RPCs answer this broken reply. */
  rpcReply: Gen2OddReply | null = null;
  /** Nonces handed out in challenges and still valid. */
  private readonly nonces = new Set<string>();

  constructor(opts: ShellyGen2SimOptions = {}) {
    super(opts.port ?? 0);
    this.profile = opts.profile ?? 'pro-em';
    this.password = opts.password;
    this.time = opts.time ?? Date.now();
    const n = this.profile === 'pro-em' ? 2 : 3;
    this.channels = Array.from({ length: n }, () => ({
      power: 0,
      voltage: 230,
      current: 0,
      pf: 0,
      freq: 50,
      importWh: 0,
      exportWh: 0,
      errors: [],
    }));
  }

  /** Digest realm: the device id. */
  get realm(): string {
    return DEVICES[this.profile].id;
  }

  /** Sets a channel's (or, for pro-3em, phase a/b/c = 0/1/2's) readings; current defaults to |W| / V. */
  setChannel(i: number, v: Partial<Gen2SimChannel>): void {
    const ch = this.channels[i];
    if (!ch) throw new Error(`no channel ${i}`);
    Object.assign(ch, v);
    if (v.current === undefined && v.power !== undefined) {
      ch.current = ch.voltage > 0 ? Math.abs(ch.power) / ch.voltage : 0;
    }
    if (v.pf === undefined && v.power !== undefined) ch.pf = ch.power === 0 ? 0 : Math.sign(ch.power);
  }

  /** Advances simulated time by `ms`: + power adds to the import counter, − power to the return one (Wh). */
  override tick(ms: number): void {
    for (const ch of this.channels) {
      const wh = (ch.power * ms) / 3_600_000;
      if (wh >= 0) ch.importWh += wh;
      else ch.exportWh -= wh;
    }
    this.time += ms;
  }

  /** Forgets every nonce handed out, as the device does after a while: the next request is challenged. */
  expireNonces(): void {
    this.nonces.clear();
  }

  /** The components this profile has, keyed as in Shelly.GetStatus (`em1:0`, `em1data:0`, `em:0`, …). */
  components(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    if (this.profile === 'pro-3em') {
      out['em:0'] = this.em();
      out['emdata:0'] = this.emData();
      return out;
    }
    this.channels.forEach((_, i) => {
      out[`em1:${i}`] = this.em1(i);
      out[`em1data:${i}`] = this.em1Data(i);
    });
    return out;
  }

  protected handle(req: RecordedRequest): SimReply {
    const url = new URL(req.path, 'http://sim');
    if (req.method !== 'GET') return rpcError(404, 404, 'Not Found');
    if (url.pathname === '/shelly' || url.pathname === '/rpc/Shelly.GetDeviceInfo') {
      return { status: 200, body: this.deviceInfo() };
    }
    if (!url.pathname.startsWith('/rpc/')) return rpcError(404, 404, 'Not Found');
    if (this.password !== undefined && !this.authorized(req)) return this.challenge();
    const method = url.pathname.slice('/rpc/'.length);
    const id = Number(url.searchParams.get('id') ?? '0');
    if (method === 'Shelly.GetStatus') return { status: 200, body: this.fullStatus() };
    const component = COMPONENTS[method];
    const has = component && (component === 'em' || component === 'emdata') === (this.profile === 'pro-3em');
    if (!component || !has) return rpcError(404, 404, `No handler for ${method}`);
    const key = `${component}:${id}`;
    const body = this.components()[key];
    if (!body) return rpcError(500, -105, `Argument 'id', value ${id} not found!`);
    if (this.rpcReply === 'http-500') return { status: 500, text: 'Internal Server Error' };
    if (this.rpcReply === 'not-json') return { status: 200, text: '<html>busy</html>' };
    return { status: 200, body };
  }

  private deviceInfo(): Record<string, unknown> {
    const d = DEVICES[this.profile];
    return {
      name: null,
      id: d.id,
      mac: this.mac,
      slot: 0,
      model: d.model,
      gen: 2,
      fw_id: `20250101-000000/${GEN2_VER}-gabcdef0`,
      ver: GEN2_VER,
      app: d.app,
      auth_en: this.password !== undefined,
      auth_domain: this.password !== undefined ? d.id : null,
      ...(this.profile === 'pro-3em-monophase' ? { profile: 'monophase' } : {}),
      ...(this.profile === 'pro-3em' ? { profile: 'triphase' } : {}),
    };
  }

  private em1(i: number): Record<string, unknown> {
    const c = this.channels[i]!;
    return {
      id: i,
      current: round(c.current, 3),
      voltage: round(c.voltage, 1),
      act_power: round(c.power, 1),
      aprt_power: round(c.current * c.voltage, 1),
      pf: round(c.pf, 2),
      freq: round(c.freq, 1),
      ...(c.errors.length > 0 ? { errors: [...c.errors] } : {}),
      calibration: 'factory',
    };
  }

  private em1Data(i: number): Record<string, unknown> {
    const c = this.channels[i]!;
    return { id: i, total_act_energy: round(c.importWh, 2), total_act_ret_energy: round(c.exportWh, 2) };
  }

  private em(): Record<string, unknown> {
    const out: Record<string, unknown> = { id: 0 };
    const errors: string[] = [];
    let current = 0;
    let power = 0;
    let aprt = 0;
    PHASES.forEach((p, i) => {
      const c = this.channels[i]!;
      out[`${p}_current`] = round(c.current, 3);
      out[`${p}_voltage`] = round(c.voltage, 1);
      out[`${p}_act_power`] = round(c.power, 1);
      out[`${p}_aprt_power`] = round(c.current * c.voltage, 1);
      out[`${p}_pf`] = round(c.pf, 2);
      out[`${p}_freq`] = round(c.freq, 1);
      errors.push(...c.errors.map((e) => `phase_${p}:${e}`));
      current += c.current;
      power += c.power;
      aprt += c.current * c.voltage;
    });
    return {
      ...out,
      n_current: null,
      total_current: round(current, 3),
      total_act_power: round(power, 3),
      total_aprt_power: round(aprt, 3),
      user_calibrated_phase: [],
      ...(errors.length > 0 ? { errors } : {}),
    };
  }

  private emData(): Record<string, unknown> {
    const out: Record<string, unknown> = { id: 0 };
    PHASES.forEach((p, i) => {
      const c = this.channels[i]!;
      out[`${p}_total_act_energy`] = round(c.importWh, 2);
      out[`${p}_total_act_ret_energy`] = round(c.exportWh, 2);
    });
    const sum = (f: (c: Gen2SimChannel) => number) => this.channels.reduce((s, c) => s + f(c), 0);
    out.total_act = round(
      sum((c) => c.importWh),
      2,
    );
    out.total_act_ret = round(
      sum((c) => c.exportWh),
      2,
    );
    return out;
  }

  private fullStatus(): Record<string, unknown> {
    return {
      cloud: { connected: false },
      ...this.components(),
      eth: { ip: null },
      mqtt: { connected: false },
      sys: {
        mac: this.mac,
        restart_required: false,
        unixtime: Math.floor(this.time / 1000),
        uptime: 563,
        available_updates: {},
      },
      wifi: { sta_ip: '192.0.2.30', status: 'got ip', ssid: 'example-ssid', rssi: -61 },
    };
  }

  private challenge(): SimReply {
    const nonce = randomBytes(8).toString('hex');
    this.nonces.add(nonce);
    return {
      status: 401,
      text: '',
      headers: {
        'WWW-Authenticate': `Digest qop="auth", realm="${this.realm}", nonce="${nonce}", algorithm=SHA-256`,
      },
    };
  }

  /** Checks an `Authorization: Digest …` header against the password and the nonces handed out. */
  private authorized(req: RecordedRequest): boolean {
    const h = req.authorization;
    if (!h?.startsWith('Digest ')) return false;
    const p: Record<string, string> = {};
    for (const m of h.slice(7).matchAll(/([\w-]+)=(?:"([^"]*)"|([^,\s]*))/g)) {
      if (m[1]) p[m[1]] = m[2] ?? m[3] ?? '';
    }
    if (p.username !== 'admin' || p.realm !== this.realm || p.uri !== req.path) return false;
    if (!p.nonce || !this.nonces.has(p.nonce) || p.qop !== 'auth' || !p.nc || !p.cnonce) return false;
    if (p.algorithm !== 'SHA-256') return false;
    const expected = digestResponse(
      { realm: this.realm, nonce: p.nonce, algorithm: 'SHA-256', qopAuth: true },
      {
        user: 'admin',
        password: this.password ?? '',
        method: req.method,
        uri: req.path,
        nc: Number.parseInt(p.nc, 16),
        cnonce: p.cnonce,
      },
    );
    return p.response === expected;
  }
}

const PHASES = ['a', 'b', 'c'] as const;

/** RPC method → component key prefix. */
const COMPONENTS: Record<string, string> = {
  'EM1.GetStatus': 'em1',
  'EM1Data.GetStatus': 'em1data',
  'EM.GetStatus': 'em',
  'EMData.GetStatus': 'emdata',
};

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function rpcError(status: number, code: number, message: string): SimReply {
  return { status, body: { code, message } };
}
