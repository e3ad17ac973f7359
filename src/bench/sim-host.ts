/**
 * Benchmark child process: hosts many device simulators (the real OpenEVSE, TechnoVE, pulsatrix
 * and Wallbox Quasar simulators, each on its own loopback port), outside the bridge's process.
 * Driven over IPC by src/bench/run.ts: `start` the simulators, `toggle` a vehicle on a push
 * charger (the stamp is taken just before the simulator pushes the change), and it reports every
 * command request (a write) as it arrives, stamped with the shared clock of common.ts.
 */
import { OpenEvseSimulator } from '../drivers/openevse/simulator.js';
import { PulsatrixSimulator } from '../drivers/pulsatrix/simulator.js';
import { TechnoveSimulator } from '../drivers/technove/simulator.js';
import { QuasarSimulator } from '../drivers/wallbox-quasar/simulator.js';
import type { RecordedRequest } from '../sim/http-sim.js';
import { type FromHost, now, type SimInfo, type SimSpec, type ToHost } from './common.js';

/** A Quasar that reports each register write (a command) as it arrives. */
class TimedQuasar extends QuasarSimulator {
  onWrite?: () => void;
  override write(address: number, raw: number): number | null {
    this.onWrite?.();
    return super.write(address, raw);
  }
}

/** What the host keeps per simulator. */
interface Hosted {
  spec: SimSpec;
  port: number;
  stop(): Promise<void>;
  /** Plugs a vehicle in or out; returns whether one is plugged in now (push types only). */
  toggle?(): boolean;
}

const hosted = new Map<string, Hosted>();

function send(msg: FromHost): void {
  process.send?.(msg);
}

function reportCommand(id: string): void {
  send({ op: 'cmd', id, at: now() });
}

/** Starts one simulator and wires its command reports. */
async function startSim(spec: SimSpec): Promise<Hosted> {
  const { id } = spec;
  switch (spec.type) {
    case 'openevse': {
      const sim = new OpenEvseSimulator();
      sim.on('request', (r: RecordedRequest) => {
        if (r.method !== 'GET') reportCommand(id);
      });
      await sim.start();
      return {
        spec,
        port: sim.port,
        stop: () => sim.stop(),
        toggle: () => {
          if (sim.vehicle) sim.unplug();
          else sim.plugIn();
          return sim.vehicle;
        },
      };
    }
    case 'technove': {
      const sim = new TechnoveSimulator();
      sim.on('request', (r: RecordedRequest) => {
        // start/stop are GETs under /station/control/; everything else that writes is a POST
        if (r.method !== 'GET' || r.path.startsWith('/station/control/')) reportCommand(id);
      });
      await sim.start();
      return { spec, port: sim.port, stop: () => sim.stop() };
    }
    case 'pulsatrix': {
      const sim = new PulsatrixSimulator();
      sim.on('request', (r: RecordedRequest) => {
        if (r.method !== 'GET') reportCommand(id);
      });
      sim.on('command', () => reportCommand(id));
      await sim.start();
      return {
        spec,
        port: sim.port,
        stop: () => sim.stop(),
        toggle: () => {
          if (sim.device.vehicle) sim.unplug();
          else sim.plugIn();
          return sim.device.vehicle;
        },
      };
    }
    case 'wallbox-quasar': {
      // the free port is picked before listening: another host may take it first, so retry
      for (let attempt = 0; ; attempt++) {
        const sim = new TimedQuasar();
        sim.onWrite = () => reportCommand(id);
        try {
          await sim.start();
          return { spec, port: sim.port, stop: () => sim.stop() };
        } catch (e) {
          if (attempt >= 4) throw e;
        }
      }
    }
  }
}

async function start(specs: SimSpec[]): Promise<void> {
  const batch = 25;
  for (let i = 0; i < specs.length; i += batch) {
    const started = await Promise.all(specs.slice(i, i + batch).map(startSim));
    for (const h of started) hosted.set(h.spec.id, h);
    send({ op: 'progress', started: hosted.size });
  }
  const sims: SimInfo[] = [...hosted.values()].map((h) => ({ ...h.spec, port: h.port }));
  send({ op: 'started', sims });
}

async function stopAll(): Promise<void> {
  await Promise.all([...hosted.values()].map((h) => h.stop().catch(() => {})));
  hosted.clear();
}

process.on('message', (msg: ToHost) => {
  switch (msg.op) {
    case 'start':
      start(msg.sims).catch((e: Error) => send({ op: 'error', message: e.message }));
      break;
    case 'toggle': {
      const h = hosted.get(msg.id);
      if (!h?.toggle) {
        send({ op: 'error', message: `${msg.id} cannot toggle a vehicle` });
        break;
      }
      const at = now();
      const vehicle = h.toggle();
      send({ op: 'toggled', id: msg.id, seq: msg.seq, at, vehicle });
      break;
    }
    case 'ping':
      send({ op: 'pong', t: msg.t, at: now() });
      break;
    case 'stop':
      void stopAll().finally(() => process.exit(0));
      break;
  }
});

// the orchestrator gone: do not linger
process.on('disconnect', () => {
  void stopAll().finally(() => process.exit(0));
});
