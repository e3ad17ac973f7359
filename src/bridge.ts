import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config/types.js';
import { EventBus } from './core/bus.js';
import { ChargerRuntime } from './core/charger-runtime.js';
import { type Clock, realClock, sleep } from './core/clock.js';
import { type ControlHooks, plainControl } from './core/control.js';
import type { DeviceView } from './core/device.js';
import { BridgeDriverServices } from './core/driver-services.js';
import { createLogger, type LoggerBundle } from './core/logger.js';
import { homieInstance } from './core/naming.js';
import { pollPhase } from './core/poll-slots.js';
import { StateStore } from './core/state-store.js';
import { chargerType } from './drivers/registry.js';
import { Engine } from './engine/engine.js';
import type { FrontendServer } from './frontend/server.js';
import { startFrontend } from './frontend/wiring.js';
import { MeterRuntime } from './meters/meter-runtime.js';
import { meterType } from './meters/registry.js';
import { type Incoming, MqttConnection } from './mqtt/connection.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './mqtt/embedded-broker.js';
import { PayloadGuard, TopicRules } from './mqtt/topic-guard.js';
import { InfluxOutput } from './outputs/influx.js';
import { BridgePublisher } from './publishers/bridge-info.js';
import { RetainedSweep } from './publishers/cleanup.js';
import { CommandRouter } from './publishers/commands.js';
import type { PublisherContext } from './publishers/context.js';
import { HomeAssistantPublisher } from './publishers/homeassistant.js';
import { HomiePublisher } from './publishers/homie.js';
import { RepublishGate } from './publishers/republish-gate.js';
import { StatePublisher } from './publishers/state.js';
import { Sessions } from './sessions/service.js';
import { SiteRuntime } from './site/site.js';
import { Tariff } from './tariff/tariff.js';

/** How a bridge is built. */
export interface BridgeOptions {
  config: Config;
  clock?: Clock;
  logger?: LoggerBundle;
  control?: ControlHooks;
  /** The start-up read of retained topics, ms (3 s, docs/mqtt-api.md#start-up-clean-up). */
  retainedWindowMs?: number;
  /** Demo: take a free port when the embedded broker's port is in use. */
  brokerPortFallback?: boolean;
  /** `bridge/request/restart`: called after the answer went out; the owner stops this bridge and starts a new one. */
  onRestart?: () => void;
  /** Demo: take a free port when the web page's port is in use. */
  frontendPortFallback?: boolean;
}

/**
 * The composition root: configuration → broker connection → charger runtimes → publishers.
 * Data flows one way (device → runtime → bus → publishers → MQTT); commands come back through
 * the router into the same runtimes the engine uses.
 */
export class Bridge {
  readonly cfg: Config;
  readonly bus = new EventBus();
  readonly clock: Clock;
  readonly log: Logger;
  readonly chargers: ChargerRuntime[] = [];
  readonly meters: MeterRuntime[] = [];
  /** The site, when a meter or tariff is configured. */
  site?: SiteRuntime;
  /** The tariff, when configured (docs/configuration.md#tariff). */
  readonly tariff?: Tariff;
  broker?: EmbeddedBroker;
  conn!: MqttConnection;
  /** The web page server, when `frontend.enabled` (docs/web-interface.md). */
  frontend?: FrontendServer;
  /** Resolves when the first start-up sequence (retained read, clean-up, discovery) is done. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private readonly loggers: LoggerBundle;
  private readonly store: StateStore;
  private readonly control: ControlHooks;
  private engine?: Engine;
  private influx?: InfluxOutput;
  /** Charging sessions (docs/sessions.md); `sessions.request(body)` answers like `bridge/request/sessions`. */
  sessions!: Sessions;
  private ctx!: PublisherContext;
  private states!: StatePublisher;
  private ha?: HomeAssistantPublisher;
  private homie?: HomiePublisher;
  private bridgePub!: BridgePublisher;
  private router!: CommandRouter;
  private sweep?: RetainedSweep;
  private guard!: PayloadGuard;
  private haOnline!: RepublishGate;
  private started = false;
  private stopping = false;
  private crashed = false;
  private services!: BridgeDriverServices;

