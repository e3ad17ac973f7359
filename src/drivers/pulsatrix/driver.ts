import type { TimerHandle } from '../../core/clock.js';
import type { ChargerReading, DeviceInfo, OnExit, Targets } from '../../core/model.js';
import { expectOk, HttpClient, HttpError } from '../../transport/http.js';
import { ReconnectingSocket } from '../../transport/websocket.js';
import type { ChargerDriver, ChargerTypeDef, DriverContext, PushListener } from '../types.js';
import { type Command, commandFrames, current, enable, onePhase, restBody, timeout } from './commands.js';
import { type ControlState, canSwitchPhases, controllerName, mapReading, num } from './mapping.js';
import { type PulsatrixOptions, pulsatrixMeta } from './meta.js';
import {
  API_BASE,
  type PulsatrixBodies,
  parseDeviceJson,
  parseFrame,
  TOPICS,
  type Topic,
  toDeviceJson,
  WS_PATH,
} from './wire.js';

const REQUEST_TIMEOUT_MS = 3000;

/**
 * pulsatrix SECC driver: REST `/api/v1/*` for the initial read and the slow confirming poll,
 * WebSocket `/api/ws` for push and commands (PUT /limits when the socket is down).
 *
 * Control is an API current limit (pause = limit 0) that the SECC drops after its `timeout`. From
 * the first command on, the driver sets that timeout to `watchdog` s and re-sends timeout and
 * limits every `watchdog`/3 s on the bridge clock, so that a dead bridge hands the SECC back to
 * its own limits within `watchdog` s (README.md beside this file, Safety property).
 */
export class PulsatrixDriver implements ChargerDriver {
  readonly info: DeviceInfo = { manufacturer: pulsatrixMeta.manufacturer, model: pulsatrixMeta.model };
  private socket?: ReconnectingSocket;
  private listener?: PushListener;
  /** What the bridge keeps in force; null until the first command and after exit. */
  private control: ControlState | null = null;
  private refreshTimer?: TimerHandle;
  private closed = false;
  /** Bumped by every command sent, so a read that raced with one is not taken as the device's word. */
  private sendSeq = 0;
  private mismatches = 0;
  private badFrames = 0;
  private refreshFailures = 0;

  constructor(
    private readonly ctx: DriverContext<PulsatrixOptions>,
    private readonly http: HttpClient,
    private readonly authHeader: string | undefined,
    private bodies: PulsatrixBodies,
  ) {}

