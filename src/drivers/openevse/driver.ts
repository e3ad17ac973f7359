import { coalesced } from '../../core/coalesce.js';
import type { ChargerReading, DeviceInfo, OnExit, Targets } from '../../core/model.js';
import { expectOk, HttpClient, HttpError } from '../../transport/http.js';
import { ReconnectingSocket } from '../../transport/websocket.js';
import type { ChargerDriver, ChargerTypeDef, DriverContext, PushListener } from '../types.js';
import { mapStatus } from './mapping.js';
import { type OpenevseOptions, openevseMeta } from './meta.js';
import {
  bridgeClientId,
  type ClaimProperties,
  type ClaimsTarget,
  type OpenEvseConfig,
  type OpenEvseStatus,
} from './wire.js';

const REQUEST_TIMEOUT_MS = 3000;

/**
 * OpenEVSE / EmonEVSE driver: HTTP for reads and writes, `/ws` for push.
 * Writes go through the bridge's own claim (priority 500, auto_release false), so the unit's own
 * limits and a person's override (priority 1000) keep winning (README.md beside this file). Firmware without
 * `/claims` (WiFi 2.x) is driven with RAPI `$SC`/`$FE`/`$FS` through `/r`.
 */
export class OpenEvseDriver implements ChargerDriver {
  info: DeviceInfo;
  private status: OpenEvseStatus = {};
  private target?: ClaimsTarget;
  private targetStale = true;
  /** A pushed frame announced a new config_version: /config is read again. */
  private configStale = false;
  /** The reads pushed frames ask for; a burst of frames costs at most two rounds. */
  private readonly pushRefresh = coalesced(async () => {
    if (this.configStale) {
      this.configStale = false;
      await this.refreshConfig().catch((e: Error) => {
        this.configStale = true;
        throw e;
      });
    }
    await this.refreshTarget();
  });
  private socket?: ReconnectingSocket;
  private listener?: PushListener;
  private readonly client: number;
  /** RAPI firmware: what the bridge last set, standing in for /claims/target. */
  private rapiEnabled?: boolean;

  constructor(
    private readonly ctx: DriverContext<OpenevseOptions>,
    private readonly http: HttpClient,
    private config: OpenEvseConfig,
    private readonly hasClaims: boolean,
  ) {
    this.client = bridgeClientId(ctx.instance);
    this.info = describe(config);
  }

