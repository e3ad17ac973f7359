import { withTimeout } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import type { ChargerContext, EntityDef } from '../core/entities.js';
import { homieInstance, homieProperty } from '../core/naming.js';
import type { CommandResult } from '../core/set-command.js';
import { VERSION } from '../core/version.js';
import { MqttConnection } from '../mqtt/connection.js';
import { type SessionProperty, sessionProperties } from '../sessions/homie-session.js';
import type { PublisherContext } from './context.js';
import { type DecisionProperty, decisionProperties } from './homie-decision.js';
import { type PlanProperty, planProperties } from './homie-plan.js';

/** Homie 4 datatypes. */
export type HomieDatatype = 'integer' | 'float' | 'boolean' | 'string' | 'enum' | 'datetime';

/** Homie node id and name per device kind. */
const NODES = {
  charger: { id: 'charger', name: 'Charger', type: 'EV charger' },
  meter: { id: 'meter', name: 'Meter', type: 'Energy meter' },
  site: { id: 'site', name: 'Site', type: 'Site energy' },
} as const;

/** The `$implementation` value; also how start-up clean-up recognises this bridge's devices. */
export function implementation(base: string): string {
  return `evse2mqtt ${VERSION} (${base})`;
}

// biome-ignore lint/suspicious/noExplicitAny: the entity's context is the device's own
export function homieDatatype(e: EntityDef<any>, ctx: unknown): HomieDatatype {
  switch (e.kind) {
    case 'number':
      return e.homieDatatype?.(ctx) ?? 'float';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return 'enum';
    case 'timestamp':
      return 'datetime';
    default:
      return 'string';
  }
}

/** Property attributes of an entity (name, datatype, unit, format, settable). */
// biome-ignore lint/suspicious/noExplicitAny: the entity's context is the device's own
export function propertyAttributes(e: EntityDef<any>, ctx: unknown): Record<string, string> {
  const datatype = homieDatatype(e, ctx);
  const writable = e.writable?.(ctx) === true;
  const attrs: Record<string, string> = { $name: e.label, $datatype: datatype };
  if (e.unit) attrs.$unit = e.unit;
  if (datatype === 'enum') attrs.$format = (e.options?.(ctx) ?? []).join(',');
  else if (writable && e.range) {
    const r = e.range(ctx);
    attrs.$format = `${r.min}:${r.max}`;
  }
  if (writable) attrs.$settable = 'true';
  return attrs;
}

