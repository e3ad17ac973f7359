import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import type { LogRecord } from '../core/logger.js';
import type { CommandResult, CommandSource } from '../core/set-command.js';

/** One frame on the page's socket (Zigbee2MQTT's shape: the MQTT topic without `<base>/`). */
export interface Frame {
  topic: string;
  payload: unknown;
}

/** A mode as the page offers it: usable (`reason` null) or disabled with the bridge's own words. */
export interface ModeChoice {
  mode: string;
  reason: string | null;
}

/** What the hub needs from the bridge: its state, and the command path MQTT uses. */
export interface HubDeps {
  bus: EventBus;
  clock: Clock;
  log: Logger;
  readOnly: boolean;
  devices(): readonly DeviceView[];
  /** The `bridge/info` payload (configuration without secrets). */
  info(): unknown;
  /** The `bridge/devices` payload. */
  deviceList(): unknown;
  /** The modes a charger's type offers, each with why it cannot be used (null = usable). */
  modeChoices(id: string): ModeChoice[] | undefined;
  /** A `/set` through the command path, with source `ui`. */
  set(id: string, raw: Record<string, unknown>, source: CommandSource): Promise<CommandResult>;
  /** `/get`: read now. */
  get(id: string): Promise<void>;
  /** `bridge/request/<cmd>`: the response body (`status`, `data`, `error`). */
  request(cmd: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** A charger's record on `<base>/<id>/session` (docs/sessions.md), or null before its first session. */
  session?(id: string): unknown;
}

/** The requests a page may send (`bridge/request/<cmd>`). */
export const PAGE_REQUESTS = ['health_check', 'charger/refresh', 'sessions'] as const;

/** Warnings and errors kept for pages that connect later. */
const BACKLOG = 100;
/** s between pings; a socket that did not answer the previous one is dropped. */
const PING_MS = 30_000;
/** A page this far behind (bytes queued) is dropped; it reconnects and gets a fresh snapshot. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** A frame from a page larger than this is refused (the MQTT side's /set limit). */
const MAX_FRAME = 64 * 1024;

interface Client {
  ws: WebSocket;
  alive: boolean;
}

/**
 * The page's live view of the bridge: on connect a snapshot (bridge info, devices, state, the
 * site, every device's state, availability and plan, the log backlog), then every change from
 * the same event bus the MQTT publishers listen to; commands from the page go through the same
 * command path as MQTT and are answered on the asking socket only (docs/web-interface.md).
 */
export class Hub {
  private readonly clients = new Set<Client>();
  private readonly backlog: Array<LogRecord & { time: string }> = [];
  private pingTimer?: TimerHandle;
  private infoTimer?: TimerHandle;

  constructor(private readonly deps: HubDeps) {}

  /** Listens to the bus and starts the pings. */
  start(): void {
    const { bus } = this.deps;
    bus.on(this, 'device.state', ({ id, state }) => this.broadcast({ topic: id, payload: state }));
    bus.on(this, 'device.plan', ({ id, plan }) => this.broadcast({ topic: `${id}/plan`, payload: plan }));
    bus.on(this, 'device.session', ({ id, session }) =>
      this.broadcast({ topic: `${id}/session`, payload: session }),
    );
    bus.on(this, 'device.availability', ({ id, online }) =>
      this.broadcast({ topic: `${id}/availability`, payload: { state: online ? 'online' : 'offline' } }),
    );
    // model or firmware learnt: bridge/info and bridge/devices again, once per burst
    bus.on(this, 'device.info', () => {
      if (this.infoTimer) return;
      this.infoTimer = this.deps.clock.setTimeout(() => {
        this.infoTimer = undefined;
        this.broadcast({ topic: 'bridge/info', payload: this.deps.info() });
        this.broadcast({ topic: 'bridge/devices', payload: this.devicesPayload() });
      }, 500);
    });
    this.schedulePing();
  }

  /** Says offline to every page, closes the sockets, stops listening. */
  stop(): void {
    this.deps.bus.off(this);
    this.deps.clock.clearTimeout(this.pingTimer);
    this.deps.clock.clearTimeout(this.infoTimer);
    this.broadcast({ topic: 'bridge/state', payload: { state: 'offline' } });
    for (const c of this.clients) c.ws.close(1001, 'bridge stopping');
    this.clients.clear();
  }

  /** Number of open page sockets. */
  get size(): number {
    return this.clients.size;
  }

  /** A warn/error log record: kept (last 100) and sent to every page. */
  log(record: LogRecord): void {
    const r = { ...record, time: new Date(this.deps.clock.now()).toISOString() };
    this.backlog.push(r);
    if (this.backlog.length > BACKLOG) this.backlog.shift();
    this.broadcast({ topic: 'bridge/logging', payload: r });
  }

  /** A new page socket: the snapshot, then live frames and its commands. */
  add(ws: WebSocket): void {
    const client: Client = { ws, alive: true };
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.on('message', (data, isBinary) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      if (isBinary || size > MAX_FRAME) {
        this.send(client, {
          topic: 'error',
          payload: { error: `frames are JSON text of at most ${MAX_FRAME} bytes`, topic: null },
        });
        return;
      }
      void this.onFrame(client, data.toString());
    });
    for (const f of this.snapshot()) this.send(client, f);
  }