  constructor(private readonly opts: BridgeOptions) {
    this.cfg = opts.config;
    this.clock = opts.clock ?? realClock;
    this.loggers = opts.logger ?? createLogger(this.cfg.log.level);
    this.log = this.loggers.log.child({ module: 'bridge' });
    this.store = new StateStore(this.cfg.data_dir, this.log);
    if (this.cfg.tariff)
      this.tariff = new Tariff(
        this.cfg.tariff,
        this.cfg.site.timezone,
        this.clock,
        this.loggers.log.child({ module: 'tariff' }),
      );
    // the engine runs the automatic modes (fast, off, solar, smart, load_follow) and load management
    if (!opts.control) {
      this.engine = new Engine({
        cfg: this.cfg,
        clock: this.clock,
        log: this.loggers.log.child({ module: 'engine' }),
        chargers: () => this.chargers,
        meters: () => this.meters,
        site: () => this.site,
        tariff: this.tariff,
      });
    }
    this.control = opts.control ?? this.engine ?? plainControl;
    this.ready = new Promise((r) => {
      this.resolveReady = r;
    });
  }

  /** All devices publishers see, in configuration order. */
  devices(): DeviceView[] {
    return [...this.chargers, ...this.meters, ...(this.site ? [this.site] : [])];
  }

  /** The runtime of a charger. */
  charger(id: string): ChargerRuntime | undefined {
    return this.chargers.find((c) => c.id === id);
  }

  /** Starts the broker (if embedded), the connection, the chargers and the publishers. */
  async start(): Promise<void> {
    const cfg = this.cfg;
    this.store.load();
    const rules = new TopicRules(cfg);
    this.guard = new PayloadGuard(rules, this.clock, this.loggers.log.child({ module: 'mqtt' }));
    this.haOnline = new RepublishGate(this.clock, () => this.onHaOnline());
    let url = cfg.mqtt.server;
    if (url === 'embedded') {
      this.broker = await startEmbeddedBroker({
        host: cfg.embedded_broker.host,
        port: cfg.embedded_broker.port,
        user: cfg.embedded_broker.user,
        password: cfg.embedded_broker.password,
        log: this.loggers.log.child({ module: 'broker' }),
        fallbackToFreePort: this.opts.brokerPortFallback,
        rules,
        clock: this.clock,
      });
      url = this.broker.url;
    }
    const embedded = cfg.mqtt.server === 'embedded';
    this.conn = new MqttConnection({
      url,
      clientId: cfg.mqtt.client_id,
      username: embedded ? cfg.embedded_broker.user : cfg.mqtt.user,
      password: embedded ? cfg.embedded_broker.password : cfg.mqtt.password,
      version: embedded ? 4 : cfg.mqtt.version,
      // the bridge's own connections to its embedded broker skip TCP (BENCHMARKS.md, fix 10)
      ...(this.broker ? { stream: this.broker.connect } : {}),
      will: {
        topic: `${cfg.mqtt.base_topic}/bridge/state`,
        payload: '{"state":"offline"}',
        retain: true,
        qos: 1,
      },
      ...readTls(cfg),
      clock: this.clock,
      log: this.loggers.log.child({ module: 'mqtt' }),
    });
    this.services = new BridgeDriverServices(cfg, cfg.data_dir, this.loggers.log);
    for (const [i, c] of cfg.chargers.entries()) {
      this.chargers.push(
        new ChargerRuntime({
          pollPhase: pollPhase(i, cfg.chargers.length),
          cfg: c,
          type: chargerType(c.type),
          bus: this.bus,
          clock: this.clock,
          log: this.loggers.log.child({ module: 'charger', charger: c.id }),
          instance: homieInstance(cfg.mqtt.base_topic),
          services: this.services,
          store: this.store,
          control: this.control,
          onReading: (charger, reading) => this.sessions.onReading(charger, reading),
        }),
      );
    }
    for (const m of cfg.meters) {
      this.meters.push(
        new MeterRuntime({
          cfg: m,
          type: meterType(m.type),
          bus: this.bus,
          clock: this.clock,
          log: this.loggers.log.child({ module: 'meter', meter: m.id }),
        }),
      );
    }
    this.sessions = new Sessions({
      dataDir: cfg.data_dir,
      timezone: cfg.site.timezone,
      clock: this.clock,
      log: this.loggers.log.child({ module: 'sessions' }),
      bus: this.bus,
      store: this.store,
      chargers: () => this.chargers,
      grid: this.meters.find((m) => m.cfg.role === 'grid'),
      tariff: this.tariff,
      feedIn: cfg.tariff?.feed_in_price ?? 0,
    });
    this.sessions.load();
    if (SiteRuntime.wanted(cfg)) {
      this.site = new SiteRuntime({
        cfg,
        meters: this.meters,
        chargers: () => this.chargers,
        bus: this.bus,
        store: this.store,
        log: this.loggers.log.child({ module: 'site' }),
        clock: this.clock,
        tariff: this.tariff,
      });
    }
    this.ctx = {
      cfg,
      conn: this.conn,
      bus: this.bus,
      log: this.loggers.log.child({ module: 'publish' }),
      clock: this.clock,
      devices: () => this.devices(),
      device: (id) => this.devices().find((d) => d.id === id),
    };
    this.states = new StatePublisher(this.ctx);
    this.bridgePub = new BridgePublisher(this.ctx);
    this.router = new CommandRouter(this.ctx);
    this.router.addRequest('health_check', async () => ({ healthy: true }));
    this.router.addRequest('restart', async () => {
      const restart = this.opts.onRestart;
      if (!restart)
        throw new Error(
          'restart is not available here; restart the process (e.g. docker compose restart evse2mqtt)',
        );
      this.log.info('restart requested over MQTT');
      setTimeout(restart, 100).unref();
      return {};
    });
    this.router.addRequest('charger/refresh', async (body) => {
      const id = body.id;
      const c = typeof id === 'string' ? this.charger(id) : undefined;
      if (!c) throw new Error(`unknown charger ${JSON.stringify(id)}; send {"id": "<charger id>"}`);
      await c.refresh();
      return { id: c.id };
    });
    this.router.addRequest('sessions', (body) => this.sessions.query(body));
    this.addTypeRequests();
    if (cfg.homeassistant.enabled) this.ha = new HomeAssistantPublisher(this.ctx);
    this.states.start();
    this.bridgePub.start();
    this.frontend = await startFrontend({
      cfg,
      bus: this.bus,
      clock: this.clock,
      log: this.loggers.log.child({ module: 'frontend' }),
      devices: () => this.devices(),
      chargers: () => this.chargers,
      control: this.control,
      publisher: this.bridgePub,
      router: this.router,
      portFallback: this.opts.frontendPortFallback,
    });
    const frontend = this.frontend;
    this.loggers.setSink((r) => {
      this.bridgePub.logSink(r);
      frontend?.hub.log(r);
    });
    this.conn.on('message', (m: Incoming) => this.onMessage(m));
    this.conn.on('connect', (reconnect: boolean) => void this.onConnect(reconnect));
    if (cfg.homeassistant.enabled) await this.conn.subscribe([cfg.homeassistant.status_topic]);
    this.sweep = new RetainedSweep(this.ctx);
    await this.conn.subscribe(this.sweep.filters());
    const meterTopics = this.meters.flatMap((m) => m.topics());
    if (meterTopics.length > 0) await this.conn.subscribe([...new Set(meterTopics)]);
    if (this.tariff?.topic) await this.conn.subscribe([this.tariff.topic]);
    this.conn.start();
    if (cfg.influxdb) {
      this.influx = new InfluxOutput(cfg.influxdb, {
        bus: this.bus,
        clock: this.clock,
        log: this.loggers.log.child({ module: 'influxdb' }),
        devices: () => this.devices(),
      });
      this.influx.start();
    }
    this.site?.start();
    for (const m of this.meters) m.start();
    for (const c of this.chargers) c.start();
    this.engine?.start();
  }