  /** Reads all four endpoints once (the probe), then returns a driver. */
  static async create(ctx: DriverContext<PulsatrixOptions>): Promise<PulsatrixDriver> {
    const { cfg } = ctx;
    const http = new HttpClient({
      baseUrl: `http://${cfg.host}:${cfg.port}`,
      user: cfg.user,
      password: cfg.password,
      token: cfg.token,
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    const auth = cfg.token
      ? `Bearer ${cfg.token}`
      : cfg.user
        ? `Basic ${Buffer.from(`${cfg.user}:${cfg.password ?? ''}`).toString('base64')}`
        : undefined;
    const driver = new PulsatrixDriver(ctx, http, auth, {});
    driver.bodies = await driver.fetchAll();
    ctx.log.info(
      {
        controller: controllerName(driver.bodies),
        effectiveAmperageLimit: num(driver.bodies.configuration?.effectiveAmperageLimit),
        phaseSwitching: canSwitchPhases(driver.bodies),
      },
      'pulsatrix SECC found; control through API limits with a device timeout of watchdog s',
    );
    return driver;
  }

  /** Reads /charging, /configuration, /transaction and /limits; restores the bridge's limits if the SECC lost them. */
  async read(): Promise<ChargerReading> {
    const seq = this.sendSeq;
    const fresh = await this.fetchAll();
    const raced = seq !== this.sendSeq;
    this.bodies = raced ? { ...fresh, limits: this.bodies.limits } : fresh;
    if (this.control && !raced) await this.checkHeld(fresh);
    return this.map();
  }

  /** Writes the targets as API limits (WebSocket frames, or PUT /limits when the socket is down). */
  async apply(targets: Targets, changed: ReadonlySet<string>): Promise<void> {
    const { cfg } = this.ctx;
    const first = this.control === null;
    const wantPhases = cfg.phases === 3 ? targets.phases : undefined;
    if (wantPhases === 1 && canSwitchPhases(this.bodies) === false) {
      throw new Error(
        'phases: this SECC has no phase shut-off relay (hasPhaseShutoff false); it cannot switch to 1 phase',
      );
    }
    // the bridge never commands more than max_current nor a magnitude below min_current (docs/mqtt-api.md)
    const amps =
      Math.round(Math.min(cfg.max_current, Math.max(cfg.min_current, targets.charge_current)) * 10) / 10;
    const switchable = canSwitchPhases(this.bodies) !== false;
    const phases = switchable ? (wantPhases ?? this.control?.phases) : undefined;
    const next: ControlState = { current: amps, enabled: targets.enabled, ...(phases ? { phases } : {}) };
    const cmds: Command[] = [];
    if (first) cmds.push(timeout(this.timeoutMs()), enable());
    if (first || changed.has('charge_current') || changed.has('enabled')) {
      cmds.push(current(next.enabled ? next.current : 0));
    }
    if (switchable && wantPhases && (first || changed.has('phases'))) {
      cmds.push(onePhase(wantPhases === 1));
    }
    await this.send(cmds);
    this.control = next;
    this.mismatches = 0;
    if (first) {
      this.ctx.log.info(
        { watchdog: cfg.watchdog, refreshSeconds: Math.round(cfg.watchdog / 3) },
        'took control of the SECC through the API limit; it falls back to its own limits if the bridge stops',
      );
    }
    this.armRefresh();
  }

  /** release: limit NaN (the SECC's own limits apply); pause: limit 0 until the device timeout; keep: nothing. */
  async exit(action: OnExit): Promise<void> {
    this.ctx.clock.clearTimeout(this.refreshTimer);
    const held = this.control;
    this.control = null;
    if (action === 'keep') return;
    if (action === 'release') {
      if (!held) {
        this.ctx.log.info('on_exit release: the bridge never set a limit; nothing to release');
        return;
      }
      await this.send([current(Number.NaN), ...(held.phases === 1 ? [onePhase(false)] : [])]);
      return;
    }
    // pause: lasts only until the device timeout (watchdog) expires, then the SECC's own limits apply
    await this.send([timeout(this.timeoutMs()), current(0)]);
  }

  /** Opens the WebSocket push channel (`/api/ws`, same credentials as REST). */
  subscribe(listener: PushListener): void {
    this.listener = listener;
    const { cfg } = this.ctx;
    const socket = new ReconnectingSocket({
      url: `ws://${cfg.host}:${cfg.port}${WS_PATH}`,
      ...(this.authHeader ? { headers: { Authorization: this.authHeader } } : {}),
      clock: this.ctx.clock,
      log: this.ctx.log,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
    });
    socket.on('message', (text: string) => this.onFrame(text));
    socket.on('open', () => this.onOpen());
    socket.on('lost', (why: string) => listener.lost(why));
    socket.on('restored', () => listener.restored());
    socket.start();
    this.socket = socket;
  }

  /** Stops the refresh timer and closes the socket (the SECC's timeout then ends the bridge's limits). */
  async close(): Promise<void> {
    this.closed = true;
    this.ctx.clock.clearTimeout(this.refreshTimer);
    this.socket?.close();
    this.socket = undefined;
  }

  // ---- internals --------------------------------------------------------------------------

  private map(): ChargerReading {
    const reading = mapReading(this.bodies, { phasesWired: this.ctx.cfg.phases, control: this.control });
    reading.info = this.info;
    return reading;
  }

  /** Device timeout for API limits, ms (= watchdog). */
  private timeoutMs(): number {
    return this.ctx.cfg.watchdog * 1000;
  }

  private armRefresh(): void {
    this.ctx.clock.clearTimeout(this.refreshTimer);
    if (this.closed) return;
    this.refreshTimer = this.ctx.clock.setTimeout(
      () => {
        void this.sendRefresh('refresh').finally(() => {
          if (this.control) this.armRefresh();
        });
      },
      (this.ctx.cfg.watchdog * 1000) / 3,
    );
  }

  /** Re-sends timeout, enable, limit and phase setting; failures are logged (the SECC then falls back). */
  private async sendRefresh(why: 'refresh' | 'reconnect' | 'restore', restOnly = false): Promise<void> {
    const c = this.control;
    if (!c) return;
    const cmds = [
      timeout(this.timeoutMs()),
      enable(),
      current(c.enabled ? c.current : 0),
      ...(c.phases ? [onePhase(c.phases === 1)] : []),
    ];
    try {
      await this.send(cmds, restOnly);
      if (this.refreshFailures > 0) this.ctx.log.info('API limits re-sent again after failures');
      this.refreshFailures = 0;
      this.ctx.log.debug({ why, limit: c.enabled ? c.current : 0 }, 'API limits re-sent');
    } catch (e) {
      this.refreshFailures += 1;
      // warn once per outage; the runtime reports the charger offline anyway
      this.ctx.log[this.refreshFailures === 1 ? 'warn' : 'debug'](
        { err: (e as Error).message },
        `could not re-send the API limit (${(e as Error).message}); the SECC returns to its own limits after ${this.ctx.cfg.watchdog} s`,
      );
    }
  }

  /** A REST read while in control: if /limits disagrees twice in a row, the SECC lost them (restart?): send again by REST. */
  private async checkHeld(fresh: PulsatrixBodies): Promise<void> {
    const c = this.control!;
    const want = c.enabled ? c.current : 0;
    const got = num(fresh.limits?.amperageLimit);
    const holds = got !== undefined && Math.abs(got - want) < 0.05 && fresh.limits?.enabled !== false;
    if (holds) {
      this.mismatches = 0;
      return;
    }
    this.mismatches += 1;
    if (this.mismatches < 2) return;
    this.mismatches = 0;
    this.ctx.log.warn(
      { want, got: got ?? 'NaN' },
      `the SECC does not hold the bridge's limit of ${want} A (it reports ${got ?? 'NaN'}); sending it again`,
    );
    await this.sendRefresh('restore', true);
  }

  private onOpen(): void {
    // after a reconnect the SECC may have restarted and forgotten the API limits
    if (!this.control) return;
    void this.sendRefresh('reconnect');
    this.armRefresh();
  }

  /** Merges a pushed frame; bad frames are logged and dropped. */
  private onFrame(text: string): void {
    let frame: ReturnType<typeof parseFrame>;
    try {
      frame = parseFrame(text);
    } catch (e) {
      this.badFrames += 1;
      const level = this.badFrames <= 3 ? 'warn' : 'debug';
      this.ctx.log[level](
        { err: (e as Error).message },
        'pulsatrix sent a WebSocket frame it could not parse; ignored',
      );
      return;
    }
    if (frame.topic === 'unknown') {
      this.ctx.log.debug(
        { keys: Object.keys(frame.message).slice(0, 10) },
        'WebSocket frame of an unknown topic; ignored',
      );
      return;
    }
    this.bodies = { ...this.bodies, [frame.topic]: frame.message };
    this.listener?.reading(this.map());
  }

  /** Sends commands: WebSocket frames when the socket is open (and not restOnly), else one PUT /limits. */
  private async send(cmds: Command[], restOnly = false): Promise<void> {
    if (cmds.length === 0) return;
    this.sendSeq += 1;
    const socket = this.socket;
    if (!restOnly && socket?.isOpen) {
      for (const frame of commandFrames(cmds)) {
        if (!socket.send(frame)) throw new Error('the WebSocket closed while sending; try again');
      }
      this.ctx.log.debug({ frames: commandFrames(cmds) }, 'commands sent');
      return;
    }
    const path = `${API_BASE}/limits`;
    const r = await this.http.request('PUT', path, toDeviceJson(restBody(cmds)), 'application/json');
    this.failOnStatus(r.status, 'PUT', path);
    expectOk(r, 'PUT', path);
  }

  private async fetchAll(): Promise<PulsatrixBodies> {
    const all = await Promise.all(TOPICS.map((t) => this.get(t)));
    const out: PulsatrixBodies = {};
    TOPICS.forEach((t, i) => {
      (out as Record<Topic, unknown>)[t] = all[i];
    });
    return out;
  }

  /** GET /api/v1/<topic>, parsed with the SECC's JSON quirks (bare NaN). */
  private async get(topic: Topic): Promise<Record<string, unknown>> {
    const path = `${API_BASE}/${topic}`;
    const r = await this.http.request('GET', path);
    this.failOnStatus(r.status, 'GET', path);
    expectOk(r, 'GET', path);
    try {
      return parseDeviceJson(r.text);
    } catch (e) {
      throw new HttpError(`GET ${path}: ${(e as Error).message}`, r.status, r.text);
    }
  }

  private failOnStatus(status: number, method: string, path: string): void {
    if (status === 401 || status === 403) {
      throw new HttpError(
        `${method} ${path}: HTTP ${status}: the SECC refused the credentials (check token, or user and password, in the configuration)`,
        status,
      );
    }
    if (status === 404) {
      throw new HttpError(
        `${method} ${path}: HTTP 404 (is the REST/WebSocket API enabled on the SECC? It is off by default)`,
        status,
      );
    }
  }
}

/** The pulsatrix charger type. */
export const pulsatrixType: ChargerTypeDef = {
  ...pulsatrixMeta,
  // the configuration filled in this type's options (meta.ts)
  create: (ctx) => PulsatrixDriver.create(ctx as DriverContext<PulsatrixOptions>),
};
