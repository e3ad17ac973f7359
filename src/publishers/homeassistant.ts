import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Config } from '../config/types.js';
import type { DeviceView } from '../core/device.js';
import type { ChargerContext, EntityDef, HaComponent } from '../core/entities.js';
import { haInstance, PRODUCT } from '../core/naming.js';
import { HOMEPAGE, VERSION } from '../core/version.js';
import { sessionEntities } from '../sessions/ha-session.js';
import { json, type PublisherContext } from './context.js';
import { planEntities } from './ha-plan.js';

/** One discovery message. */
export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

const MANUFACTURER_BRIDGE = 'evse2mqtt';

/**
 * Home Assistant MQTT discovery (docs/mqtt-api.md) built from the entity catalog: per-entity topics
 * `<prefix>/<component>/<instance>_<id>/<key>/config`, retained, QoS 1.
 */
export function deviceDiscovery(cfg: Config, d: DeviceView): DiscoveryMessage[] {
  const base = cfg.mqtt.base_topic;
  const inst = haInstance(base);
  const node = `${inst}_${d.id}`;
  const device = {
    identifiers: [node],
    name: d.name,
    manufacturer: d.info.manufacturer,
    model: d.info.model,
    ...(d.info.sw_version ? { sw_version: d.info.sw_version } : {}),
    ...(d.info.serial ? { serial_number: d.info.serial } : {}),
    via_device: `${inst}_bridge`,
  };
  const availability = [
    { topic: `${base}/bridge/state`, value_template: '{{ value_json.state }}' },
    { topic: `${base}/${d.id}/availability`, value_template: '{{ value_json.state }}' },
  ];
  const entities = d.entities.map((e) => {
    const writable = e.writable?.(d.ctx) === true;
    const component: HaComponent = writable && e.ha.writable ? e.ha.writable : e.ha.component;
    const payload: Record<string, unknown> = {
      name: e.label,
      unique_id: `${node}_${e.key}`,
      default_entity_id: `${component}.${entityStem(base, d.id)}_${e.key}`.replace(/-/g, '_'),
      device,
      origin: origin(),
      availability,
      availability_mode: 'all',
      state_topic: `${base}/${d.id}`,
      qos: 1,
      ...shape(e, component, d),
    };
    if (writable) payload.command_topic = `${base}/${d.id}/set/${e.key}`;
    if (e.ha.entity_category) payload.entity_category = e.ha.entity_category;
    if (e.ha.icon && !e.ha.device_class) payload.icon = e.ha.icon;
    return { topic: `${cfg.homeassistant.discovery_topic}/${component}/${node}/${e.key}/config`, payload };
  });
  if (d.kind !== 'charger') return entities;
  const common = { device, origin: origin(), availability, availability_mode: 'all', qos: 1 };
  const smart = (d.ctx as ChargerContext).modes.includes('smart');
  const hasGrid = cfg.meters.some((m) => m.role === 'grid');
  const plan = [
    ...(smart ? planEntities(base, d.id, currency(cfg)) : []),
    // announced once the charger has a session: HA entities need their state topic published
    ...(d.session ? sessionEntities(base, d.id, currency(cfg), hasGrid) : []),
  ].map(({ component, key, config }) => ({
    topic: `${cfg.homeassistant.discovery_topic}/${component}/${node}/${key}/config`,
    payload: {
      unique_id: `${node}_${key}`,
      default_entity_id: `${component}.${entityStem(base, d.id)}_${key}`.replace(/-/g, '_'),
      ...common,
      ...config,
    },
  }));
  return [...entities, ...plan];
}

/** The tariff currency, null without a tariff. */
function currency(cfg: Config): string | null {
  return cfg.tariff?.currency ?? null;
}

/** The bridge's own HA device: connection state and version. */
export function bridgeDiscovery(cfg: Config): DiscoveryMessage[] {
  const base = cfg.mqtt.base_topic;
  const inst = haInstance(base);
  const node = `${inst}_bridge`;
  const device = {
    identifiers: [node],
    name: base === 'evse2mqtt' ? 'evse2mqtt bridge' : `evse2mqtt bridge (${base})`,
    manufacturer: MANUFACTURER_BRIDGE,
    model: 'Bridge',
    sw_version: VERSION,
    // the web page's public address: HA's "Visit" link on the bridge device
    ...(cfg.frontend?.url ? { configuration_url: cfg.frontend.url } : {}),
  };
  const prefix = cfg.homeassistant.discovery_topic;
  return [
    {
      topic: `${prefix}/binary_sensor/${node}/connection_state/config`,
      payload: {
        name: 'Connection state',
        unique_id: `${node}_connection_state`,
        default_entity_id: `binary_sensor.${inst}_bridge_connection_state`,
        device,
        origin: origin(),
        state_topic: `${base}/bridge/state`,
        value_template: '{{ value_json.state }}',
        payload_on: 'online',
        payload_off: 'offline',
        device_class: 'connectivity',
        entity_category: 'diagnostic',
        qos: 1,
      },
    },
    {
      topic: `${prefix}/sensor/${node}/version/config`,
      payload: {
        name: 'Version',
        unique_id: `${node}_version`,
        default_entity_id: `sensor.${inst}_bridge_version`,
        device,
        origin: origin(),
        availability: [{ topic: `${base}/bridge/state`, value_template: '{{ value_json.state }}' }],
        state_topic: `${base}/bridge/info`,
        value_template: '{{ value_json.version }}',
        entity_category: 'diagnostic',
        icon: 'mdi:information-outline',
        qos: 1,
      },
    },
  ];
}