  /**
   * Stops: `on_exit` per charger (when `exit`), bridge/state offline, Homie `disconnected`,
   * DISCONNECT, broker down. Per-charger availability is left as it was (docs/mqtt-api.md#availability).
   */
  async stop(opts: { exit?: boolean } = {}): Promise<void> {
    if (this.crashed) {
      // after crash(): only release what is left (closed sockets, the embedded broker)
      await this.conn?.close();
      await this.broker?.close();
      return;
    }
    if (this.stopping) return;
    this.stopping = true;
    this.engine?.stop();
    this.haOnline?.stop();
    if (opts.exit) await Promise.all(this.chargers.map((c) => c.exit()));
    await Promise.all(this.chargers.map((c) => c.stop()));
    await this.services?.close();
    await Promise.all(this.meters.map((m) => m.stop()));
    this.sessions?.stop();
    await this.influx?.stop();
    this.site?.stop();
    this.tariff?.stop();
    this.loggers.setSink(undefined);
    await this.frontend?.stop();
    this.bridgePub?.stop();
    this.states?.stop();
    this.ha?.stop();
    if (this.conn) {
      await this.bridgePub.publishState(false);
      await this.homie?.stop();
      await this.conn.close();
    }
    await this.broker?.close();
    this.log.info('stopped');
  }