/** A value as a Homie payload; null → zero-length (docs/mqtt-api.md#homie). */
export function homieValue(datatype: HomieDatatype, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (datatype === 'integer' && typeof v === 'number') return String(Math.round(v));
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/**
 * One Homie 4 device with its own MQTT connection, whose will sets `$state` to `lost`
 * (Homie: one connection per device, so each has its own will). Lifecycle init → attributes → values →
 * ready (or alert while the device is unreachable); `disconnected` on a clean stop.
 */
export class HomieDevice {
  readonly homieId: string;
  private readonly conn: MqttConnection;
  private readonly root: string;
  private readonly node: (typeof NODES)[keyof typeof NODES];
  private announced = false;
  private announcedFirst!: () => void;
  private readonly firstAnnounce = new Promise<void>((resolve) => {
    this.announcedFirst = resolve;
  });
  private readonly sent = new Map<string, string>();
  /** The `plan` node's properties, for chargers that can run smart plans. */
  private readonly plan: PlanProperty[] | null;
  /** The `decision` node's properties, for chargers (why the engine does what it does). */
  private readonly decision: DecisionProperty[] | null;
  /** The `session` node's properties, for chargers (docs/sessions.md). */
  private readonly session: SessionProperty[] | null;

  constructor(
    private readonly ctx: PublisherContext,
    private readonly device: DeviceView,
    index: number,
    private readonly respond: (id: string, result: CommandResult) => void,
  ) {
    const cfg = ctx.cfg;
    this.homieId = `${homieInstance(cfg.mqtt.base_topic)}-${device.id}`;
    this.root = `${cfg.homie.base_topic}/${this.homieId}`;
    this.node = NODES[device.kind];
    this.plan =
      device.kind === 'charger' && (device.ctx as ChargerContext).modes.includes('smart')
        ? planProperties(cfg.tariff?.currency ?? null)
        : null;
    this.decision =
      device.kind === 'charger' ? decisionProperties((device.ctx as ChargerContext).modes) : null;
    this.session = device.kind === 'charger' ? sessionProperties(cfg.tariff?.currency ?? null) : null;
    this.conn = new MqttConnection({
      ...ctx.conn.sibling,
      clientId: `${cfg.mqtt.client_id}-${index}`,
      version: ctx.conn.protocolVersion,
      will: { topic: `${this.root}/$state`, payload: 'lost', retain: true, qos: 1 },
      clock: ctx.clock,
      log: ctx.log.child({ homie: this.homieId }),
    });
  }

  start(): void {
    this.conn.on('connect', () => void this.announce());
    this.ctx.bus.on(this, 'device.state', ({ id, changed }) => {
      if (id === this.device.id && this.announced) void this.publishValues(changed);
    });
    this.ctx.bus.on(this, 'device.plan', ({ id }) => {
      if (id === this.device.id && this.announced) void this.publishPlan();
    });
    this.ctx.bus.on(this, 'device.session', ({ id }) => {
      if (id === this.device.id && this.announced) void this.publishSession();
    });
    this.ctx.bus.on(this, 'device.availability', ({ id }) => {
      if (id === this.device.id && this.announced) void this.publishState();
    });
    this.ctx.bus.on(this, 'device.attempted', ({ id }) => {
      if (id === this.device.id && !this.announced) void this.announce();
    });
    this.conn.start();
  }

  /** Publishes `disconnected` and closes the connection. */
  async stop(): Promise<void> {
    this.ctx.bus.off(this);
    if (this.conn.connected) await this.pub('$state', 'disconnected');
    await this.conn.close();
  }

  /** Drops the connection without DISCONNECT (tests: the broker then publishes the `lost` will). */
  kill(): void {
    this.ctx.bus.off(this);
    this.conn.destroy();
  }

  private async announce(): Promise<void> {
    try {
      await this.announceNow();
    } finally {
      this.announcedFirst();
    }
  }

  /** Resolves after the first announcement attempt (a device not read yet announces `init` only). */
  announcedOnce(): Promise<void> {
    return this.firstAnnounce;
  }

  private async announceNow(): Promise<void> {
    if (!this.conn.connected) return;
    this.announced = false;
    this.sent.clear();
    await this.pub('$state', 'init');
    if (!this.device.attempted) return;
    const d = this.device;
    const attrs: Array<[string, string]> = [
      ['$homie', '4.0.0'],
      ['$name', d.name],
      ['$extensions', ''],
      ['$implementation', implementation(this.ctx.cfg.mqtt.base_topic)],
      [
        '$nodes',
        [
          this.node.id,
          ...(this.plan ? ['plan'] : []),
          ...(this.decision ? ['decision'] : []),
          ...(this.session ? ['session'] : []),
        ].join(','),
      ],
      [`${this.node.id}/$name`, this.node.name],
      [`${this.node.id}/$type`, this.node.type],
      [`${this.node.id}/$properties`, d.entities.map((e) => homieProperty(e.key)).join(',')],
    ];
    for (const e of d.entities) {
      for (const [k, v] of Object.entries(propertyAttributes(e, d.ctx)))
        attrs.push([`${this.node.id}/${homieProperty(e.key)}/${k}`, v]);
    }
    if (this.plan) {
      attrs.push(['plan/$name', 'Smart plan'], ['plan/$type', 'Smart-charging plan']);
      attrs.push(['plan/$properties', this.plan.map((p) => p.id).join(',')]);
      for (const p of this.plan)
        for (const [k, v] of Object.entries(p.attrs)) attrs.push([`plan/${p.id}/${k}`, v]);
    }
    if (this.decision) {
      attrs.push(['decision/$name', 'Decision'], ['decision/$type', 'Smart-charging decision']);
      attrs.push(['decision/$properties', this.decision.map((p) => p.id).join(',')]);
      for (const p of this.decision)
        for (const [k, v] of Object.entries(p.attrs)) attrs.push([`decision/${p.id}/${k}`, v]);
    }
    if (this.session) {
      attrs.push(['session/$name', 'Charging session'], ['session/$type', 'Charging session']);
      attrs.push(['session/$properties', this.session.map((p) => p.id).join(',')]);
      for (const p of this.session)
        for (const [k, v] of Object.entries(p.attrs)) attrs.push([`session/${p.id}/${k}`, v]);
    }
    // ten at a time: a thousand devices announcing ~100 attributes each at once queued ~100 000
    // messages in the embedded broker, whose queue then drained recursively until the stack
    // overflowed (mqemitter; BENCHMARKS.md)
    for (let i = 0; i < attrs.length; i += 10)
      await Promise.all(attrs.slice(i, i + 10).map(([t, v]) => this.pub(t, v)));
    await this.publishValues(d.entities.map((e) => e.key));
    await this.publishPlan();
    await this.publishSession();
    this.announced = true;
    // values that changed while the announcement was under way
    await this.publishValues(d.entities.map((e) => e.key));
    await this.publishState();
  }

  private async publishState(): Promise<void> {
    await this.pub('$state', this.device.online ? 'ready' : 'alert');
  }

  private async publishValues(keys: readonly string[]): Promise<void> {
    const d = this.device;
    const state = d.current;
    if (Object.keys(state).length === 0) return;
    const jobs: Array<Promise<void>> = [];
    for (const e of d.entities) {
      if (!keys.includes(e.key)) continue;
      const v = homieValue(homieDatatype(e, d.ctx), state[e.key]);
      const topic = `${this.node.id}/${homieProperty(e.key)}`;
      if (this.sent.get(topic) === v) continue;
      this.sent.set(topic, v);
      jobs.push(this.pub(topic, v));
    }
    // the decision node, from the state's `decision` (which may also have disappeared)
    const decision = state.decision as Readonly<Record<string, unknown>> | undefined;
    jobs.push(this.publishNode('decision', this.decision, (p) => p.value(decision)));
    await Promise.all(jobs);
  }

  /** The plan node's values (none until the engine published a plan). */
  private async publishPlan(): Promise<void> {
    const plan = this.device.plan;
    if (plan) await this.publishNode('plan', this.plan, (p) => p.value(plan));
  }

  /** The session node's values (none until the charger has had a session). */
  private async publishSession(): Promise<void> {
    const session = this.device.session;
    if (session) await this.publishNode('session', this.session, (p) => p.value(session));
  }

  /** The values of one of the extra nodes (plan, decision, session) that differ from those sent. */
  private async publishNode<P extends { id: string }>(
    node: string,
    props: readonly P[] | null,
    value: (p: P) => string,
  ): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const p of props ?? []) {
      const topic = `${node}/${p.id}`;
      const v = value(p);
      if (this.sent.get(topic) === v) continue;
      this.sent.set(topic, v);
      jobs.push(this.pub(topic, v));
    }
    await Promise.all(jobs);
  }

  /** A `/set` to one of this device's properties (routed here by HomiePublisher). */
  async onSet(m: { topic: string; payload: Buffer; retain: boolean }): Promise<void> {
    if (m.retain) return;
    const planPrefix = `${this.root}/plan/`;
    if (this.plan && m.topic.startsWith(planPrefix) && m.topic.endsWith('/set') && this.device.set) {
      const prop = this.plan.find((p) => `${planPrefix}${p.id}/set` === m.topic);
      if (!prop?.patch) return;
      const result = await this.device.set(
        { smart_charging: prop.patch(m.payload.toString('utf8')) },
        { source: 'homie', rawTopic: false },
      );
      this.respond(this.device.id, result);
      return;
    }
    const prefix = `${this.root}/${this.node.id}/`;
    if (!m.topic.startsWith(prefix) || !m.topic.endsWith('/set')) return;
    const prop = m.topic.slice(prefix.length, -'/set'.length);
    const entity = this.device.entities.find((e) => homieProperty(e.key) === prop);
    if (!entity || !this.device.set) return;
    const result = await this.device.set(
      { [entity.key]: m.payload.toString('utf8') },
      { source: 'homie', rawTopic: true },
    );
    this.respond(this.device.id, result);
  }

  private pub(subtopic: string, payload: string): Promise<void> {
    return this.conn.publish(`${this.root}/${subtopic}`, payload, { retain: true });
  }
}