/** `<id>` with the default base, `<instance>_<id>` otherwise (docs/mqtt-api.md#home-assistant-discovery). */
function entityStem(base: string, id: string): string {
  return base === 'evse2mqtt' ? id : `${haInstance(base)}_${id}`;
}

/** `origin`: `support_url` only when package.json has a `homepage` (never an invented address). */
function origin(): Record<string, string> {
  return { name: PRODUCT.name, sw_version: VERSION, ...(HOMEPAGE ? { support_url: HOMEPAGE } : {}) };
}

// biome-ignore lint/suspicious/noExplicitAny: the entity's context is the device's own
function shape(e: EntityDef<any>, component: HaComponent, d: DeviceView): Record<string, unknown> {
  const key = e.key;
  switch (component) {
    case 'binary_sensor':
    case 'switch':
      return {
        value_template: `{{ 'ON' if value_json.${key} else 'OFF' }}`,
        ...(e.ha.device_class ? { device_class: e.ha.device_class } : {}),
      };
    case 'number': {
      const r = e.range?.(d.ctx);
      return {
        // a value outside the range (a device adopted above max_current; `error` says why) is
        // unknown: HA's number entity refuses it with an error at every message
        value_template: r
          ? `{{ value_json.${key} if value_json.${key} is number and value_json.${key} >= ${r.min} and value_json.${key} <= ${r.max} else None }}`
          : `{{ value_json.${key} }}`,
        ...(r ? { min: r.min, max: r.max, step: r.step } : {}),
        mode: 'box',
        ...(e.unit ? { unit_of_measurement: e.unit } : {}),
        ...(e.ha.device_class ? { device_class: e.ha.device_class } : {}),
      };
    }
    case 'select':
      return { value_template: `{{ value_json.${key} }}`, options: [...(e.options?.(d.ctx) ?? [])] };
    case 'text':
      return { value_template: `{{ value_json.${key} }}` };
    case 'sensor': {
      const out: Record<string, unknown> = { value_template: `{{ value_json.${key} }}` };
      if (e.ha.device_class) out.device_class = e.ha.device_class;
      if (e.ha.device_class === 'enum') out.options = [...(e.options?.(d.ctx) ?? [])];
      else if (e.kind === 'number') {
        if (e.unit) out.unit_of_measurement = e.unit;
        if (e.ha.state_class) out.state_class = e.ha.state_class;
        if (e.ha.precision !== undefined) out.suggested_display_precision = e.ha.precision;
      }
      return out;
    }
  }
}

/**
 * Publishes discovery for every device and the bridge; on start only what differs from the
 * retained configs read back (Zigbee2MQTT does the same), everything again on HA's birth message.
 */
export class HomeAssistantPublisher {
  /** What each discovery topic holds, as a digest: the payloads themselves were ~30 MB at 1000 chargers. */
  private published = new Map<string, string>();
  /** Chargers whose session entities are announced. */
  private readonly withSession = new Set<string>();
  /**
   * Discovery publishes in flight at once. At 1000 chargers start-up publishes ~30 000 configs:
   * all at once they sat in the client's and the broker's buffers together and set the process's
   * peak memory (BENCHMARKS.md).
   */
  private readonly limit = pLimit(64);

  constructor(private readonly ctx: PublisherContext) {}

  start(): void {
    // only the device whose info changed: recomputing every device's discovery here made start-up
    // quadratic in the number of chargers (BENCHMARKS.md, 1000 chargers)
    this.ctx.bus.on(this, 'device.info', ({ id }) => void this.publishDevice(id));
    // a charger's first session adds its session entities (docs/sessions.md)
    this.ctx.bus.on(this, 'device.session', ({ id, session }) => {
      if (session && !this.withSession.has(id)) void this.publishDevice(id);
    });
  }

  stop(): void {
    this.ctx.bus.off(this);
  }

  /** Every discovery message this bridge wants, by topic. */
  wanted(): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of bridgeDiscovery(this.ctx.cfg)) out.set(m.topic, json(m.payload));
    for (const d of this.ctx.devices()) {
      if (d.session) this.withSession.add(d.id);
      for (const m of deviceDiscovery(this.ctx.cfg, d)) out.set(m.topic, json(m.payload));
    }
    return out;
  }

  /** Seeds what the broker already holds (retained configs read at start). */
  seed(retained: ReadonlyMap<string, string>): void {
    this.published = new Map([...retained].map(([topic, payload]) => [topic, digest(payload)]));
  }

  /** Publishes the configs that changed (all when `force`). */
  publishAll(force: boolean): Promise<void> {
    return this.publishChanged(this.wanted(), force);
  }

  /** Publishes the changed configs of one device (its info changed). */
  publishDevice(id: string): Promise<void> {
    const d = this.ctx.device(id);
    if (!d) return Promise.resolve();
    if (d.session) this.withSession.add(id);
    const configs = new Map(deviceDiscovery(this.ctx.cfg, d).map((m) => [m.topic, json(m.payload)] as const));
    return this.publishChanged(configs, false);
  }

  private async publishChanged(configs: ReadonlyMap<string, string>, force: boolean): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const [topic, payload] of configs) {
      const d = digest(payload);
      if (!force && this.published.get(topic) === d) continue;
      this.published.set(topic, d);
      jobs.push(this.limit(() => this.ctx.conn.publish(topic, payload, { retain: true })));
    }
    await Promise.all(jobs);
    if (jobs.length > 0) this.ctx.log.debug({ count: jobs.length }, 'Home Assistant discovery published');
  }
}

/** A short digest of a payload, to tell whether a topic already holds it. */
function digest(payload: string): string {
  return createHash('sha1').update(payload).digest('base64');
}
