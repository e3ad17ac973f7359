import { Bridge } from './bridge.js';
import { ConfigError, validateConfig } from './config/load.js';
import type { LoggerBundle } from './core/logger.js';
import { DEMO_OCPP_SECTION, ocppDemo } from './drivers/ocpp/demo.js';
import { OpenEvseSimulator } from './drivers/openevse/simulator.js';
import { PulsatrixSimulator } from './drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from './drivers/technove/simulator.js';
import { QuasarSimulator } from './drivers/wallbox-quasar/simulator.js';
import { ShellyGen1Simulator } from './meters/shelly/sim-gen1.js';
import { ShellyGen2Simulator } from './meters/shelly/sim-gen2.js';

/** A running demo: simulators plus a bridge on the embedded broker. */
export interface Demo {
  bridge: Bridge;
  stop(): Promise<void>;
}

/** A simulated device of the demo: how to start it, its configuration entry, its script. */
interface DemoDevice {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The `chargers` or `meters` entry (port known after start). */
  config(): Record<string, unknown>;
  kind: 'charger' | 'meter';
  /** What happens during the demo: [seconds after start, action, log line]. */
  script: Array<[number, () => void, string]>;
}

/** The parts of a simulator the demo drives. */
interface Simulated {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  startPhysics(intervalMs?: number): void;
  stopPhysics(): void;
}

/** A demo device around a simulator: started with its physics running, stopped with them. */
function simulated(
  sim: Simulated,
  kind: DemoDevice['kind'],
  config: () => Record<string, unknown>,
  script: DemoDevice['script'] = [],
): DemoDevice {
  return {
    kind,
    start: async () => {
      await sim.start();
      sim.startPhysics(1000);
    },
    stop: async () => {
      sim.stopPhysics();
      await sim.stop();
    },
    config,
    script,
  };
}

function openevseDemo(): DemoDevice {
  const sim = new OpenEvseSimulator();
  return simulated(
    sim,
    'charger',
    () => ({
      id: 'demo-openevse',
      name: 'Demo OpenEVSE',
      type: 'openevse',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      // solar mode on the simulated PV curve, so a newcomer sees the engine act (`decision` in its state)
      mode: 'solar',
    }),
    [[8, () => sim.plugIn({ evMaxCurrent: 32, batteryLevel: 41 }), 'a car was plugged into demo-openevse']],
  );
}