/** Homie connections opened at once at start-up. */
const HOMIE_CONNECT_BATCH = 20;

/** Starts one HomieDevice per device (chargers, meters, site). */
export class HomiePublisher {
  private readonly homies: HomieDevice[] = [];
  private readonly byId = new Map<string, HomieDevice>();
  /** Bumped by stop/kill, so a gradual start still running stops starting devices. */
  private run = 0;

  constructor(
    private readonly ctx: PublisherContext,
    private readonly respond: (id: string, result: CommandResult) => void,
  ) {}

  /**
   * Starts the devices' connections a few at a time, each batch once the previous one has
   * announced (or after 5 s): a thousand connections opened at once against the embedded broker,
   * in the same process, timed out their CONNACKs and retried in a storm (BENCHMARKS.md).
   */
  start(): void {
    const starts = this.ctx.devices().map((d, i) => {
      const h = new HomieDevice(this.ctx, d, i + 1, this.respond);
      this.homies.push(h);
      this.byId.set(h.homieId, h);
      return h;
    });
    // one wildcard subscription on the bridge's connection rather than each device's own: the
    // broker looks through all its retained messages for every SUBSCRIBE, which at 1000 devices
    // (~130 000 retained) took a whole core for minutes (Aedes; BENCHMARKS.md)
    // subscribed before any device announces: `/set` works by the time a device says `ready`
    void this.ctx.conn
      .subscribe([this.setFilter()])
      .catch((e: Error) =>
        this.ctx.log.warn({ err: e.message }, `Homie /set subscription failed: ${e.message}`),
      )
      .then(() => this.startGradually(starts));
  }

