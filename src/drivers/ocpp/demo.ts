import type { Logger } from 'pino';
import type { ChargerRuntime } from '../../core/charger-runtime.js';
import { OcppDriver } from './driver.js';
import { SimCar } from './sim-car.js';
import { OcppChargePointSim } from './simulator.js';

/** The demo's central system: loopback, any free port (the simulated charger asks the bridge which). */
export const DEMO_OCPP_SECTION = { host: '127.0.0.1', port: 0 };

/**
 * `demo-ocpp`: a simulated OCPP wallbox that connects to the demo bridge's central system a second
 * after start, is plugged in, and sends MeterValues every 10 s. Shaped like the demo's other devices.
 */
export function ocppDemo(chargers: () => readonly ChargerRuntime[], log: () => Logger | undefined) {
  let sim: OcppChargePointSim | undefined;
  let meter: NodeJS.Timeout | undefined;
  // the car's presence as the demo's simulated day says (it may change before the charge point dials in)
  let plugged = false;
  const warn = (e: Error) => log()?.warn({ err: e.message }, 'demo-ocpp');
  const connect = async () => {
    const driver = chargers().find((c) => c.id === 'demo-ocpp')?.driver;
    if (!(driver instanceof OcppDriver)) return;
    const port = await driver.cs.listening;
    if (port === null) return;
    sim = new OcppChargePointSim({
      endpoint: `ws://127.0.0.1:${port}/ocpp`,
      identity: 'DEMO-OCPP-1',
      vendor: 'Demo',
      model: 'OCPP wallbox',
      serial: 'DEMO0001',
    });
    await sim.start();
    if (plugged) await sim.plugIn(new SimCar(16, 3, 35));
    meter = setInterval(() => void sim?.tick(10).catch(() => {}), 10_000);
    meter.unref();
  };
  return {
    kind: 'charger' as const,
    /** The car arrives and plugs in. */
    plugIn: (): void => {
      plugged = true;
      void sim?.plugIn(new SimCar(16, 3, 35)).catch(warn);
    },
    /** The car unplugs and leaves. */
    unplug: (): void => {
      plugged = false;
      void sim?.unplug().catch(warn);
    },
    /** What the simulated car draws now, W (three phases). */
    powerW: (): number => (sim ? sim.drawing() * sim.voltage * 3 : 0),
    start: async () => {},
    stop: async () => {
      clearInterval(meter);
      await sim?.stop();
    },
    config: () => ({
      id: 'demo-ocpp',
      name: 'Demo OCPP wallbox',
      type: 'ocpp',
      charge_point_id: 'DEMO-OCPP-1',
      max_current: 16,
      phases: 3,
    }),
    script: [
      [
        1,
        () =>
          void connect().catch((e: Error) => log()?.warn({ err: e.message }, 'demo-ocpp could not connect')),
        'demo-ocpp connects to the central system (ws://127.0.0.1:<port>/ocpp/DEMO-OCPP-1)',
      ],
    ] as Array<[number, () => void, string]>,
  };
}
