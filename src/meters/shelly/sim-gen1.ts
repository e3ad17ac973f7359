import { basicAuthOk, HttpSimulator, type RecordedRequest, type SimReply } from '../../sim/http-sim.js';

/** Options of the Gen1 Shelly EM / 3EM simulator. */
export interface ShellyGen1SimOptions {
  port?: number;
  /** `SHEM` (EM, 2 channels, default) or `SHEM-3` (3EM, 3 channels with current). */
  type?: 'SHEM' | 'SHEM-3';
  /** Basic auth user; auth is on when set. */
  user?: string;
  password?: string;
  /** Device clock at start, ms since the epoch (default now); tick() advances it. 0 = never synced. */
  time?: number;
}

/** One simulated CT channel: W signed, V, A, Wh counters. */
export interface Gen1SimChannel {
  /** W; negative = flowing back (export). */
  power: number;
  /** V */
  voltage: number;
  /** A (reported on the 3EM only). */
  current: number;
  pf: number;
  /** Wh imported. */
  total: number;
  /** Wh returned. */
  totalReturned: number;
  valid: boolean;
}

/** Broken replies of GET /status a test can ask for. */
export type Gen1OddReply = 'http-500' | 'not-json' | 'no-emeters';

/** Firmware string of the fixture status.shem.fw-v1.12.1.json. */
export const GEN1_FW = '20221027-105518/v1.12.1-ga9117d3';

/**
 * A Shelly EM / 3EM (Gen1) on a real socket: `GET /shelly` (never behind auth), `GET /status` and
 * `GET /emeter/<i>` with the payload shapes of the real device (fixture status.shem.fw-v1.12.1.json),
 * optional HTTP basic auth, Wh counters that integrate power over simulated time (tick()).
 */
export class ShellyGen1Simulator extends HttpSimulator {
  readonly type: 'SHEM' | 'SHEM-3';
  readonly channels: Gen1SimChannel[];
  readonly mac = 'AABBCCDDEEFF';
  user?: string;
  password?: string;
  /** Device clock, ms since the epoch (0 = not synced yet: unixtime 0). */
  time: number;
  /** When set, GET /status (and /emeter/<i>) answers this broken reply. */
  statusReply: Gen1OddReply | null = null;

  constructor(opts: ShellyGen1SimOptions = {}) {
    super(opts.port ?? 0);
    this.type = opts.type ?? 'SHEM';
    this.user = opts.user;
    this.password = opts.password;
    this.time = opts.time ?? Date.now();
    const n = this.type === 'SHEM-3' ? 3 : 2;
    this.channels = Array.from({ length: n }, () => ({
      power: 0,
      voltage: 230,
      current: 0,
      pf: 0,
      total: 0,
      totalReturned: 0,
      valid: true,
    }));
  }

  /** Sets a channel's readings: W signed, V, A (current defaults to |W| / V, pf to 1 when power ≠ 0). */
  setChannel(i: number, v: Partial<Gen1SimChannel>): void {
    const ch = this.channels[i];
    if (!ch) throw new Error(`no channel ${i}`);
    Object.assign(ch, v);
    if (v.current === undefined && v.power !== undefined) {
      ch.current = ch.voltage > 0 ? Math.abs(ch.power) / ch.voltage : 0;
    }
    if (v.pf === undefined && v.power !== undefined) ch.pf = ch.power === 0 ? 0 : Math.sign(ch.power);
  }

  /** Advances simulated time by `ms`: + power adds to `total`, − power to `total_returned` (Wh). */
  override tick(ms: number): void {
    for (const ch of this.channels) {
      const wh = (ch.power * ms) / 3_600_000;
      if (wh >= 0) ch.total += wh;
      else ch.totalReturned -= wh;
    }
    if (this.time > 0) this.time += ms;
  }

  /** One `emeters[]` object as the device sends it (power 2 decimals, totals 1 decimal). */
  emeter(i: number): Record<string, unknown> {
    const ch = this.channels[i];
    if (!ch) throw new Error(`no channel ${i}`);
    const three = this.type === 'SHEM-3';
    return {
      power: round(ch.power, 2),
      ...(three ? {} : { reactive: 0 }),
      pf: round(ch.pf, 2),
      ...(three ? { current: round(ch.current, 2) } : {}),
      voltage: round(ch.voltage, 2),
      is_valid: ch.valid,
      total: round(ch.total, 1),
      total_returned: round(ch.totalReturned, 1),
    };
  }

  /** The full `GET /status` object. */
  status(): Record<string, unknown> {
    const emeters = this.channels.map((_, i) => this.emeter(i));
    const d = new Date(this.time);
    return {
      wifi_sta: { connected: true, ssid: 'example-ssid', ip: '192.0.2.20', rssi: -55 },
      cloud: { enabled: false, connected: false },
      mqtt: { connected: false },
      time: this.time > 0 ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : '',
      unixtime: Math.floor(this.time / 1000),
      serial: 21580,
      has_update: false,
      mac: this.mac,
      relays: [{ ison: false, has_timer: false, overpower: false, is_valid: true, source: 'input' }],
      emeters,
      ...(this.type === 'SHEM-3'
        ? {
            total_power: round(
              this.channels.reduce((s, c) => s + c.power, 0),
              2,
            ),
          }
        : {}),
      update: { status: 'idle', has_update: false, new_version: GEN1_FW, old_version: GEN1_FW },
      uptime: 2226140,
    };
  }

  protected handle(req: RecordedRequest): SimReply {
    const path = new URL(req.path, 'http://sim').pathname;
    if (req.method !== 'GET') return text(404, 'Not Found');
    if (path === '/shelly') {
      return {
        status: 200,
        body: {
          type: this.type,
          mac: this.mac,
          auth: this.user !== undefined,
          fw: GEN1_FW,
          discoverable: false,
          longid: 1,
          num_outputs: 1,
          num_meters: 0,
          num_emeters: this.channels.length,
        },
      };
    }
    if (path !== '/status' && !path.startsWith('/emeter/')) return text(404, 'Not Found');
    if (!basicAuthOk(req.authorization, this.user, this.password)) {
      return {
        status: 401,
        text: '401 Unauthorized',
        headers: {
          'Content-Type': 'text/plain',
          'WWW-Authenticate': `Basic realm="${this.type}-${this.mac}"`,
        },
      };
    }
    switch (this.statusReply) {
      case 'http-500':
        return text(500, 'Internal Server Error');
      case 'not-json':
        return {
          status: 200,
          text: '<html><body>busy</body></html>',
          headers: { 'Content-Type': 'text/html' },
        };
      case 'no-emeters':
        return { status: 200, body: { unixtime: Math.floor(this.time / 1000) } };
      default:
        break;
    }
    if (path === '/status') return { status: 200, body: this.status() };
    const i = Number(path.slice('/emeter/'.length));
    if (!Number.isInteger(i) || !this.channels[i]) return text(404, 'Not Found');
    return { status: 200, body: this.emeter(i) };
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const pad = (n: number) => String(n).padStart(2, '0');
const text = (status: number, t: string): SimReply => ({
  status,
  text: t,
  headers: { 'Content-Type': 'text/plain' },
});
