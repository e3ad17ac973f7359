import { Bridge } from './bridge.js';
import { ConfigError, validateConfig } from './config/load.js';
import type { LoggerBundle } from './core/logger.js';
import { OpenEvseSimulator } from './drivers/openevse/simulator.js';
import { PulsatrixSimulator } from './drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from './drivers/technove/simulator.js';
import { QuasarSimulator } from './drivers/wallbox-quasar/simulator.js';

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

function openevseDemo(): DemoDevice {
  const sim = new OpenEvseSimulator();
  return {
    kind: 'charger',
    start: async () => {
      await sim.start();
      sim.startPhysics(1000);
    },
    stop: async () => {
      sim.stopPhysics();
      await sim.stop();
    },
    config: () => ({
      id: 'demo-openevse',
      name: 'Demo OpenEVSE',
      type: 'openevse',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
    }),
    script: [
      [8, () => sim.plugIn({ evMaxCurrent: 32, batteryLevel: 41 }), 'a car was plugged into demo-openevse'],
    ],
  };
}

function technoveDemo(): DemoDevice {
  const sim = new TechnoveSimulator({ maxStationCurrent: 32, name: 'Demo TechnoVE' });
  return {
    kind: 'charger',
    start: async () => {
      await sim.start();
      sim.startPhysics(1000);
    },
    stop: async () => {
      sim.stopPhysics();
      await sim.stop();
    },
    config: () => ({
      id: 'demo-technove',
      name: 'Demo TechnoVE',
      type: 'technove',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
    }),
    script: [
      [
        12,
        () => sim.plugIn({ evMaxCurrent: 16 }),
        'a car was plugged into demo-technove (auto-charge starts it)',
      ],
    ],
  };
}

function pulsatrixDemo(): DemoDevice {
  const sim = new PulsatrixSimulator({ ownLimit: 32 });
  return {
    kind: 'charger',
    start: async () => {
      await sim.start();
      sim.startPhysics(1000);
    },
    stop: async () => {
      sim.stopPhysics();
      await sim.stop();
    },
    config: () => ({
      id: 'demo-pulsatrix',
      name: 'Demo pulsatrix',
      type: 'pulsatrix',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 16,
      phases: 3,
    }),
    script: [[16, () => sim.plugIn(), 'a car was plugged into demo-pulsatrix']],
  };
}

function quasarDemo(): DemoDevice {
  const sim = new QuasarSimulator();
  return {
    kind: 'charger',
    start: async () => {
      await sim.start();
      sim.startPhysics(1000);
    },
    stop: async () => {
      sim.stopPhysics();
      await sim.stop();
    },
    config: () => ({
      id: 'demo-quasar',
      name: 'Demo Quasar',
      type: 'wallbox-quasar',
      host: '127.0.0.1',
      port: sim.port,
      max_current: 32,
      max_discharge_current: 16,
      min_state_of_charge: 20,
    }),
    // plugged in with autostart on: it charges, so its state of charge is known and -10 (discharge) can be tried
    script: [
      [
        20,
        () => sim.plugIn({ soc: 55 }),
        'a car was plugged into demo-quasar (try charge_current -10 to discharge)',
      ],
    ],
  };
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
  const devices = [openevseDemo(), technoveDemo(), pulsatrixDemo(), quasarDemo()];
  for (const d of devices) await d.start();
  const raw = {
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port: opts.brokerPort ?? 1883 },
    data_dir: opts.dataDir ?? './data/demo',
    log: { level: logger.log.level },
    chargers: devices.filter((d) => d.kind === 'charger').map((d) => d.config()),
    meters: devices.filter((d) => d.kind === 'meter').map((d) => d.config()),
  };
  const result = validateConfig(raw, {});
  if (!result.config) throw new ConfigError(result.problems);
  log.info(
    { devices: [...raw.chargers, ...raw.meters].map((c) => `${c.id} (${c.type}) on 127.0.0.1:${c.port}`) },
    'simulated devices listening',
  );
  const bridge = new Bridge({ config: result.config, logger, brokerPortFallback: true });
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
