import { sleep } from '../core/clock.js';
import { haInstance, homieInstance } from '../core/naming.js';
import type { Incoming } from '../mqtt/connection.js';
import type { PublisherContext } from './context.js';

/** What the bridge publishes now, to tell its stale retained topics from current ones. */
export interface Wanted {
  /** Device ids with topics under `<base>/` (chargers, meters, and `site` when it exists). */
  ids: ReadonlySet<string>;
  /** Discovery config topics (empty when HA is off). */
  discovery: ReadonlySet<string>;
  /** Homie device ids (empty when Homie is off). */
  homie: ReadonlySet<string>;
}

/** Retained suffixes the bridge publishes under `<base>/<id>`. */
const DEVICE_SUFFIXES = ['', '/availability', '/plan', '/session'];

/**
 * Start-up read of the bridge's own retained topics (docs/mqtt-api.md) and the clean-up after it:
 * removed chargers and meters, and integrations switched off, are cleared with empty retained
 * messages. Only topics this bridge owns are touched: `<base>/…`, discovery configs whose
 * availability points at `<base>/bridge/state`, and Homie devices whose `$implementation` names
 * `<base>` (two bridges with different base topics never touch each other's topics).
 */
export class RetainedSweep {
  /** Retained messages seen, by topic. */
  readonly retained = new Map<string, string>();

  constructor(private readonly ctx: PublisherContext) {}

  /** Filters to subscribe during the read window. */
  filters(): string[] {
    const { cfg } = this.ctx;
    return [
      `${cfg.mqtt.base_topic}/#`,
      `${cfg.homeassistant.discovery_topic}/+/+/+/config`,
      `${cfg.homie.base_topic}/+/$state`,
      `${cfg.homie.base_topic}/+/$implementation`,
    ];
  }

  /** Collects one message during the window (only retained ones count). */
  collect(msg: Incoming): void {
    if (!msg.retain || msg.payload.length === 0) return;
    this.retained.set(msg.topic, msg.payload.toString('utf8'));
  }

  /** Retained discovery configs this bridge owns (to publish only what changed). */
  ownDiscovery(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [topic, payload] of this.retained)
      if (this.isOwnDiscovery(topic, payload)) out.set(topic, payload);
    return out;
  }

  /** Clears what is stale; returns the cleared topics. */
  async sweep(wanted: Wanted): Promise<string[]> {
    const { cfg, conn } = this.ctx;
    const base = cfg.mqtt.base_topic;
    const cleared: string[] = [];
    const clear = async (topic: string) => {
      cleared.push(topic);
      await conn.publish(topic, '', { retain: true });
    };
    const jobs: Array<Promise<void>> = [];
    const homieRoot = `${cfg.homie.base_topic}/`;
    const homieInst = `${homieInstance(base)}-`;
    const staleHomie = new Set<string>();
    for (const [topic, payload] of this.retained) {
      if (topic.startsWith(`${base}/`)) {
        const rest = topic.slice(base.length + 1);
        const id = rest.split('/')[0]!;
        if (id === 'bridge' || wanted.ids.has(id)) continue;
        if (DEVICE_SUFFIXES.some((s) => rest === `${id}${s}`)) jobs.push(clear(topic));
      } else if (topic.startsWith(`${cfg.homeassistant.discovery_topic}/`) && topic.endsWith('/config')) {
        if (this.isOwnDiscovery(topic, payload) && !wanted.discovery.has(topic)) jobs.push(clear(topic));
      } else if (topic.startsWith(homieRoot)) {
        const dev = topic.slice(homieRoot.length).split('/')[0]!;
        if (!dev.startsWith(homieInst) || wanted.homie.has(dev)) continue;
        const impl = this.retained.get(`${homieRoot}${dev}/$implementation`);
        if (impl === undefined || impl.endsWith(`(${base})`)) staleHomie.add(dev);
      }
    }
    await Promise.all(jobs);
    for (const dev of staleHomie) cleared.push(...(await this.clearHomieDevice(dev)));
    if (cleared.length > 0)
      this.ctx.log.info(
        { count: cleared.length },
        'cleared retained topics of removed devices and switched-off integrations',
      );
    return cleared;
  }

  private isOwnDiscovery(topic: string, payload: string): boolean {
    const { cfg } = this.ctx;
    const node = topic.slice(cfg.homeassistant.discovery_topic.length + 1).split('/')[1] ?? '';
    if (!node.startsWith(`${haInstance(cfg.mqtt.base_topic)}_`)) return false;
    try {
      const p = JSON.parse(payload) as { availability?: Array<{ topic?: string }>; state_topic?: string };
      const bridgeState = `${cfg.mqtt.base_topic}/bridge/state`;
      return p.availability?.[0]?.topic === bridgeState || p.state_topic === bridgeState;
    } catch {
      return false;
    }
  }

  /** Collects a removed Homie device's retained topics for a moment, then clears them ($state first). */
  private async clearHomieDevice(dev: string): Promise<string[]> {
    const { cfg, conn, clock } = this.ctx;
    const filter = `${cfg.homie.base_topic}/${dev}/#`;
    const topics = new Set<string>();
    const onMessage = (m: Incoming) => {
      if (m.retain && m.payload.length > 0 && m.topic.startsWith(`${cfg.homie.base_topic}/${dev}/`))
        topics.add(m.topic);
    };
    conn.on('message', onMessage);
    await conn.subscribe([filter]);
    await sleep(clock, 1000);
    // a large tree may still be streaming in (a loaded broker): go on while a quarter second brings news
    for (let seen = -1; seen !== topics.size; ) {
      seen = topics.size;
      await sleep(clock, 250);
    }
    conn.off('message', onMessage);
    await conn.unsubscribe([filter]);
    const state = `${cfg.homie.base_topic}/${dev}/$state`;
    const ordered = [state, ...[...topics].filter((t) => t !== state)];
    for (const t of ordered) await conn.publish(t, '', { retain: true });
    this.ctx.log.debug({ device: dev, topics: ordered.length }, 'removed Homie device cleared');
    return ordered;
  }
}