function technoveDemo(): DemoDevice {
  const sim = new TechnoveSimulator({ maxStationCurrent: 32, name: 'Demo TechnoVE' });
  return simulated(
    sim,
    'charger',
    () => ({
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
    [
      [
        12,
        () => sim.plugIn({ evMaxCurrent: 16 }),
        'a car was plugged into demo-technove (auto-charge starts it)',
      ],
    ],
  );
}

function pulsatrixDemo(): DemoDevice {
  const sim = new PulsatrixSimulator({ ownLimit: 32 });
  return simulated(
    sim,
    'charger',
    () => ({
      id: 'demo-pulsatrix',
      name: 'Demo pulsatrix',
      type: 'pulsatrix',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 16,
      phases: 3,
    }),
    [[16, () => sim.plugIn(), 'a car was plugged into demo-pulsatrix']],
  );
}

function quasarDemo(): DemoDevice {
  const sim = new QuasarSimulator();
  // plugged in with autostart on: it charges, so its state of charge is known and -10 (discharge) can be tried
  return simulated(
    sim,
    'charger',
    () => ({
      id: 'demo-quasar',
      name: 'Demo Quasar',
      type: 'wallbox-quasar',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      max_discharge_current: 16,
      min_state_of_charge: 20,
    }),
    [
      [
        20,
        () => sim.plugIn({ soc: 55 }),
        'a car was plugged into demo-quasar (try charge_current -10 to discharge)',
      ],
    ],
  );
}

/**
 * The demo house: a PV curve (a day compressed into 20 minutes, with passing clouds) on a Shelly
 * EM (Gen1) and the grid connection on a Shelly Pro EM (Gen2): grid = house + chargers − PV.
 */
function homeDemo(chargerPower: () => number): DemoDevice[] {
  const pvMeter = new ShellyGen1Simulator();
  const gridMeter = new ShellyGen2Simulator();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const step = () => {
    const t = (Date.now() - started) / 1000;
    const day = (t + 300) % 1200; // start in the morning
    const sun = Math.max(0, Math.sin((Math.PI * day) / 1200)) ** 1.5;
    const cloud = t % 90 < 20 ? 0.3 : 1;
    const pv = Math.round(7000 * sun * cloud);
    const house = Math.round(550 + 250 * Math.sin(t / 37) + (t % 240 < 30 ? 1800 : 0));
    const grid = house + chargerPower() - pv;
    pvMeter.setChannel(0, { power: pv, voltage: 231 });
    gridMeter.setChannel(0, {
      power: grid,
      voltage: 231,
      current: Math.round((Math.abs(grid) / 231) * 100) / 100,
    });
  };
  const start = async (sim: ShellyGen1Simulator | ShellyGen2Simulator) => {
    await sim.start();
    sim.startPhysics(1000);
    if (!timer) {
      step();
      timer = setInterval(step, 1000);
      timer.unref();
    }
  };
  const stop = async (sim: ShellyGen1Simulator | ShellyGen2Simulator) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    sim.stopPhysics();
    await sim.stop();
  };
  return [
    {
      kind: 'meter',
      start: () => start(gridMeter),
      stop: () => stop(gridMeter),
      config: () => ({
        id: 'demo-grid',
        name: 'Demo grid',
        role: 'grid',
        type: 'shelly-gen2',
        host: '127.0.0.1',
        port: gridMeter.port,
        channel: 'em1:0',
        max_age: 30,
      }),
      script: [],
    },
    {
      kind: 'meter',
      start: () => start(pvMeter),
      stop: () => stop(pvMeter),
      config: () => ({
        id: 'demo-pv',
        name: 'Demo PV',
        role: 'pv',
        type: 'shelly-em',
        host: '127.0.0.1',
        port: pvMeter.port,
        channel: 0,
      }),
      script: [],
    },
  ];
}

/**
 * The demo of CONTRACT §2: simulated devices speaking their real protocols on loopback, and a
 * bridge on the embedded broker (127.0.0.1:1883, or a free port when that one is taken).
 */
export async function startDemo(
  logger: LoggerBundle,
  opts: { brokerPort?: number; dataDir?: string } = {},
): Promise<Demo> {
  const log = logger.log.child({ module: 'demo' });
  let bridgeRef: Bridge | undefined;
  const chargerPower = () =>
    (bridgeRef?.chargers ?? []).reduce(
      (sum, c) => sum + (typeof c.current.power === 'number' ? c.current.power : 0),
      0,
    );
  const devices = [openevseDemo(), technoveDemo(), pulsatrixDemo(), quasarDemo(), ...homeDemo(chargerPower)];
  devices.push(
    ocppDemo(
      () => bridgeRef?.chargers ?? [],
      () => log,
    ),
  );
  for (const d of devices) await d.start();
  const raw = {
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port: opts.brokerPort ?? 1883 },
    data_dir: opts.dataDir ?? './data/demo',
    ocpp: DEMO_OCPP_SECTION,
    log: { level: logger.log.level },
    chargers: devices.filter((d) => d.kind === 'charger').map((d) => d.config()),
    meters: devices.filter((d) => d.kind === 'meter').map((d) => d.config()),
    tariff: {
      currency: 'EUR',
      zones: [
        { from: '02:00', to: '06:00', price: 0.16 },
        { from: '17:00', to: '20:00', price: 0.36 },
      ],
      default_price: 0.25,
      topic: 'energy/prices',
    },
  };
  const result = validateConfig(raw, {});
  if (!result.config) throw new ConfigError(result.problems);
  log.info(
    { devices: [...raw.chargers, ...raw.meters].map((c) => `${c.id} (${c.type}) on 127.0.0.1:${c.port}`) },
    'simulated devices listening',
  );
  const bridge = new Bridge({ config: result.config, logger, brokerPortFallback: true });
  bridgeRef = bridge;
  await bridge.start();

  const timers = devices.flatMap((d) =>
    d.script.map(([s, action, line]) =>
      setTimeout(() => {
        action();
        log.info(`demo: ${line}`);
      }, s * 1000),
    ),
  );
  for (const t of timers) t.unref();
  void bridge.ready.then(() => {
    const port = bridge.broker?.port ?? 1883;
    log.info(
      `demo ready. Watch: mosquitto_sub -p ${port} -t 'evse2mqtt/#' -v   Try: mosquitto_pub -p ${port} -t evse2mqtt/demo-openevse/set/charge_current -m 10`,
    );
  });

  return {
    bridge,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await bridge.stop({ exit: true });
      for (const d of devices) await d.stop();
    },
  };
}
