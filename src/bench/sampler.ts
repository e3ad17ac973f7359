/**
 * Latency sampling: command latency (`/set` published by the probe → the write arriving at the
 * simulator) and push state latency (the simulator pushes a vehicle change → the state with it
 * arriving at the probe). Samples are paced (one started every `intervalMs`, spread round-robin
 * over chargers, at most one in flight per charger), so they measure latency, not a queue the
 * benchmark built itself. A sample not complete within 5 s counts as lost.
 */
import type { SimHosts } from './children.js';
import { delay, now, type Stats, stats } from './common.js';
import type { Probe } from './probe.js';

const SAMPLE_TIMEOUT_MS = 5000;

/** Runs `count` samples of `fire` over `ids`, paced; returns their stats. */
async function paced(
  ids: string[],
  count: number,
  intervalMs: number,
  fire: (id: string) => Promise<number | undefined>,
): Promise<Stats> {
  const busy = new Set<string>();
  const values: number[] = [];
  const samples: Array<{ id: string; ms: number; at: number; wall: string }> = [];
  const t0 = now();
  let lost = 0;
  const running: Array<Promise<void>> = [];
  let cursor = 0;
  for (let fired = 0; fired < count; ) {
    let chosen: string | undefined;
    for (let k = 0; k < ids.length; k++) {
      const c = ids[(cursor + k) % ids.length]!;
      if (!busy.has(c)) {
        chosen = c;
        cursor = (cursor + k + 1) % ids.length;
        break;
      }
    }
    if (chosen === undefined) {
      await delay(1);
      continue;
    }
    busy.add(chosen);
    fired += 1;
    const at = now() - t0;
    running.push(
      fire(chosen).then((v) => {
        busy.delete(chosen);
        if (v === undefined) lost += 1;
        else {
          values.push(v);
          samples.push({
            id: chosen,
            ms: Math.round(v * 100) / 100,
            at: Math.round(at),
            wall: new Date(t0 + at).toISOString(),
          });
        }
      }),
    );
    await delay(intervalMs);
  }
  await Promise.all(running);
  return { ...stats(values, lost), slowest: samples.sort((a, b) => b.ms - a.ms).slice(0, 5) };
}

function withTimeout<T>(p: Promise<T>, onTimeout: () => void): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, SAMPLE_TIMEOUT_MS);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** Push state latency over the push chargers `ids`: toggles a vehicle, waits for the state on MQTT. */
export function pushLatency(
  hosts: SimHosts,
  probe: Probe,
  vehicles: Map<string, boolean>,
  ids: string[],
  count: number,
  intervalMs: number,
): Promise<Stats> {
  return paced(ids, count, intervalMs, async (id) => {
    const expect = !(vehicles.get(id) ?? false);
    const arrived = probe.waitVehicle(id, expect);
    const toggled = await hosts.toggle(id);
    vehicles.set(id, toggled.vehicle);
    const at = await withTimeout(arrived, () => probe.cancelVehicle(id));
    return at === undefined ? undefined : at - toggled.at;
  });
}

/**
 * Command latency over chargers `ids`: `{"charge_current": 10 or 12}` (alternating, so every
 * command needs a write) → the first write request at the simulator after the publish. Every
 * charger gets one unmeasured command first (taking control writes more than a steady command).
 */
export async function commandLatency(
  hosts: SimHosts,
  probe: Probe,
  ids: string[],
  count: number,
  intervalMs: number,
): Promise<Stats & { errors: number }> {
  const amps = new Map<string, number>();
  const arrivals = new Map<string, { after: number; resolve: (at: number) => void }>();
  const onCmd = (id: string, at: number) => {
    const w = arrivals.get(id);
    if (w && at >= w.after) {
      arrivals.delete(id);
      w.resolve(at);
    }
  };
  hosts.on('cmd', onCmd);
  let errors = 0;
  const one = async (id: string, measured: boolean): Promise<number | undefined> => {
    const value = amps.get(id) === 10 ? 12 : 10;
    amps.set(id, value);
    let resolveArrival!: (at: number) => void;
    const arrival = new Promise<number>((r) => {
      resolveArrival = r;
    });
    const guard = now();
    arrivals.set(id, { after: guard, resolve: resolveArrival });
    const sent = probe.sendCurrent(id, value);
    const [at, ok] = await Promise.all([
      withTimeout(arrival, () => arrivals.delete(id)),
      withTimeout(sent.response, () => probe.cancelResponse(id)),
    ]);
    if (!measured) return 0;
    if (ok !== true) errors += 1;
    return at === undefined ? undefined : at - sent.at;
  };
  try {
    await paced(ids, ids.length, intervalMs, (id) => one(id, false));
    const s = await paced(ids, count, intervalMs, (id) => one(id, true));
    return { ...s, errors };
  } finally {
    hosts.off('cmd', onCmd);
  }
}

/** The first `k` ids, spread evenly over `all`. */
export function spread(all: string[], k: number): string[] {
  if (all.length <= k) return [...all];
  const step = all.length / k;
  return Array.from({ length: k }, (_, i) => all[Math.floor(i * step)]!);
}