  /** Probes /config and /claims, then returns a driver. */
  static async create(ctx: DriverContext<OpenevseOptions>): Promise<OpenEvseDriver> {
    const http = new HttpClient({
      baseUrl: `http://${ctx.cfg.host}:${ctx.cfg.port}`,
      user: ctx.cfg.user,
      password: ctx.cfg.password,
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    const config = (await http.getObject('/config')) as OpenEvseConfig;
    const claims = await http.request('GET', '/claims');
    const hasClaims = claims.status === 200 && Array.isArray(claims.json);
    if (claims.status === 401) expectOk(claims, 'GET', '/claims');
    ctx.log.info(
      { version: config.version, firmware: config.firmware, claims: hasClaims },
      hasClaims
        ? 'OpenEVSE found; control through the bridge claim'
        : 'OpenEVSE without /claims; control through RAPI',
    );
    return new OpenEvseDriver(ctx, http, config, hasClaims);
  }

  async read(): Promise<ChargerReading> {
    const status = (await this.http.getObject('/status')) as OpenEvseStatus;
    if (this.status.config_version !== undefined && status.config_version !== this.status.config_version) {
      await this.refreshConfig();
    }
    if (status.claims_version === undefined || status.claims_version !== this.status.claims_version)
      this.targetStale = true;
    this.status = status;
    await this.refreshTarget();
    return this.map();
  }

  async apply(targets: Targets): Promise<void> {
    const amps = Math.round(targets.charge_current);
    if (this.hasClaims) {
      const body: ClaimProperties = {
        state: targets.enabled ? 'active' : 'disabled',
        charge_current: amps,
        auto_release: false,
      };
      const r = await this.http.request('POST', `/claims/${this.client}`, body);
      expectOk(r, 'POST', `/claims/${this.client}`);
      this.targetStale = true;
      this.ctx.log.info({ claim: this.client, ...body }, 'claim set');
      return;
    }
    await this.rapi(`$SC ${amps} V`);
    await this.rapi(targets.enabled ? '$FE' : '$FS');
    this.rapiEnabled = targets.enabled;
  }

  async exit(action: OnExit): Promise<void> {
    if (action === 'keep') return;
    if (!this.hasClaims) {
      if (action === 'pause') await this.rapi('$FS');
      else await this.rapi('$FE');
      return;
    }
    if (action === 'release') {
      const r = await this.http.request('DELETE', `/claims/${this.client}`);
      if (r.status !== 404) expectOk(r, 'DELETE', `/claims/${this.client}`);
      this.ctx.log.info({ claim: this.client }, 'claim released');
      return;
    }
    // pause: our claim stays, disabled
    const current = Math.round(this.status.pilot ?? this.ctx.cfg.min_current);
    const r = await this.http.request('POST', `/claims/${this.client}`, {
      state: 'disabled',
      charge_current: current,
      auto_release: false,
    } satisfies ClaimProperties);
    expectOk(r, 'POST', `/claims/${this.client}`);
  }

  subscribe(listener: PushListener): void {
    this.listener = listener;
    const socket = new ReconnectingSocket({
      url: `ws://${this.ctx.cfg.host}:${this.ctx.cfg.port}/ws`,
      clock: this.ctx.clock,
      log: this.ctx.log,
      baseDelayMs: 1000,
      maxDelayMs: 60000,
      keepalive: { intervalMs: 15000, payload: '{"ping":1}' },
    });
    socket.on('message', (text: string) => this.onFrame(text));
    socket.on('lost', (why: string) => listener.lost(why));
    socket.on('restored', () => listener.restored());
    socket.start();
    this.socket = socket;
  }

  async close(): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
  }

  /** Merges a pushed frame (a full status on connect, then only changed keys). */
  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.ctx.log.warn(
        { frame: text.slice(0, 200) },
        'OpenEVSE sent a WebSocket frame that is not JSON; ignored',
      );
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return;
    const f = frame as OpenEvseStatus;
    if (Object.keys(f).length === 1 && 'pong' in f) return;
    const claimsChanged =
      (f.claims_version !== undefined && f.claims_version !== this.status.claims_version) ||
      (f.override_version !== undefined && f.override_version !== this.status.override_version);
    const configChanged = f.config_version !== undefined && f.config_version !== this.status.config_version;
    this.status = { ...this.status, ...f };
    if (claimsChanged) this.targetStale = true;
    if (configChanged) this.configStale = true;
    const emit = () => {
      if (this.listener && this.status.state !== undefined) this.listener.reading(this.map());
    };
    if (claimsChanged || configChanged) {
      this.pushRefresh()
        .then(emit)
        .catch((e: Error) => this.ctx.log.debug({ err: e.message }, 'refresh after push failed'));
    } else {
      emit();
    }
  }

  private map(): ChargerReading {
    const target: ClaimsTarget | undefined = this.hasClaims
      ? this.target
      : this.rapiEnabled === false
        ? { claims: { state: this.client } }
        : undefined;
    const reading = mapStatus({ status: this.status, config: this.config, target, client: this.client });
    reading.info = this.info;
    return reading;
  }

  private async refreshTarget(): Promise<void> {
    if (!this.hasClaims || !this.targetStale) return;
    const t = await this.http.getObject('/claims/target');
    this.target = t as ClaimsTarget;
    this.targetStale = false;
  }

  private async refreshConfig(): Promise<void> {
    this.config = (await this.http.getObject('/config')) as OpenEvseConfig;
    this.info = describe(this.config);
  }

  private async rapi(cmd: string): Promise<void> {
    const path = `/r?json=1&rapi=${encodeURIComponent(cmd)}`;
    const r = await this.http.request('GET', path);
    const body = r.json as { ret?: string; error?: string } | undefined;
    if (r.status !== 200 || !body?.ret?.startsWith('$OK')) {
      throw new HttpError(`RAPI ${cmd}: ${body?.error ?? body?.ret ?? `HTTP ${r.status}`}`, r.status, r.text);
    }
    this.ctx.log.info({ rapi: cmd }, 'RAPI command sent');
  }
}

function describe(config: OpenEvseConfig): DeviceInfo {
  const wifi = typeof config.version === 'string' ? config.version : undefined;
  const evse = typeof config.firmware === 'string' ? config.firmware : undefined;
  return {
    manufacturer: openevseMeta.manufacturer,
    model: typeof config.buildenv === 'string' ? `OpenEVSE WiFi (${config.buildenv})` : openevseMeta.model,
    ...(wifi ? { sw_version: evse ? `${wifi} (EVSE ${evse})` : wifi } : {}),
    ...(typeof config.wifi_serial === 'string' && config.wifi_serial ? { serial: config.wifi_serial } : {}),
  };
}

/** The openevse charger type. */
export const openevseType: ChargerTypeDef = {
  ...openevseMeta,
  // the configuration filled in this type's options (meta.ts)
  create: (ctx) => OpenEvseDriver.create(ctx as DriverContext<OpenevseOptions>),
};
