import { Bridge } from './bridge.js';
import { ConfigError, validateConfig } from './config/load.js';
import type { Clock } from './core/clock.js';
import type { LoggerBundle } from './core/logger.js';
import { type BannerDevice, demoBanner } from './demo/banner.js';
import { clockText, DEMO_PACE, SUNRISE, SUNSET } from './demo/day.js';
import { DemoSite, type SiteCharger } from './demo/site.js';
import { DEMO_OCPP_SECTION, ocppDemo } from './drivers/ocpp/demo.js';
import { OpenEvseSimulator } from './drivers/openevse/simulator.js';
import { PulsatrixSimulator } from './drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from './drivers/technove/simulator.js';
import { QuasarSimulator } from './drivers/wallbox-quasar/simulator.js';
import { ShellyGen1Simulator } from './meters/shelly/sim-gen1.js';
import { ShellyGen2Simulator } from './meters/shelly/sim-gen2.js';

/** A running demo: simulators, the simulated house, and a bridge on the embedded broker. */
export interface Demo {
  bridge: Bridge;
  /** The simulated house (PV, house load, the cars' draw on the grid meter). */
  site: DemoSite;
  /** The first screen's lines (also logged). */
  banner: string[];
  stop(): Promise<void>;
}

/** Options of the demo. */
export interface DemoOptions {
  /** Port of the embedded broker (0 = any free one); default 1883, or a free one when taken. */
  brokerPort?: number;
  dataDir?: string;
  /** Port of the web page; default 8090, or a free one when taken. */
  frontendPort?: number;
  /** The clock of the bridge and of the simulated house (tests pass a manual one); default the system clock. */
  clock?: Clock;
}

