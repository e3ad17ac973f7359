import type { DeviceView } from '../core/device.js';
import type { CommandResult, CommandSource } from '../core/set-command.js';
import { show } from '../core/values.js';
import type { Incoming } from '../mqtt/connection.js';
import { TopicRules } from '../mqtt/topic-guard.js';
import { json, type PublisherContext } from './context.js';

/** A bridge request handler: returns data, or throws an Error whose message is the error. */
export type BridgeRequestHandler = (body: Record<string, unknown>) => Promise<Record<string, unknown>>;

const EXAMPLE = 'send a JSON object such as {"charge_current": 16}';

/**
 * Inbound commands (docs/mqtt-api.md#command-rules): `<id>/set`, `<id>/set/<key>`, `<id>/get` and
 * `bridge/request/<cmd>`. Retained commands are ignored (logged once per topic); results go to
 * `<id>/response` (and to an MQTT 5 Response Topic with its Correlation Data).
 */
export class CommandRouter {
  private readonly warnedRetained = new Set<string>();
  private readonly requests = new Map<string, BridgeRequestHandler>();
  private readonly rules: TopicRules;

  constructor(private readonly ctx: PublisherContext) {
    this.rules = new TopicRules(ctx.cfg);
  }

  /** Registers `bridge/request/<cmd>`. */
  addRequest(cmd: string, handler: BridgeRequestHandler): void {
    this.requests.set(cmd, handler);
  }

  /** Subscription filters for commands. */
  filters(): string[] {
    const b = this.ctx.cfg.mqtt.base_topic;
    return [`${b}/+/set`, `${b}/+/set/+`, `${b}/+/get`, `${b}/bridge/request/#`];
  }

  /** Handles `msg` if it is a command; returns whether it was one. */
  handle(msg: Incoming): boolean {
    const base = `${this.ctx.cfg.mqtt.base_topic}/`;
    if (!msg.topic.startsWith(base)) return false;
    const parts = msg.topic.slice(base.length).split('/');
    const isRequest = parts[0] === 'bridge' && parts[1] === 'request' && parts.length > 2;
    const isSet = parts.length >= 2 && parts.length <= 3 && parts[1] === 'set' && parts[0] !== 'bridge';
    const isGet = parts.length === 2 && parts[1] === 'get' && parts[0] !== 'bridge';
    if (!isRequest && !isSet && !isGet) return false;
    if (msg.retain) {
      if (!this.warnedRetained.has(msg.topic)) {
        this.warnedRetained.add(msg.topic);
        this.ctx.log.warn(
          { topic: msg.topic },
          `ignored a retained command on ${msg.topic} (a replayed command is a hazard); clear it with an empty retained message`,
        );
      }
      return true;
    }
    if (msg.payload.length === 0 && isSet) return true; // an empty message clears a retained one; nothing to do
    if (isRequest) void this.request(parts.slice(2).join('/'), msg);
    else if (isGet) void this.get(parts[0]!);
    else void this.set(parts[0]!, parts[2], msg);
    return true;
  }

  /** Publishes a `/set` result on `<id>/response` (and the MQTT 5 response topic). */
  respond(id: string, result: CommandResult, transaction?: unknown, msg?: Incoming): void {
    const body: Record<string, unknown> =
      result.status === 'ok' ? { status: 'ok', data: result.data } : { status: 'error', error: result.error };
    if (transaction !== undefined) body.transaction = transaction;
    this.reply(`${this.ctx.cfg.mqtt.base_topic}/${id}/response`, body, msg);
  }