  /**
   * Drops every broker connection without DISCONNECT and stops polling, as a crash would
   * (tests use it to see the wills fire on a real broker).
   */
  async crash(): Promise<void> {
    this.engine?.stop();
    this.stopping = true;
    this.crashed = true;
    await Promise.all(this.chargers.map((c) => c.stop()));
    await this.services?.close();
    this.loggers.setSink(undefined);
    await this.frontend?.stop();
    this.homie?.kill();
    this.conn.destroy();
  }

  /** `bridge/request/<name>` of the charger types in use (e.g. `ocpp`), each finding its own chargers. */
  private addTypeRequests(): void {
    for (const type of new Set(this.chargers.map((c) => c.type))) {
      for (const [name, handler] of Object.entries(chargerType(type).requests ?? {})) {
        this.router.addRequest(name, (body) =>
          handler(body, (id) => {
            const c = this.charger(id);
            return c?.type === type ? c.driver : undefined;
          }),
        );
      }
    }
  }

  private async onConnect(reconnect: boolean): Promise<void> {
    await this.bridgePub.publishState(true);
    await this.bridgePub.publishInfo();
    if (!this.started) {
      this.started = true;
      await this.startup();
      return;
    }
    await this.ha?.publishAll(true);
    await this.states.republish();
    this.log.info({ reconnect }, 'republished after reconnect');
  }

  /** The retained read (3 s), the clean-up, discovery, command subscriptions, Homie. */
  private async startup(): Promise<void> {
    const sweep = this.sweep!;
    await sleep(this.clock, this.opts.retainedWindowMs ?? 3000);
    this.sweep = undefined;
    const cfg = this.cfg;
    await sweep.sweep({
      ids: new Set(this.devices().map((d) => d.id)),
      discovery: this.ha ? this.ha.wantedTopics() : new Set(),
      homie: new Set(
        cfg.homie.enabled ? this.devices().map((d) => `${homieInstance(cfg.mqtt.base_topic)}-${d.id}`) : [],
      ),
    });
    if (this.ha) {
      this.ha.seed(sweep.ownDiscovery());
      // a device's own discovery follows its info from here on; before the retained read and the
      // clean-up it would race them and be sent twice (~12 000 duplicates at 1000 chargers)
      this.ha.start();
      await this.ha.publishAll(false);
    }
    await this.conn.subscribe(this.router.filters());
    await this.conn.unsubscribe(sweep.filters());
    if (cfg.homie.enabled) {
      this.homie = new HomiePublisher(this.ctx, (id, result) => this.router.respond(id, result));
      this.homie.start();
    }
    await this.states.republish();
    await this.sessions.announce();
    this.log.info(
      { chargers: this.chargers.length, base_topic: cfg.mqtt.base_topic },
      `bridge ready; watch with: mosquitto_sub -h ${hostOf(this.conn.url)} -p ${portOf(this.conn.url)} -t '${cfg.mqtt.base_topic}/#' -v`,
    );
    this.resolveReady();
  }

  private onMessage(m: Incoming): void {
    if (!this.guard.accept(m.topic, m.payload, m.retain)) return;
    this.sweep?.collect(m);
    for (const meter of this.meters)
      if (meter.topics().includes(m.topic)) meter.feed(m.topic, m.payload, m.retain);
    if (m.topic === this.tariff?.topic) this.tariff.handleMessage(m.payload, m.retain);
    if (this.cfg.homeassistant.enabled && m.topic === this.cfg.homeassistant.status_topic) {
      if (m.payload.toString().trim().toLowerCase() === 'online' && this.started) this.haOnline.request();
      return;
    }
    if (this.homie?.handle(m)) return;
    this.router.handle(m);
  }

  /** HA restarted: discovery, bridge state, availability and states again (docs/mqtt-api.md). */
  private async onHaOnline(): Promise<void> {
    this.log.info('Home Assistant is online; republishing discovery and states');
    await this.bridgePub.publishState(true);
    await this.ha?.publishAll(true);
    await this.states.republish();
  }
}

function readTls(cfg: Config): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } {
  const read = (f?: string) => (f ? readFileSync(f) : undefined);
  return {
    ...(cfg.mqtt.ca ? { ca: read(cfg.mqtt.ca) } : {}),
    ...(cfg.mqtt.cert ? { cert: read(cfg.mqtt.cert) } : {}),
    ...(cfg.mqtt.key ? { key: read(cfg.mqtt.key) } : {}),
    rejectUnauthorized: cfg.mqtt.reject_unauthorized,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return 'localhost';
  }
}

function portOf(url: string): string {
  try {
    return new URL(url).port || '1883';
  } catch {
    return '1883';
  }
}
