/**
 * Shared pieces of the benchmark (`npm run bench`): the cross-process clock, percentiles, the IPC
 * messages between the orchestrator and its children, and small helpers.
 *
 * Clock: every process stamps events with `performance.timeOrigin + performance.now()`, i.e. wall
 * clock milliseconds with sub-millisecond resolution. Processes on one machine share the wall
 * clock, so a stamp taken in a simulator host and one taken in the orchestrator are comparable;
 * the orchestrator measures the residual offset with an IPC ping at start and reports it.
 */
import net from 'node:net';

/** Wall-clock time in ms with sub-ms resolution, comparable across processes on this machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The charger types the benchmark simulates, in the order they are mixed. */
export const SIM_TYPES = ['openevse', 'technove', 'pulsatrix', 'wallbox-quasar'] as const;
export type SimType = (typeof SIM_TYPES)[number];

/** Types that push state changes (WebSocket). */
export const PUSH_TYPES: ReadonlySet<SimType> = new Set(['openevse', 'pulsatrix']);

/** One simulated charger. */
export interface SimSpec {
  id: string;
  type: SimType;
}

/** A started simulator: its port on 127.0.0.1. */
export interface SimInfo extends SimSpec {
  port: number;
}

/** Orchestrator → simulator host. */
export type ToHost =
  | { op: 'start'; sims: SimSpec[] }
  | { op: 'toggle'; id: string; seq: number }
  | { op: 'ping'; t: number }
  | { op: 'stop' };

/** Simulator host → orchestrator. */
export type FromHost =
  | { op: 'progress'; started: number }
  | { op: 'started'; sims: SimInfo[] }
  /** A vehicle was plugged in or out at `at` (just before the simulator pushed it). */
  | { op: 'toggled'; id: string; seq: number; at: number; vehicle: boolean }
  /** A command request (write) reached simulator `id` at `at`. */
  | { op: 'cmd'; id: string; at: number }
  | { op: 'pong'; t: number; at: number }
  | { op: 'error'; message: string };

/** Orchestrator → baseline loop. */
export interface BaselineStart {
  op: 'start';
  sims: SimInfo[];
  pollMs: number;
  baseTopic: string;
}

/** Baseline loop → orchestrator. */
export type FromBaseline =
  | { op: 'broker'; port: number }
  | { op: 'polling' }
  | { op: 'error'; message: string };

/** p50/p99 and friends of a sample, ms. */
export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Samples that never completed (timeouts). */
  lost?: number;
  /**
   * The five slowest samples with their charger and when they started (ms since the first, and
   * wall-clock ISO time to match against a `--trace-gc` or stall log), to find what sets the tail.
   */
  slowest?: Array<{ id: string; ms: number; at: number; wall: string }>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Stats of a sample (ms). */
export function stats(values: readonly number[], lost = 0): Stats {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN;
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
    mean,
    ...(lost ? { lost } : {}),
  };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Charger id of the i-th simulated charger (0-based) and its type: the four types in turn. */
export function simSpec(i: number): SimSpec {
  const type = SIM_TYPES[i % SIM_TYPES.length]!;
  const tag = { openevse: 'oe', technove: 'tv', pulsatrix: 'px', 'wallbox-quasar': 'wq' }[type];
  return { id: `${tag}-${String(i + 1).padStart(4, '0')}`, type };
}
