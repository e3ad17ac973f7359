/**
 * `npm run bench -- --sessions`: what charging sessions cost (docs/sessions.md). (1) Tracking: the
 * per-reading work at 1000 chargers that all charge (ns per reading, heap growth), against the
 * same loop without tracking. (2) Requests over 10 000 stored sessions: `bridge/request/sessions`
 * as JSON (default limit, all 10 000, one charger and a month) and as CSV, ms per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { ChargerReading } from '../core/model.js';
import { StateStore } from '../core/state-store.js';
import { type SessionCharger, Sessions } from '../sessions/service.js';
import type { SessionRecord } from '../sessions/types.js';
import { Tariff } from '../tariff/tariff.js';

const silent = pino({ level: 'silent' });
const DAY = 86_400_000;

/** A clock the benchmark moves by hand; timers never fire (saves are not part of the per-reading cost). */
class BenchClock implements Clock {
  t = Date.parse('2026-06-01T08:00:00Z');
  now(): number {
    return this.t;
  }
  setTimeout(): object {
    return {};
  }
  clearTimeout(): void {}
}

function rig(dir: string, chargers: SessionCharger[], clock: BenchClock): Sessions {
  const store = new StateStore(dir, silent);
  store.load();
  const s = new Sessions({
    dataDir: dir,
    timezone: 'Europe/Paris',
    clock,
    log: silent,
    bus: new EventBus(),
    store,
    chargers: () => chargers,
    grid: { value: () => ({ value: 2000, stale: false }) },
    tariff: new Tariff(
      { currency: 'EUR', zones: [{ from: '02:00', to: '06:00', price: 0.16 }], default_price: 0.25 },
      'Europe/Paris',
      clock,
      silent,
    ),
    feedIn: 0.08,
  });
  s.load();
  return s;
}

/** The tracking cost: `rounds` polls of `n` charging chargers, with and without sessions. */
function tracking(n: number, rounds: number): { nsWith: number; nsWithout: number; heapKb: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-bench-sessions-'));
  try {
    const clock = new BenchClock();
    const chargers: SessionCharger[] = Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      mode: 'solar',
      caps: { bidirectional: false },
      cfg: { poll_interval: 5 },
      session: null,
    }));
    const readings: ChargerReading[] = chargers.map(() => ({
      vehicleConnected: false,
      charging: false,
      enabled: true,
      chargeCurrent: 16,
      fault: null,
      values: { power: 0, total_energy: 1000, session_energy: 0 },
    }));
    const sessions = rig(dir, chargers, clock);
    // everyone plugs in and charges (the sessions open; their start is not per-poll work)
    for (let i = 0; i < n; i++) sessions.onReading(chargers[i]!, readings[i]!);
    clock.t += 5000;
    for (const r of readings) {
      r.vehicleConnected = true;
      r.charging = true;
      r.values.power = 7200;
    }
    for (let i = 0; i < n; i++) sessions.onReading(chargers[i]!, readings[i]!);
    const loop = (track: boolean): number => {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < rounds; k++) {
        clock.t += 5000;
        for (let i = 0; i < n; i++) {
          const r = readings[i]!;
          (r.values.total_energy as number) += 0.01;
          if (track) sessions.onReading(chargers[i]!, r);
        }
      }
      return Number(process.hrtime.bigint() - t0) / (rounds * n);
    };
    loop(true); // warm-up (JIT)
    loop(false);
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const nsWith = loop(true);
    global.gc?.();
    const heapKb = (process.memoryUsage().heapUsed - heap0) / 1024;
    const nsWithout = loop(false);
    return { nsWith, nsWithout, heapKb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plausible ended session number `i` of `chargers` chargers, one every 2 h going back from `end`. */
function record(i: number, chargers: number, end: number): SessionRecord {
  const charger = `c${i % chargers}`;
  const start = end - i * 2 * 3_600_000;
  const energy = 5 + (i % 30);
  return {
    id: `${charger}-${Math.floor(start / 1000)}`,
    charger,
    state: 'ended',
    start: new Date(start).toISOString(),
    end: new Date(start + 3_600_000).toISOString(),
    energy,
    solar_energy: energy / 2,
    solar_share: 0.5,
    cost: energy * 0.12,
    currency: 'EUR',
    average_price: 0.12,
    max_power: 7360,
    duration: 3600,
    charging_time: 3000,
    modes: ['solar', 'manual'],
  };
}

/** ms of one request over `count` stored sessions: the first run and the median of `runs`. */
async function requests(
  count: number,
  runs: number,
): Promise<Array<{ what: string; first: number; median: number; size: number }>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-bench-sessions-'));
  try {
    const clock = new BenchClock();
    const chargers: SessionCharger[] = Array.from({ length: 4 }, (_, i) => ({
      id: `c${i}`,
      mode: 'manual',
      caps: { bidirectional: false },
      cfg: { poll_interval: 5 },
      session: null,
    }));
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify(record(i, 4, clock.t)));
    writeFileSync(path.join(dir, 'sessions.jsonl'), `${lines.join('\n')}\n`);
    const sessions = rig(dir, chargers, clock);
    const monthAgo = new Date(clock.t - 30 * DAY).toISOString();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['json, default limit (100)', {}],
      ['json, limit 10000', { limit: 10_000 }],
      ['json, one charger, last 30 days', { charger: 'c1', from: monthAgo }],
      ['csv, limit 10000', { format: 'csv', limit: 10_000 }],
    ];
    const out = [];
    for (const [what, body] of cases) {
      const times: number[] = [];
      let size = 0;
      for (let k = 0; k < runs; k++) {
        const t0 = performance.now();
        const res = await sessions.request(body);
        // what goes on the wire: the response serialised
        size = JSON.stringify(res).length;
        times.push(performance.now() - t0);
        if (res.status !== 'ok') throw new Error(`${what}: ${res.error}`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      out.push({ what, first: times[0]!, median: sorted[Math.floor(sorted.length / 2)]!, size });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs both phases and prints the figures. */
export async function runSessionsBench(): Promise<Record<string, unknown>> {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say('sessions: tracking at 1000 charging chargers, 200 polls each');
  const t = tracking(1000, 200);
  say(
    `sessions: ${t.nsWith.toFixed(0)} ns per reading with tracking, ${t.nsWithout.toFixed(0)} ns without (loop only); heap growth over 200 000 readings ${t.heapKb.toFixed(0)} KiB`,
  );
  say('sessions: bridge/request/sessions over 10 000 stored sessions (5 runs each)');
  const r = await requests(10_000, 5);
  for (const x of r)
    say(
      `sessions: ${x.what.padEnd(34)} first ${x.first.toFixed(1)} ms, median ${x.median.toFixed(1)} ms, response ${(x.size / 1024).toFixed(0)} KiB`,
    );
  return { tracking: t, requests: r };
}
