import { createHash } from 'node:crypto';
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

/** The bridge device's own configs, in the queue beside the devices. */
const BRIDGE = Symbol('bridge');
type Entry = string | typeof BRIDGE;

/** Devices whose discovery is published at once (each ~30 configs in flight together). */
const WORKERS = 2;

/**
 * Publishes discovery for every device and the bridge; on start only what differs from the
 * retained configs read back (Zigbee2MQTT does the same), everything again on HA's birth message.
 *
 * Work is queued per device, not per message: a device's configs are built only when it is its
 * turn, and a device asked for twice before its turn (start-up, then its charger's boot info) is
 * published once. At 1000 chargers, building all ~30 000 payloads up front and queueing them
 * behind a limit held them all at once and set the process's peak memory (BENCHMARKS.md).
 */
export class HomeAssistantPublisher {
  /** What each discovery topic holds, as a digest: the payloads themselves were ~30 MB at 1000 chargers. */
  private published = new Map<string, string>();
  /** Chargers whose session entities are announced. */
  private readonly withSession = new Set<string>();
  /** Devices (and the bridge) waiting for their turn, in order; the value: publish even unchanged. */
  private readonly pending = new Map<Entry, boolean>();
  private workers = 0;
  private drained: Array<() => void> = [];

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
    this.pending.clear();
  }

  /** Every discovery topic this bridge wants (built device by device, payloads not kept). */
  wantedTopics(): Set<string> {
    const out = new Set<string>();
    for (const m of bridgeDiscovery(this.ctx.cfg)) out.add(m.topic);
    for (const d of this.ctx.devices()) for (const m of deviceDiscovery(this.ctx.cfg, d)) out.add(m.topic);
    return out;
  }

  /** Seeds what the broker already holds (retained configs read at start). */
  seed(retained: ReadonlyMap<string, string>): void {
    this.published = new Map([...retained].map(([topic, payload]) => [topic, digest(payload)]));
  }

  /** Publishes the configs that changed (all when `force`); resolves once the queue is empty. */
  publishAll(force: boolean): Promise<void> {
    this.enqueue(BRIDGE, force);
    for (const d of this.ctx.devices()) this.enqueue(d.id, force);
    return this.run();
  }

  /** Publishes the changed configs of one device (its info changed). */
  publishDevice(id: string): Promise<void> {
    if (!this.ctx.device(id)) return Promise.resolve();
    this.enqueue(id, false);
    return this.run();
  }

  private enqueue(entry: Entry, force: boolean): void {
    this.pending.set(entry, (this.pending.get(entry) ?? false) || force);
  }

  private run(): Promise<void> {
    const done = new Promise<void>((resolve) => this.drained.push(resolve));
    while (this.workers < WORKERS && this.workers < this.pending.size) {
      this.workers += 1;
      void this.work();
    }
    if (this.workers === 0) this.settle();
    return done;
  }

  private async work(): Promise<void> {
    let count = 0;
    try {
      for (let next = this.take(); next; next = this.take()) {
        count += await this.publishEntry(next[0], next[1]).catch((e: Error) => {
          this.ctx.log.warn({ err: e.message }, 'Home Assistant discovery not published');
          return 0;
        });
      }
    } finally {
      this.workers -= 1;
      if (count > 0) this.ctx.log.debug({ count }, 'Home Assistant discovery published');
      if (this.workers === 0) this.settle();
    }
  }

  private take(): [Entry, boolean] | undefined {
    const first = this.pending.entries().next();
    if (first.done) return undefined;
    this.pending.delete(first.value[0]);
    return first.value;
  }

  private settle(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }

  /** Builds one device's (or the bridge's) configs now and publishes those that changed. */
  private async publishEntry(entry: Entry, force: boolean): Promise<number> {
    let messages: DiscoveryMessage[];
    if (entry === BRIDGE) messages = bridgeDiscovery(this.ctx.cfg);
    else {
      const d = this.ctx.device(entry);
      if (!d) return 0;
      if (d.session) this.withSession.add(entry);
      messages = deviceDiscovery(this.ctx.cfg, d);
    }
    const jobs: Array<Promise<void>> = [];
    for (const m of messages) {
      const payload = json(m.payload);
      const d = digest(payload);
      if (!force && this.published.get(m.topic) === d) continue;
      this.published.set(m.topic, d);
      jobs.push(this.ctx.conn.publish(m.topic, payload, { retain: true }));
    }
    await Promise.all(jobs);
    return jobs.length;
  }
}

/** A short digest of a payload, to tell whether a topic already holds it. */
function digest(payload: string): string {
  return createHash('sha1').update(payload).digest('base64');
}