/** The parts of a simulator the demo drives. */
interface Simulated {
  readonly port: number;
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/** A simulated charger of the demo: its simulator, configuration entry, car and schedule. */
interface DemoCharger extends SiteCharger {
  sim: Simulated;
  /** The `chargers` entry (port known after start). */
  config(): Record<string, unknown>;
  /** Banner text: what it simulates, what it does. */
  what: string;
  role: string;
}

function openevseDemo(): DemoCharger {
  const sim = new OpenEvseSimulator();
  return {
    id: 'demo-openevse',
    sim,
    what: 'OpenEVSE (HTTP + WebSocket)',
    role: 'mode solar, charges from the PV surplus; its car stays 10:42–19:00',
    config: () => ({
      id: 'demo-openevse',
      name: 'Demo OpenEVSE',
      type: 'openevse',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      // solar mode on the simulated PV curve, so a newcomer sees the engine act (`decision` in its state)
      mode: 'solar',
    }),
    powerW: () => sim.powerW(),
    tick: (ms) => sim.tick(ms),
    plugIn: () => sim.plugIn({ evMaxCurrent: 32, batteryLevel: 41 }),
    unplug: () => sim.unplug(),
    // the long visit: the whole sunny part of the day, so solar following shows
    visits: [['10:42', '19:00']],
  };
}

function technoveDemo(): DemoCharger {
  const sim = new TechnoveSimulator({ maxStationCurrent: 32, name: 'Demo TechnoVE' });
  return {
    id: 'demo-technove',
    sim,
    what: 'TechnoVE (HTTP)',
    role: 'mode smart, 2 kWh at once then the cheap night hours',
    config: () => ({
      id: 'demo-technove',
      name: 'Demo TechnoVE',
      type: 'technove',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      // a smart plan on the demo tariff: 2 kWh at once, the rest in the cheap night hours (`<base>/demo-technove/plan`)
      mode: 'smart',
      smart_charging: { deadline: '07:00', energy: 20, minimum_energy: 2 },
    }),
    powerW: () => sim.powerW(),
    tick: (ms) => sim.tick(ms),
    // a small car (10 A), so that the sun still leaves a surplus for demo-openevse
    plugIn: () => sim.plugIn({ evMaxCurrent: 10 }),
    unplug: () => sim.unplug(),
    visits: [
      ['11:00', '14:30'],
      ['23:00', '02:30'],
    ],
  };
}

function pulsatrixDemo(): DemoCharger {
  const sim = new PulsatrixSimulator({ ownLimit: 32 });
  return {
    id: 'demo-pulsatrix',
    sim,
    what: 'pulsatrix (REST + WebSocket)',
    role: 'mode manual, a 1-phase car at up to 13 A',
    config: () => ({
      id: 'demo-pulsatrix',
      name: 'Demo pulsatrix',
      type: 'pulsatrix',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 16,
      phases: 3,
    }),
    powerW: () => sim.device.power(),
    tick: (ms) => sim.tick(ms),
    plugIn: () => sim.plugIn({ evMaxCurrent: 13, evPhases: 1 }),
    unplug: () => sim.unplug(),
    visits: [
      ['13:30', '16:00'],
      ['22:00', '00:30'],
    ],
  };
}

function quasarDemo(): DemoCharger {
  const sim = new QuasarSimulator();
  return {
    id: 'demo-quasar',
    sim,
    what: 'Wallbox Quasar (Modbus TCP)',
    role: 'mode load_follow, its car comes home at 20:00 and feeds the house',
    config: () => ({
      id: 'demo-quasar',
      name: 'Demo Quasar',
      type: 'wallbox-quasar',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      max_discharge_current: 16,
      min_state_of_charge: 20,
      // V2H: charges from export, discharges to hold the grid near site.load_follow_target
      mode: 'load_follow',
    }),
    powerW: () => sim.powerW(),
    tick: (ms) => sim.tick(ms),
    plugIn: () => sim.plugIn({ soc: 70 }),
    unplug: () => sim.unplug(),
    visits: [['20:00', '07:30']],
  };
}

/**
 * The demo (README "Run it"): simulated devices speaking their real protocols on loopback, a
 * simulated house whose meters follow a simulated summer day (a day in 10 minutes), and a bridge
 * on the embedded broker (127.0.0.1:1883, or a free port when that one is taken).
 */
export async function startDemo(logger: LoggerBundle, opts: DemoOptions = {}): Promise<Demo> {
  const log = logger.log.child({ module: 'demo' });
  const chargers = [openevseDemo(), technoveDemo(), pulsatrixDemo(), quasarDemo()];
  let bridgeRef: Bridge | undefined;
  // demo-ocpp: an OCPP wallbox that dials into the bridge's central system, its car always there
  const ocpp = ocppDemo(
    () => bridgeRef?.chargers ?? [],
    () => log,
  );
  const start = opts.clock?.now() ?? Date.now();
  // the meters' clocks follow the bridge's, since their readings carry the device time
  const pvMeter = new ShellyGen1Simulator({ time: start });
  const gridMeter = new ShellyGen2Simulator({ time: start });
  for (const c of chargers) await c.sim.start();
  await pvMeter.start();
  await gridMeter.start();
  const meters = [
    {
      id: 'demo-grid',
      name: 'Demo grid',
      role: 'grid',
      type: 'shelly-gen2',
      host: '127.0.0.1',
      port: gridMeter.port,
      channel: 'em1:0',
      max_age: 10,
    },
    {
      id: 'demo-pv',
      name: 'Demo PV',
      role: 'pv',
      type: 'shelly-em',
      host: '127.0.0.1',
      port: pvMeter.port,
      channel: 0,
    },
  ];
  const raw = {
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port: opts.brokerPort ?? 1883 },
    data_dir: opts.dataDir ?? './data/demo',
    ocpp: DEMO_OCPP_SECTION,
    log: { level: logger.log.level },
    frontend: { port: opts.frontendPort ?? 8090 },
    chargers: [...chargers.map((c) => c.config()), ocpp.config()],
    meters,
    // shorter than the defaults (10, 60, 180 s), so that the demo's clouds show within a minute
    site: { interval: 5, enable_delay: 15, disable_delay: 30 },
    tariff: {
      currency: 'EUR',
      zones: [
        { from: '02:00', to: '06:00', price: 0.16 },
        { from: '17:00', to: '20:00', price: 0.36 },
      ],
      default_price: 0.25,
      feed_in_price: 0.08,
      topic: 'energy/prices',
    },
  };
  const result = validateConfig(raw, {});
  if (!result.config) throw new ConfigError(result.problems);
  const ocppSite: SiteCharger = {
    id: 'demo-ocpp',
    powerW: ocpp.powerW,
    tick: () => {},
    plugIn: ocpp.plugIn,
    unplug: ocpp.unplug,
    // a night car, when the solar charger's car is away and the tariff is cheap
    visits: [['22:30', '06:30']],
  };
  const site = new DemoSite({
    chargers: [...chargers, ocppSite],
    pvMeter,
    gridMeter,
    log,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  site.start();
  const bridge = new Bridge({
    config: result.config,
    logger,
    brokerPortFallback: true,
    frontendPortFallback: true,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const stopDevices = async () => {
    site.stop();
    for (const c of chargers) await c.sim.stop();
    await ocpp.stop();
    await pvMeter.stop();
    await gridMeter.stop();
  };
  bridgeRef = bridge;
  try {
    await bridge.start();
  } catch (e) {
    await stopDevices();
    throw e;
  }
  const ocppDial = ocpp.script[0];
  if (ocppDial) {
    const timer = setTimeout(ocppDial[1], ocppDial[0] * 1000);
    timer.unref();
  }

  const device = (d: { id: string; sim?: Simulated; port?: number }, what: string, role: string) =>
    ({ id: d.id, port: d.sim?.port ?? d.port ?? 0, what, role }) satisfies BannerDevice;
  const banner = demoBanner({
    brokerHost: result.config.embedded_broker.host,
    brokerPort: bridge.broker?.port ?? result.config.embedded_broker.port,
    baseTopic: result.config.mqtt.base_topic,
    chargers: chargers.map((c) => device(c, c.what, c.role)),
    meters: [
      device(meters[0]!, 'Shelly Pro EM (HTTP RPC)', 'grid = house + chargers − PV (+ import, − export)'),
      device(meters[1]!, 'Shelly EM (HTTP)', 'PV inverter'),
    ],
    extra: [
      ...(bridge.frontend
        ? [['web page', `open ${bridge.frontend.localUrl} in a browser`] as [string, string]]
        : []),
      [
        'ocpp',
        'demo-ocpp: a simulated OCPP 1.6J wallbox dials into the central system; mode manual, its car comes at 22:30',
      ],
    ],
    day: `accelerated: a simulated summer day every ${Math.round(1440 / DEMO_PACE.minutesPerSecond / 60)} minutes, from ${clockText(DEMO_PACE.startMinute)} (sun ${clockText(SUNRISE)}–${clockText(SUNSET)}, clouds, meals); cars come and go`,
  });
  log.info(banner.join('\n'));

  void bridge.ready.then(() => {
    log.info(
      `demo ready${bridge.frontend ? ` (web page: ${bridge.frontend.localUrl})` : ''}: the first car plugs in within seconds; a line every two simulated hours shows PV, house, chargers and grid`,
    );
  });

  return {
    bridge,
    site,
    banner,
    stop: async () => {
      site.stop();
      await bridge.stop({ exit: true });
      await stopDevices();
    },
  };
}
