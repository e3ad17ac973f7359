import { Bridge } from './bridge.js';
import { ConfigError, validateConfig } from './config/load.js';
import type { LoggerBundle } from './core/logger.js';
import { OpenEvseSimulator } from './drivers/openevse/simulator.js';

/** A running demo: simulators plus a bridge on the embedded broker. */
export interface Demo {
  bridge: Bridge;
  stop(): Promise<void>;
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
  const openevse = new OpenEvseSimulator();
  await openevse.start();
  openevse.startPhysics(1000);
  log.info({ port: openevse.port }, 'simulated OpenEVSE listening (HTTP + /ws)');

  const raw = {
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port: opts.brokerPort ?? 1883 },
    data_dir: opts.dataDir ?? './data/demo',
    log: { level: logger.log.level },
    chargers: [
      {
        id: 'demo-openevse',
        name: 'Demo OpenEVSE',
        type: 'openevse',
        host: '127.0.0.1',
        port: openevse.port,
        max_current: 32,
        poll_interval: 5,
      },
    ],
  };
  const result = validateConfig(raw, {});
  if (!result.config) throw new ConfigError(result.problems);
  const bridge = new Bridge({ config: result.config, logger, brokerPortFallback: true });
  await bridge.start();

  // a car arrives after a few seconds, so that the demo shows a charging session
  const timers = [
    setTimeout(() => {
      openevse.plugIn({ evMaxCurrent: 32, batteryLevel: 41 });
      log.info('demo: a car was plugged into demo-openevse');
    }, 8000),
  ];
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
      openevse.stopPhysics();
      await openevse.stop();
    },
  };
}