  /** Handles a message on the bridge's connection; true when it was a Homie `/set`. */
  handle(m: { topic: string; payload: Buffer; retain: boolean }): boolean {
    const prefix = `${this.ctx.cfg.homie.base_topic}/`;
    if (!m.topic.startsWith(prefix) || !m.topic.endsWith('/set')) return false;
    const id = m.topic.slice(prefix.length).split('/', 1)[0] ?? '';
    const device = this.byId.get(id);
    if (!device) return false;
    void device.onSet(m);
    return true;
  }

  private setFilter(): string {
    return `${this.ctx.cfg.homie.base_topic}/+/+/+/set`;
  }

  private async startGradually(devices: HomieDevice[]): Promise<void> {
    const run = this.run;
    for (let i = 0; i < devices.length; i += HOMIE_CONNECT_BATCH) {
      if (run !== this.run) return; // stopped meanwhile
      const batch = devices.slice(i, i + HOMIE_CONNECT_BATCH);
      for (const h of batch) h.start();
      if (i + HOMIE_CONNECT_BATCH >= devices.length) return;
      // the next batch after 5 s at the latest, announced or not (a device may not answer)
      await withTimeout(
        this.ctx.clock,
        Promise.all(batch.map((h) => h.announcedOnce())),
        5000,
        'Homie batch slow',
      ).catch(() => {});
    }
  }

  /** Homie ids this bridge publishes. */
  ids(): string[] {
    return this.ctx.devices().map((d) => `${homieInstance(this.ctx.cfg.mqtt.base_topic)}-${d.id}`);
  }

  async stop(): Promise<void> {
    this.run += 1;
    this.byId.clear();
    await this.ctx.conn.unsubscribe([this.setFilter()]);
    await Promise.all(this.homies.map((h) => h.stop()));
    this.homies.length = 0;
  }

  /** Test hook: drop every Homie connection without DISCONNECT. */
  kill(): void {
    this.run += 1;
    this.byId.clear();
    for (const h of this.homies) h.kill();
    this.homies.length = 0;
  }
}
