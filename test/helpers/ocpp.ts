import type { OcppDriver } from '../../src/drivers/ocpp/driver.js';
import { OcppChargePointSim, type OcppSimOptions } from '../../src/drivers/ocpp/simulator.js';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';

/** A bridge with one OCPP charger (`carport`, identity CP1) and its central system on a free loopback port. */
export interface OcppHarness extends Harness {
  /** `ws://127.0.0.1:<port>/ocpp`. */
  endpoint: string;
  /** A simulated charge point pointed at the bridge (not started). */
  sim(opts?: Partial<OcppSimOptions>): OcppChargePointSim;
  /** Starts a simulated charge point and waits until the bridge says it is online. */
  connect(opts?: Partial<OcppSimOptions>): Promise<OcppChargePointSim>;
}

/** Waits (real time, at most 5 s) until `cond` holds: OCPP exchanges run over a real socket. */
export async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

/** The configuration of the OCPP charger `carport`. */
export function ocppCharger(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'carport', type: 'ocpp', charge_point_id: 'CP1', max_current: 16, phases: 3, ...extra };
}

/** Starts the harness with OCPP chargers (default: `carport`). */
export async function startOcpp(
  opts: HarnessOptions & { ocpp?: Record<string, unknown> } = {},
): Promise<OcppHarness> {
  const h = await startHarness({
    chargers: [ocppCharger()],
    ...opts,
    config: { ocpp: { host: '127.0.0.1', port: 0, ...(opts.ocpp ?? {}) }, ...(opts.config ?? {}) },
  });
  const first = h.bridge.chargers.find((c) => c.type === 'ocpp');
  const port = await (first!.driver as OcppDriver).cs.listening;
  const endpoint = `ws://127.0.0.1:${port}/ocpp`;
  const sims: OcppChargePointSim[] = [];
  const sim = (o: Partial<OcppSimOptions> = {}) => {
    const s = new OcppChargePointSim({ endpoint, identity: 'CP1', ...o });
    sims.push(s);
    return s;
  };
  return {
    ...h,
    endpoint,
    sim,
    connect: async (o = {}) => {
      const s = sim(o);
      const since = h.rec.mark();
      await s.start();
      await h.rec.waitFor((m) => m.topic.endsWith('/availability') && m.payload.includes('online'), {
        since,
      });
      await h.clock.advance(10);
      return s;
    },
    stop: async (o = {}) => {
      await h.stop(o);
      for (const s of sims) await s.stop();
    },
  };
}
