/**
 * Bench diagnostic, preloaded into the bridge with `node --import` when `npm run bench -- --stalls`
 * is given: records each time the event loop was held up ≥ 20 ms (a 5 ms interval timer that fired
 * late) and each GC pause ≥ 5 ms, with wall-clock times, to the file named by
 * EVSE2MQTT_BENCH_STALLS. The bench then tells how much of the latency tail is GC and how much
 * is something else. Not part of the bridge.
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

export interface StallRecord {
  /** Wall-clock ms when the hold-up began. */
  at: number;
  /** How long the loop was held up, ms. */
  ms: number;
}

export interface StallFile {
  stalls: StallRecord[];
  /** GC pauses ≥ 5 ms: kind 1 = minor (scavenge), 4 = major (mark-compact), 8 = incremental, 16 = weak. */
  gc: Array<StallRecord & { kind: number }>;
}

const file = process.env.EVSE2MQTT_BENCH_STALLS;
if (file) {
  const TICK = 5;
  const data: StallFile = { stalls: [], gc: [] };
  const wall = () => performance.timeOrigin + performance.now();
  let last = wall();
  setInterval(() => {
    const t = wall();
    const late = t - last - TICK;
    if (late >= 20) data.stalls.push({ at: Math.round(last + TICK), ms: Math.round(late) });
    last = t;
  }, TICK).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < 5) continue;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      data.gc.push({
        at: Math.round(performance.timeOrigin + e.startTime),
        ms: Math.round(e.duration),
        kind,
      });
    }
  }).observe({ entryTypes: ['gc'] });
  const flush = () => {
    try {
      writeFileSync(file, JSON.stringify(data));
    } catch {
      /* a diagnostic must not take the bridge down */
    }
  };
  setInterval(flush, 2000).unref();
  process.on('exit', flush);
}
