import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { basicAuthOk, HttpSimulator, type RecordedRequest, type SimReply } from '../../sim/http-sim.js';
import { PulsatrixDevice, type PulsatrixDeviceOptions } from './sim-device.js';
import { API_BASE, parseDeviceJson, TOPICS, type Topic, toDeviceJson, WS_PATH } from './wire.js';

/** Options of the pulsatrix simulator. */
export interface PulsatrixSimOptions extends PulsatrixDeviceOptions {
  port?: number;
  /** Basic auth user (with `password`); REST and the WebSocket upgrade then need it. */
  user?: string;
  password?: string;
  /** Bearer token; accepted besides basic auth when both are set. */
  token?: string;
  /** Text the firmware prints before the JSON of every frame (some builds do). */
  framePrefix?: string;
}

/** One command frame the simulator received over the WebSocket. */
export interface ReceivedCommand {
  /** The raw frame, e.g. `setCurrentLimit\n16`. */
  frame: string;
  /** Error text when the SECC rejected it. */
  error: string | null;
}

/**
 * A pulsatrix SECC on a real socket: REST `/api/v1/{charging,configuration,transaction,limits}`
 * (GET; PUT /limits → 204) and the WebSocket `/api/ws` that pushes `{"topic","message"}` frames
 * with bare `NaN` literals, as the firmware does, and takes `"<command>\n<value>"` frames.
 * API limits expire in simulated time: tick(ms), or startPhysics() for the demo.
 */
export class PulsatrixSimulator extends HttpSimulator {
  readonly device: PulsatrixDevice;
  /** Command frames received over the WebSocket, in order. */
  readonly commands: ReceivedCommand[] = [];
  /** Authorization header of each WebSocket upgrade (accepted or not). */
  readonly upgrades: Array<string | undefined> = [];
  framePrefix: string;
  private readonly user?: string;
  private readonly password?: string;
  private readonly token?: string;
  private wss?: WebSocketServer;
  private readonly clients = new Set<WebSocket>();
  private lastPushed: Partial<Record<Topic, string>> = {};

  constructor(opts: PulsatrixSimOptions = {}) {
    super(opts.port ?? 0);
    this.device = new PulsatrixDevice(opts);
    this.user = opts.user;
    this.password = opts.password;
    this.token = opts.token;
    this.framePrefix = opts.framePrefix ?? '';
  }

  // ---- what a person, a car or the installer does ----------------------------------------------

  /** Plugs a vehicle in (optionally: max A it draws, demand, phases it uses). */
  plugIn(opts: { evMaxCurrent?: number; demand?: boolean; evPhases?: 1 | 3 } = {}): void {
    if (opts.evMaxCurrent !== undefined) this.device.evMaxCurrent = opts.evMaxCurrent;
    if (opts.demand !== undefined) this.device.evDemand = opts.demand;
    if (opts.evPhases !== undefined) this.device.evPhases = opts.evPhases;
    this.device.plugIn();
    this.changed();
  }

  /** Unplugs the vehicle. */
  unplug(): void {
    this.device.unplug();
    this.changed();
  }

  /** The vehicle wants energy (true) or is full / on its own timer (false). */
  setDemand(demand: boolean): void {
    this.device.evDemand = demand;
    this.changed();
  }

  /** Makes the SECC `Unavailable` (or available again). */
  setUnavailable(on: boolean): void {
    this.device.unavailable = on;
    this.changed();
  }

  /** Puts the SECC in an error state (`F1`, `R1`) or clears it (null). */
  setFault(code: 'F1' | 'R1' | null): void {
    this.device.fault = code;
    this.changed();
  }

  /** Changes the SECC's own limit (its configuration or team allocation), A. */
  setOwnLimit(amps: number): void {
    this.device.ownLimit = amps;
    this.changed();
  }

  /** Forgets every API-set value, as a restart of the SECC does. */
  reboot(): void {
    this.device.reboot();
    this.changed();
  }