  /** The frames a page gets on connect. */
  snapshot(): Frame[] {
    const frames: Frame[] = [
      { topic: 'bridge/info', payload: this.deps.info() },
      { topic: 'bridge/devices', payload: this.devicesPayload() },
      { topic: 'bridge/state', payload: { state: 'online' } },
    ];
    const devices = this.deps.devices();
    // the site first, as on MQTT readers' screens: it is the page's top strip
    const ordered = [
      ...devices.filter((d) => d.kind === 'site'),
      ...devices.filter((d) => d.kind !== 'site'),
    ];
    for (const d of ordered) {
      if (Object.keys(d.current).length > 0) frames.push({ topic: d.id, payload: d.current });
      if (d.kind !== 'site' && d.attempted)
        frames.push({ topic: `${d.id}/availability`, payload: { state: d.online ? 'online' : 'offline' } });
      if (d.plan) frames.push({ topic: `${d.id}/plan`, payload: d.plan });
      const session = d.kind === 'charger' ? this.deps.session?.(d.id) : null;
      if (session) frames.push({ topic: `${d.id}/session`, payload: session });
    }
    for (const r of this.backlog) frames.push({ topic: 'bridge/logging', payload: r });
    return frames;
  }

  /**
   * bridge/devices with, for the page only: model, each entity's label, unit and range (the
   * catalog), the mode choices, and whether the page may command.
   */
  private devicesPayload(): unknown {
    const list = this.deps.deviceList();
    if (!Array.isArray(list)) return list;
    const views = new Map(this.deps.devices().map((d) => [d.id, d]));
    return list.map((d: Record<string, unknown>) => {
      const id = typeof d.id === 'string' ? d.id : '';
      const view = views.get(id);
      const modes = this.deps.modeChoices(id);
      return {
        ...d,
        ...(view
          ? { manufacturer: view.info.manufacturer, model: view.info.model, entities: entitiesOf(view) }
          : {}),
        ...(modes ? { modes } : {}),
        read_only: this.deps.readOnly,
      };
    });
  }

  private async onFrame(client: Client, text: string): Promise<void> {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      this.send(client, {
        topic: 'error',
        payload: { error: `malformed JSON (${(e as Error).message})`, topic: null },
      });
      return;
    }
    const f = frame as Partial<Frame> | null;
    const topic = typeof f === 'object' && f !== null && typeof f.topic === 'string' ? f.topic : null;
    const refuse = (error: string) => this.send(client, { topic: 'error', payload: { error, topic } });
    if (topic === null) return refuse('a frame is {"topic": …, "payload": …}');
    const payload = f!.payload ?? {};
    const body =
      typeof payload === 'object' && payload !== null && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : null;
    const req = /^bridge\/request\/(.+)$/.exec(topic);
    if (req) {
      const cmd = req[1]!;
      if (!(PAGE_REQUESTS as readonly string[]).includes(cmd))
        return refuse(`request "${cmd}" is not allowed from the page; allowed: ${PAGE_REQUESTS.join(', ')}`);
      const { transaction, ...data } = body ?? {};
      const out = await this.deps.request(cmd, data);
      if (transaction !== undefined) out.transaction = transaction;
      return this.send(client, { topic: `bridge/response/${cmd}`, payload: out });
    }
    const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\/(set|get)$/.exec(topic);
    const device = m && m[1] !== 'bridge' ? this.deps.devices().find((d) => d.id === m[1]) : undefined;
    if (!m || !device)
      return refuse(
        `topic "${topic}" is not allowed from the page; allowed: <charger id>/set, <charger id>/get, site/set, bridge/request/<${PAGE_REQUESTS.join('|')}>`,
      );
    if (m[2] === 'get') {
      await this.deps.get(device.id).catch(() => undefined);
      return;
    }
    const { transaction, ...raw } = body ?? {};
    let result: CommandResult;
    if (!device.set) result = { status: 'error', error: `${device.id} takes no commands` };
    else if (this.deps.readOnly)
      result = {
        status: 'error',
        error: 'this page is read-only (frontend.read_only): commands are refused',
      };
    else if (!body)
      result = { status: 'error', error: 'expected a JSON object such as {"charge_current": 16}' };
    else result = await this.deps.set(device.id, raw, 'ui');
    const out: Record<string, unknown> =
      result.status === 'ok' ? { status: 'ok', data: result.data } : { status: 'error', error: result.error };
    if (transaction !== undefined) out.transaction = transaction;
    this.send(client, { topic: `${device.id}/response`, payload: out });
  }

  private broadcast(frame: Frame): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(frame);
    for (const c of this.clients) this.sendText(c, text);
  }

  private send(client: Client, frame: Frame): void {
    this.sendText(client, JSON.stringify(frame));
  }

  private sendText(client: Client, text: string): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount > MAX_BUFFERED) {
      this.deps.log.warn('a web page fell too far behind; its socket was dropped (it reconnects)');
      this.clients.delete(client);
      client.ws.terminate();
      return;
    }
    client.ws.send(text);
  }

  private schedulePing(): void {
    this.pingTimer = this.deps.clock.setTimeout(() => {
      for (const c of this.clients) {
        if (!c.alive) {
          this.clients.delete(c);
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
      this.schedulePing();
    }, PING_MS);
  }
}

/** A device's entities as the page shows them (label, unit, kind, writable, range, options). */
export function entitiesOf(d: DeviceView): Array<Record<string, unknown>> {
  return d.entities.map((e) => {
    const writable = e.writable?.(d.ctx) === true;
    return {
      key: e.key,
      label: e.label,
      kind: e.kind,
      ...(e.unit ? { unit: e.unit } : {}),
      writable,
      ...(writable && e.range ? { range: e.range(d.ctx) } : {}),
      ...(e.options ? { options: e.options(d.ctx) } : {}),
    };
  });
}
