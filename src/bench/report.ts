/**
 * The benchmark's report: a plain-text table on stdout (with ratios to the baseline loop and
 * multiples of the broker floor) and the targets of issue 10 checked against the figures.
 */
import type { Stats } from './common.js';
import type { BaselineRun, BridgeRun } from './scenario.js';

/** Everything one `npm run bench` measured. */
export interface BenchResults {
  machine: Record<string, unknown>;
  plan: Record<string, unknown>;
  /** The bare broker's own publish → delivery time (Aedes in its own process, idle machine). */
  floor: Stats;
  clockOffsets: Array<{ n: number; offset: number; rtt: number }>;
  runs: Array<BridgeRun | BaselineRun>;
  /** Runs that did not complete, and why. */
  failures: Array<{ run: string; n: number; error: string }>;
  targets: Array<{ target: string; value: string; met: boolean }>;
}

const f = (x: number | undefined, digits = 2) =>
  x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);

function baselineOf(runs: BenchResults['runs'], n: number): BaselineRun | undefined {
  return runs.find((r): r is BaselineRun => r.kind === 'baseline' && r.n === n);
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n');
}

/** The results as text tables. */
export function formatTables(res: BenchResults): string {
  const fl = res.floor;
  const rows: string[][] = [
    [
      'run',
      'N',
      'start-up s',
      'CPU %',
      'x base',
      'RSS MB',
      'peak MB',
      'cmd p50',
      'cmd p99',
      'p99 x floor',
      'push p50',
      'push p99',
      'p99 x floor',
    ],
  ];
  for (const r of res.runs) {
    if (r.kind === 'baseline') {
      rows.push([
        'baseline',
        String(r.n),
        '–',
        f(r.cpu, 1),
        '1.00',
        f(r.rss, 0),
        f(r.peakRss, 0),
        '–',
        '–',
        '–',
        '–',
        '–',
        '–',
      ]);
      continue;
    }
    const base = baselineOf(res.runs, r.n);
    rows.push([
      r.homie ? 'bridge+homie' : 'bridge',
      String(r.n),
      f(r.startupMs / 1000, 1),
      f(r.cpu, 1),
      base ? f(r.cpu / base.cpu) : '–',
      f(r.rss, 0),
      f(r.peakRss, 0),
      f(r.command.p50),
      f(r.command.p99),
      f(r.command.p99 / fl.p99, 1),
      f(r.push?.p50),
      f(r.push?.p99),
      r.push ? f(r.push.p99 / fl.p99, 1) : '–',
    ]);
  }
  const detail: string[][] = [
    [
      'run',
      'N',
      'online s',
      'discovery msgs',
      'states/s',
      'sims CPU %',
      'cmd lost/err',
      'push lost',
      'loaded floor p50/p99',
    ],
  ];
  for (const r of res.runs) {
    if (r.kind !== 'bridge') continue;
    detail.push([
      r.homie ? 'bridge+homie' : 'bridge',
      String(r.n),
      f(r.onlineMs / 1000, 1),
      String(r.discoveryMessages),
      f(r.statesPerS, 1),
      f(r.simCpu, 1),
      `${r.command.lost ?? 0}/${r.command.errors}`,
      String(r.push?.lost ?? 0),
      `${f(r.loadedFloor.p50, 3)}/${f(r.loadedFloor.p99, 3)}`,
    ]);
  }
  const targets = res.targets.map((t) => `  [${t.met ? 'met ' : 'MISS'}] ${t.target}: ${t.value}`).join('\n');
  return [
    `broker floor (bare Aedes process, QoS 1 publish -> delivery): p50 ${f(fl.p50, 3)} ms, p99 ${f(fl.p99, 3)} ms (n=${fl.n})`,
    '',
    'latencies in ms; CPU in % of one core over the steady window; x base = bridge CPU / baseline CPU',
    pad(rows),
    '',
    pad(detail),
    '',
    ...(res.failures.length > 0
      ? ['failed runs:', ...res.failures.map((x) => `  ${x.run}: ${x.error}`), '']
      : []),
    'targets:',
    targets,
  ].join('\n');
}

/** Checks the targets of issue 10 at the largest N. */
export function checkTargets(res: Omit<BenchResults, 'targets'>): BenchResults['targets'] {
  const out: BenchResults['targets'] = [];
  const bridges = res.runs.filter((r): r is BridgeRun => r.kind === 'bridge');
  const maxN = Math.max(...bridges.map((r) => r.n));
  const big = bridges.find((r) => r.n === maxN && !r.homie);
  if (!big) return out;
  out.push({
    target: `CPU at N=${maxN}, Homie off < 30 % of one core`,
    value: `${f(big.cpu, 1)} %`,
    met: big.cpu < 30,
  });
  out.push({
    target: `RSS at N=${maxN}, Homie off < 300 MB (peak)`,
    value: `${f(big.peakRss, 0)} MB`,
    met: big.peakRss < 300,
  });
  const x = res.floor.p99;
  out.push({
    target: `command p99 at N=${maxN} <= 5x floor p99 (${f(x, 3)} ms)`,
    value: `${f(big.command.p99)} ms = ${f(big.command.p99 / x, 1)}x`,
    met: big.command.p99 <= 5 * x,
  });
  if (big.push)
    out.push({
      target: `push p99 at N=${maxN} <= 5x floor p99`,
      value: `${f(big.push.p99)} ms = ${f(big.push.p99 / x, 1)}x`,
      met: big.push.p99 <= 5 * x,
    });
  const base = baselineOf(res.runs, maxN);
  if (base)
    out.push({
      target: `CPU vs baseline at N=${maxN} < 1.5x`,
      value: `${f(big.cpu, 1)} % / ${f(base.cpu, 1)} % = ${f(big.cpu / base.cpu)}x`,
      met: big.cpu / base.cpu < 1.5,
    });
  return out;
}