  /** Advances simulated time by `ms`: energy accumulates, API limits expire; changes are pushed. */
  override tick(ms: number): void {
    this.device.tick(ms);
    this.changed();
  }

  /** Sends a raw text frame to every WebSocket client (tests: malformed or odd frames). */
  pushRaw(text: string): void {
    for (const ws of this.clients) ws.send(text);
  }

  /** Drops every WebSocket connection; REST stays up (a Wi-Fi hiccup). */
  dropClients(): void {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
  }

  /** Number of open WebSocket clients. */
  get wsClients(): number {
    return this.clients.size;
  }

  /** Command frames received so far (raw text). */
  get frames(): string[] {
    return this.commands.map((c) => c.frame);
  }

  // ---- REST -------------------------------------------------------------------------------------

  protected handle(req: RecordedRequest): SimReply {
    if (!this.authOk(req.authorization)) {
      return { status: 401, text: '', headers: { 'WWW-Authenticate': 'Basic realm="pulsatrix"' } };
    }
    const path = new URL(req.path, 'http://sim').pathname;
    const topic = path.startsWith(`${API_BASE}/`) ? path.slice(API_BASE.length + 1) : '';
    if (!(TOPICS as readonly string[]).includes(topic)) return { status: 404, text: 'Not Found' };
    if (req.method === 'GET') {
      const body = this.device.bodies()[topic as Topic];
      return { status: 200, text: toDeviceJson(body), headers: { 'Content-Type': 'application/json' } };
    }
    if (req.method === 'PUT' && topic === 'limits') {
      let body: Record<string, unknown>;
      try {
        body = parseDeviceJson(req.body);
      } catch (e) {
        return { status: 400, body: { error: (e as Error).message } };
      }
      const err = this.device.putLimits(body);
      if (err) return { status: 400, body: { error: err } };
      this.changed();
      return { status: 204 };
    }
    return { status: 405, text: 'Method Not Allowed' };
  }

  private authOk(header: string | undefined): boolean {
    if (!this.user && !this.token) return true;
    if (this.token && header === `Bearer ${this.token}`) return true;
    return this.user !== undefined && basicAuthOk(header, this.user, this.password);
  }

  // ---- WebSocket --------------------------------------------------------------------------------

  protected override attach(server: http.Server): void {
    const wss = new WebSocketServer({ noServer: true });
    this.wss = wss;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrades.push(req.headers.authorization);
      if (new URL(req.url ?? '/', 'http://sim').pathname !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (!this.authOk(req.headers.authorization)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.add(ws);
        ws.on('close', () => this.clients.delete(ws));
        ws.on('error', () => ws.terminate());
        ws.on('message', (data) => this.onCommand(data.toString()));
        // a new client gets every topic once, then changes
        const bodies = this.device.bodies();
        for (const t of TOPICS) ws.send(this.frame(t, bodies[t]));
      });
    });
  }

  protected override detach(): void {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
    this.wss?.close();
    this.wss = undefined;
  }

  private onCommand(text: string): void {
    const nl = text.indexOf('\n');
    const error =
      nl < 0
        ? `expected "<command>\\n<value>", got ${JSON.stringify(text.slice(0, 40))}`
        : this.device.command(text.slice(0, nl).trim(), text.slice(nl + 1));
    this.commands.push({ frame: text, error });
    if (this.commands.length > 5000) this.commands.splice(0, 1000);
    this.emit('command', text);
    this.changed();
  }

  private frame(topic: Topic, message: unknown): string {
    return `${this.framePrefix}${toDeviceJson({ topic, message })}`;
  }

  /** Pushes each topic whose body changed since the last push. */
  private changed(): void {
    const bodies = this.device.bodies();
    for (const t of TOPICS) {
      const text = toDeviceJson(bodies[t]);
      if (this.lastPushed[t] === text) continue;
      this.lastPushed[t] = text;
      const frame = this.frame(t, bodies[t]);
      for (const ws of this.clients) ws.send(frame);
    }
  }
}
