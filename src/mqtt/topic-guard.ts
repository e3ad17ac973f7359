import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { haInstance, homieInstance } from '../core/naming.js';

/** The largest payload the bridge decodes on `/set`, meter, request and status topics, bytes. */
export const MAX_INPUT_BYTES = 64 * 1024;
/** The largest price list on the tariff topic, bytes. */
export const MAX_PRICE_LIST_BYTES = 1024 * 1024;
/** The largest payload the embedded broker takes on a topic the bridge does not read, bytes. */
export const MAX_OTHER_BYTES = 8 * 1024 * 1024;
/** MQTT 5 Maximum Packet Size asked of a broker: the largest payload plus room for topic and properties. */
export const MAX_PACKET_BYTES = MAX_PRICE_LIST_BYTES + 64 * 1024;

/**
 * Which topics are the bridge's own (README, "Hostile input"): the inputs it decodes, with their
 * size limits, and the outputs nobody else may publish on its embedded broker.
 */
export class TopicRules {
  private readonly base: string;
  private readonly inputs: ReadonlySet<string>;
  private readonly discoveryPrefix: string;
  private readonly haNodes: ReadonlySet<string>;
  private readonly homieRoot: string;
  private readonly homieDevices: ReadonlySet<string>;

  constructor(private readonly cfg: Config) {
    this.base = `${cfg.mqtt.base_topic}/`;
    this.inputs = new Set(
      [...cfg.meters.flatMap((m) => [m.topic, m.availability_topic]), cfg.homeassistant.status_topic].filter(
        (t): t is string => typeof t === 'string',
      ),
    );
    const ids = [...cfg.chargers.map((c) => c.id), ...cfg.meters.map((m) => m.id), 'site'];
    const ha = haInstance(cfg.mqtt.base_topic);
    this.discoveryPrefix = `${cfg.homeassistant.discovery_topic}/`;
    this.haNodes = new Set([...ids, 'bridge'].map((id) => `${ha}_${id}`));
    this.homieRoot = `${cfg.homie.base_topic}/`;
    const homie = homieInstance(cfg.mqtt.base_topic);
    this.homieDevices = new Set(ids.map((id) => `${homie}-${id}`));
  }

  /** The largest payload the bridge accepts on `topic`, bytes; null for its own retained state (read, never decoded). */
  limit(topic: string, retained: boolean): number | null {
    if (topic === this.cfg.tariff?.topic) return MAX_PRICE_LIST_BYTES;
    if (retained && topic.startsWith(this.base) && !this.isCommand(topic)) return null;
    return MAX_INPUT_BYTES;
  }

  /** The largest payload the embedded broker takes from a client on `topic`, bytes. */
  brokerLimit(topic: string): number {
    if (topic === this.cfg.tariff?.topic) return MAX_PRICE_LIST_BYTES;
    if (this.inputs.has(topic) || this.isCommand(topic) || this.isHomieSet(topic)) return MAX_INPUT_BYTES;
    return MAX_OTHER_BYTES;
  }

  /** A command topic: `<base>/<id>/set`, `<base>/<id>/set/<key>`, `<base>/<id>/get`, `<base>/bridge/request/<cmd>`. */
  isCommand(topic: string): boolean {
    if (!topic.startsWith(this.base)) return false;
    const parts = topic.slice(this.base.length).split('/');
    if (parts[0] === 'bridge') return parts[1] === 'request' && parts.length > 2;
    if (parts[1] === 'set') return parts.length === 2 || parts.length === 3;
    return parts[1] === 'get' && parts.length === 2;
  }

  /**
   * A topic the bridge publishes itself: `<base>/bridge/…` (but requests), `<base>/<id>` and its
   * availability, plan, response and session, its discovery configs and its Homie trees (but `/set`).
   */
  isOwnOutput(topic: string): boolean {
    if (this.inputs.has(topic) || topic === this.cfg.tariff?.topic) return false;
    if (topic.startsWith(this.base)) {
      if (this.isCommand(topic)) return false;
      const parts = topic.slice(this.base.length).split('/');
      if (parts[0] === 'bridge' || parts.length === 1) return true;
      return parts.length === 2 && OWN_SUFFIXES.has(parts[1]!);
    }
    if (topic.startsWith(this.discoveryPrefix) && topic.endsWith('/config'))
      return this.haNodes.has(topic.slice(this.discoveryPrefix.length).split('/')[1] ?? '');
    if (topic.startsWith(this.homieRoot))
      return (
        !topic.endsWith('/set') && this.homieDevices.has(topic.slice(this.homieRoot.length).split('/')[0]!)
      );
    return false;
  }

  /** An MQTT 5 Response Topic the bridge follows: under `<base>/`, and neither a command nor its own output. */
  followsResponseTopic(topic: string): boolean {
    return (
      topic.startsWith(this.base) &&
      !topic.includes('+') &&
      !topic.includes('#') &&
      !this.isCommand(topic) &&
      !this.isOwnOutput(topic)
    );
  }

  private isHomieSet(topic: string): boolean {
    return topic.startsWith(this.homieRoot) && topic.endsWith('/set');
  }
}

/** `<base>/<id>/<suffix>` topics the bridge publishes. */
const OWN_SUFFIXES: ReadonlySet<string> = new Set(['availability', 'plan', 'response', 'session']);

/** How often a flood of refused input is logged at warn (the rest at debug), ms. */
const WARN_EVERY_MS = 10_000;

/**
 * Logs refused input without becoming an amplifier itself: warn lines also go to `bridge/logging`,
 * so at most one per 10 s says how many more were refused since; the rest are debug lines.
 */
export class RefusalLog {
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private quiet = 0;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Logs one refusal with its facts (topic, size…). */
  refused(facts: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.quiet += 1;
      this.log.debug(facts, message);
      return;
    }
    this.lastWarnAt = now;
    const more = this.quiet;
    this.quiet = 0;
    this.log.warn(more > 0 ? { ...facts, refused_since_last_warning: more } : facts, message);
  }
}

/** Drops oversized MQTT input before it is decoded, with a log line naming topic and size. */
export class PayloadGuard {
  private readonly refusals: RefusalLog;

  constructor(
    private readonly rules: TopicRules,
    clock: Clock,
    log: Logger,
  ) {
    this.refusals = new RefusalLog(clock, log);
  }

  /** True when `payload` on `topic` may be decoded. */
  accept(topic: string, payload: Buffer, retained: boolean): boolean {
    const limit = this.rules.limit(topic, retained);
    if (limit === null || payload.length <= limit) return true;
    this.refusals.refused(
      { topic, bytes: payload.length, limit_bytes: limit },
      `dropped a ${payload.length}-byte message on ${topic}: over the ${limit / 1024} KiB limit for that topic`,
    );
    return false;
  }
}