  private async set(id: string, key: string | undefined, msg: Incoming): Promise<void> {
    const device = this.ctx.device(id);
    if (!device?.set) {
      this.ctx.log.warn({ topic: msg.topic }, `command for unknown device "${id}" ignored`);
      return;
    }
    const text = msg.payload.toString('utf8');
    let raw: Record<string, unknown>;
    let transaction: unknown;
    if (key !== undefined) {
      raw = { [key]: parseRaw(text) };
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        this.respond(
          id,
          { status: 'error', error: `malformed JSON (${(e as Error).message}); ${EXAMPLE}` },
          undefined,
          msg,
        );
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        this.respond(
          id,
          { status: 'error', error: `expected a JSON object, got ${show(parsed)}; ${EXAMPLE}` },
          undefined,
          msg,
        );
        return;
      }
      ({ transaction, ...raw } = parsed as Record<string, unknown>);
    }
    const result = await this.run(device, raw, key !== undefined);
    this.respond(id, result, transaction, msg);
  }

  /** A `/set` from another source (the web page): same validation, the result returned, nothing published. */
  async command(id: string, raw: Record<string, unknown>, source: CommandSource): Promise<CommandResult> {
    const device = this.ctx.device(id);
    if (!device?.set) return { status: 'error', error: `unknown device "${id}"` };
    return this.run(device, raw, false, source);
  }

  /** A `/get` from another source: read the device now. */
  read(id: string): Promise<void> {
    return this.get(id);
  }

  /** A `bridge/request/<cmd>` from another source: the response body (without transaction), nothing published. */
  async answer(cmd: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const handler = this.requests.get(cmd);
    if (!handler)
      return {
        status: 'error',
        data: {},
        error: `unknown request "${cmd}"; known: ${[...this.requests.keys()].join(', ')}`,
      };
    try {
      return { status: 'ok', data: await handler(data) };
    } catch (e) {
      return { status: 'error', data: {}, error: (e as Error).message };
    }
  }

  private async run(
    device: DeviceView,
    raw: Record<string, unknown>,
    rawTopic: boolean,
    source: CommandSource = 'mqtt',
  ): Promise<CommandResult> {
    try {
      return await device.set!(raw, { source, rawTopic });
    } catch (e) {
      this.ctx.log.error({ err: (e as Error).message, device: device.id }, 'command failed unexpectedly');
      return { status: 'error', error: `internal error: ${(e as Error).message}` };
    }
  }

  private async get(id: string): Promise<void> {
    const device = this.ctx.device(id);
    if (!device?.refresh) return;
    await device
      .refresh()
      .catch((e: Error) => this.ctx.log.debug({ err: e.message, device: id }, '/get read failed'));
  }

  private async request(cmd: string, msg: Incoming): Promise<void> {
    const topic = `${this.ctx.cfg.mqtt.base_topic}/bridge/response/${cmd}`;
    const text = msg.payload.toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
    } catch {
      // Zigbee2MQTT accepts bare strings too; handlers check what they need
    }
    const { transaction, ...data } = body;
    const handler = this.requests.get(cmd);
    const out: Record<string, unknown> = {};
    if (!handler) {
      Object.assign(out, {
        status: 'error',
        data: {},
        error: `unknown request ${show(cmd)}; known: ${[...this.requests.keys()].join(', ')}`,
      });
    } else {
      try {
        Object.assign(out, { status: 'ok', data: await handler(data) });
      } catch (e) {
        Object.assign(out, { status: 'error', data: {}, error: (e as Error).message });
      }
    }
    if (transaction !== undefined) out.transaction = transaction;
    this.reply(topic, out, msg);
  }

  private reply(topic: string, body: Record<string, unknown>, msg?: Incoming): void {
    const payload = json(body);
    void this.ctx.conn.publish(topic, payload, { retain: false });
    // a Response Topic outside <base>/ (or on the bridge's own topics) is not followed: the bridge
    // must not become a relay that writes wherever an anonymous client points it
    if (msg?.responseTopic && !this.rules.followsResponseTopic(msg.responseTopic))
      this.ctx.log.debug(
        { response_topic: msg.responseTopic },
        'response topic outside the base topic; not followed',
      );
    else if (msg?.responseTopic) {
      void this.ctx.conn.publish(msg.responseTopic, payload, {
        retain: false,
        ...(msg.correlationData ? { properties: { correlationData: msg.correlationData } } : {}),
      });
    }
  }
}

/** A raw `/set/<key>` value: JSON when it parses (16, true, "solar"), else the text itself (ON, solar). */
export function parseRaw(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}
