/**
 * Benchmark child process: many simulated OCPP charge points (src/drivers/ocpp/simulator.ts)
 * connecting to the bridge's central system, each with a car plugged in and MeterValues every
 * `meterS` s. Driven over IPC by src/bench/ocpp.ts; reports each SetChargingProfile as it arrives
 * and stamps each marked MeterValues just before it is sent (clock of common.ts).
 */
import { SimCar } from '../drivers/ocpp/sim-car.js';
import { OcppChargePointSim } from '../drivers/ocpp/simulator.js';
import { now } from './common.js';

/** Orchestrator → OCPP host. */
export type ToOcppHost =
  | { op: 'start'; endpoint: string; ids: string[]; meterS: number }
  | { op: 'meter'; id: string; power: number }
  | { op: 'stop' };

/** OCPP host → orchestrator. */
export type FromOcppHost =
  | { op: 'progress'; started: number }
  | { op: 'started' }
  /** A SetChargingProfile reached charge point `id` at `at` with `limit`. */
  | { op: 'profile'; id: string; at: number; limit: number }
  /** A marked MeterValues left charge point `id` at `at`. */
  | { op: 'sent'; id: string; at: number; power: number }
  | { op: 'error'; message: string };

const sims = new Map<string, OcppChargePointSim>();
const timers: NodeJS.Timeout[] = [];

function send(msg: FromOcppHost): void {
  process.send?.(msg);
}

async function startOne(endpoint: string, id: string, meterS: number): Promise<void> {
  const sim = new OcppChargePointSim({
    endpoint,
    identity: id,
    strict: false,
    maxCurrent: 16,
    onCall: (method, params) => {
      if (method !== 'SetChargingProfile') return;
      const p = params.csChargingProfiles as {
        chargingSchedule?: { chargingSchedulePeriod?: Array<{ limit: number }> };
      };
      send({
        op: 'profile',
        id,
        at: now(),
        limit: p.chargingSchedule?.chargingSchedulePeriod?.[0]?.limit ?? -1,
      });
    },
  });
  await sim.start();
  await sim.plugIn(new SimCar(16, 3, 20, 1000));
  sims.set(id, sim);
  // spread the MeterValues over the interval, as real chargers' clocks are
  const first = setTimeout(
    () => {
      const t = setInterval(() => void sim.tick(meterS).catch(() => {}), meterS * 1000);
      timers.push(t);
    },
    Math.random() * meterS * 1000,
  );
  timers.push(first);
}

async function start(endpoint: string, ids: string[], meterS: number): Promise<void> {
  const batch = 25;
  for (let i = 0; i < ids.length; i += batch) {
    await Promise.all(ids.slice(i, i + batch).map((id) => startOne(endpoint, id, meterS)));
    send({ op: 'progress', started: sims.size });
  }
  send({ op: 'started' });
}

async function stopAll(): Promise<void> {
  for (const t of timers) clearTimeout(t);
  await Promise.all([...sims.values()].map((s) => s.stop().catch(() => {})));
  sims.clear();
}

process.on('message', (msg: ToOcppHost) => {
  switch (msg.op) {
    case 'start':
      start(msg.endpoint, msg.ids, msg.meterS).catch((e: Error) => send({ op: 'error', message: e.message }));
      break;
    case 'meter': {
      const sim = sims.get(msg.id);
      if (!sim) break;
      const at = now();
      void sim.sendMeterValues(new Date(), msg.power, sim.drawing()).catch(() => {});
      send({ op: 'sent', id: msg.id, at, power: msg.power });
      break;
    }
    case 'stop':
      void stopAll().finally(() => process.exit(0));
      break;
  }
});

process.on('disconnect', () => {
  void stopAll().finally(() => process.exit(0));
});
