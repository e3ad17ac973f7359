/**
 * `npm run bench`: what evse2mqtt costs. For each N (default 1, 100, 1000) it starts N simulated
 * chargers of the four types in simulator-host processes, then (1) the bridge as in production
 * (`node dist/cli.js`, embedded broker, Home Assistant discovery on, Homie off) and measures
 * start-up, steady-state CPU and RSS, push and command latency; (2) the baseline loop (same
 * polling and publishing, no bridge logic); (3) at the Homie sizes, the bridge with Homie on.
 * (4) at the --ui-n sizes, the bridge with its web page and --pages page sockets (ui.ts).
 * Before that, the floor: a bare broker's own publish → delivery time. Prints a table and writes
 * `<out>/results.json`. Options: --n 1,100,1000 --homie-n 1000 --poll 5 --warmup 5 --window 20
 * --samples 200 --interval 20 --per-host 500 --out data/bench --profile (bridge under --cpu-prof) --node-args=--trace-gc
 * (more node options for the bridge process) --stalls (record the bridge's event-loop hold-ups and GC
 * pauses, stalls.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { forkBench, killAll, ROOT, SimHosts, stopChild } from './children.js';
import { simSpec } from './common.js';
import { measureFloor } from './floor.js';
import { checkOcppTargets, formatOcpp, type OcppRun, runOcpp } from './ocpp.js';
import { type BenchResults, checkTargets, formatTables } from './report.js';
import { type Plan, runBaseline, runBridge, say } from './scenario.js';
import { runSessionsBench } from './sessions.js';
import { runUi, type UiRun } from './ui.js';

const USAGE = `usage: npm run bench -- [options]   (or: node dist/bench/run.js [options])
  --n 1,100,1000      charger counts to measure
  --homie-n 1000      counts at which the bridge also runs with Homie on ('' for none)
  --poll 5            poll interval in seconds
  --warmup 5          seconds after start-up before the CPU/RSS window
  --window 20         seconds of the CPU/RSS window
  --samples 200       latency samples per kind (command, push)
  --interval 20       ms between latency samples
  --per-host 500      simulators per simulator-host process
  --ui-n 100          counts at which the bridge also runs with its web page and --pages page sockets ('' for none)
  --pages 10          page sockets of the web page phase
  --ocpp-n 1000       OCPP charge-point counts to measure ('' for none; src/bench/ocpp.ts)
  --out data/bench    where results.json goes
  --profile           run the bridge under --cpu-prof (profile in --out)
  --stalls            record the bridge's event-loop hold-ups and GC pauses
  --node-args='...'   more node options for the bridge process
  --sessions          only the charging-sessions phase (tracking per reading, requests over 10 000 sessions)
  --help              this text`;

function parse() {
  return parseArgs({
    options: {
      n: { type: 'string', default: '1,100,1000' },
      'homie-n': { type: 'string', default: '1000' },
      poll: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '5' },
      window: { type: 'string', default: '20' },
      samples: { type: 'string', default: '200' },
      interval: { type: 'string', default: '20' },
      'per-host': { type: 'string', default: '500' },
      'ui-n': { type: 'string', default: '100' },
      pages: { type: 'string', default: '10' },
      'ocpp-n': { type: 'string', default: '1000' },
      out: { type: 'string', default: path.join(ROOT, 'data', 'bench') },
      profile: { type: 'boolean', default: false },
      stalls: { type: 'boolean', default: false },
      'node-args': { type: 'string', default: '' },
      sessions: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}

function options() {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const { values } = parsed;
  const positive = ['poll', 'warmup', 'window', 'samples', 'interval', 'per-host', 'pages'] as const;
  for (const k of positive)
    if (!(Number(values[k]) > 0)) {
      process.stderr.write(`--${k} must be a positive number, got '${values[k]}'\n\n${USAGE}\n`);
      process.exit(2);
    }
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map(Number)
      .filter(Number.isFinite);
  return {
    sessionsOnly: values.sessions,
    ns: list(values.n),
    homieNs: new Set(list(values['homie-n'])),
    uiNs: new Set(list(values['ui-n'])),
    pages: Number(values.pages),
    ocppNs: list(values['ocpp-n']),
    perHost: Number(values['per-host']),
    plan: {
      pollS: Number(values.poll),
      warmupS: Number(values.warmup),
      windowS: Number(values.window),
      samples: Number(values.samples),
      sampleChargers: 50,
      intervalMs: Number(values.interval),
      outDir: path.resolve(values.out),
      profile: values.profile,
      stalls: values.stalls,
      nodeArgs: values['node-args'].split(' ').filter(Boolean),
    } satisfies Plan,
  };
}

function machine(): Record<string, unknown> {
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    ram_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

async function bareFloor() {
  const broker = forkBench('broker');
  try {
    const port = await new Promise<number>((resolve, reject) => {
      broker.once('message', (m: { port: number }) => resolve(m.port));
      broker.once('exit', () => reject(new Error('the floor broker exited')));
    });
    return await measureFloor(`mqtt://127.0.0.1:${port}`, 1000, 5);
  } finally {
    await stopChild(broker, 2000);
  }
}

async function main(): Promise<void> {
  const { ns, homieNs, uiNs, pages, ocppNs, perHost, plan, sessionsOnly } = options();
  const ui: UiRun[] = [];
  mkdirSync(plan.outDir, { recursive: true });
  if (sessionsOnly) {
    const figures = await runSessionsBench();
    writeFileSync(path.join(plan.outDir, 'sessions.json'), `${JSON.stringify(figures, null, 2)}\n`);
    return;
  }
  const started = Date.now();
  const m = machine();
  say(`evse2mqtt benchmark: N = ${ns.join(', ')}; Homie on at N = ${[...homieNs].join(', ') || 'none'}`);
  say(
    `machine: ${m.cpus} CPUs (${m.cpu_model}), ${m.ram_gb} GB RAM, Node ${m.node}; output in ${plan.outDir}`,
  );
  say('floor: bare Aedes process, QoS 1 publish -> delivery, 1000 samples');
  const floor = await bareFloor();
  say(`floor: p50 ${floor.p50.toFixed(3)} ms, p99 ${floor.p99.toFixed(3)} ms`);
  const runs: BenchResults['runs'] = [];
  const clockOffsets: BenchResults['clockOffsets'] = [];
  const failures: BenchResults['failures'] = [];
  for (const n of ns) {
    const hosts = new SimHosts();
    try {
      say(`N=${n}: starting ${n} simulators in ${Math.ceil(n / perHost)} process(es)`);
      let lastShown = 0;
      await hosts.start(
        Array.from({ length: n }, (_, i) => simSpec(i)),
        perHost,
        (k) => {
          if (k === n || k - lastShown >= Math.max(1, Math.floor(n / 5))) {
            lastShown = k;
            say(`N=${n}: starting simulators… ${k}/${n}`);
          }
        },
      );
      for (const o of await hosts.clockOffsets()) {
        clockOffsets.push({ n, ...o });
        say(
          `N=${n}: simulator host clock offset ${(o.offset * 1000).toFixed(0)} µs (± ${((o.rtt / 2) * 1000).toFixed(0)} µs)`,
        );
      }
      const vehicles = new Map<string, boolean>();
      // a run that fails is reported as such; the others still run
      const attempt = async (name: string, fn: () => Promise<BenchResults['runs'][number]>) => {
        try {
          runs.push(await fn());
        } catch (e) {
          say(`${name}: FAILED: ${(e as Error).message}`);
          failures.push({ run: name, n, error: (e as Error).message });
        }
      };
      await attempt(`N=${n} bridge`, () => runBridge(hosts, vehicles, false, plan));
      await attempt(`N=${n} baseline`, () => runBaseline(hosts, plan));
      if (homieNs.has(n))
        await attempt(`N=${n} bridge, Homie on`, () => runBridge(hosts, vehicles, true, plan));
      if (uiNs.has(n)) {
        try {
          ui.push(await runUi(hosts, plan, pages));
        } catch (e) {
          say(`N=${n} page phase: FAILED: ${(e as Error).message}`);
          failures.push({ run: `N=${n} page phase`, n, error: (e as Error).message });
        }
      }
    } finally {
      await hosts.stop();
    }
  }
  const ocpp: OcppRun[] = [];
  for (const n of ocppNs) {
    try {
      ocpp.push(await runOcpp(n, perHost, plan));
    } catch (e) {
      say(`OCPP N=${n}: FAILED: ${(e as Error).message}`);
      failures.push({ run: `OCPP N=${n}`, n, error: (e as Error).message });
    }
  }
  const partial = {
    machine: m,
    plan: { ...plan, ns, homieNs: [...homieNs], perHost },
    floor,
    clockOffsets,
    runs,
    failures,
  };
  const results: BenchResults & { ocpp: OcppRun[] } = {
    ...partial,
    ocpp,
    targets: [...checkTargets(partial), ...checkOcppTargets(ocpp, floor)],
  };
  const file = path.join(plan.outDir, 'results.json');
  writeFileSync(file, `${JSON.stringify({ ...results, ui }, null, 2)}\n`);
  say('');
  say(formatTables(results));
  for (const u of ui)
    say(
      `web page, N=${u.n}: bridge CPU ${u.cpuIdle.toFixed(1)} % → ${u.cpuPages.toFixed(1)} % of one core with ${u.pages} pages (+${(u.rise * 100).toFixed(0)} %), ${u.framesPerPage.toFixed(1)} frames/s a page, page lag behind MQTT p50 ${u.lag.p50.toFixed(2)} ms, p99 ${u.lag.p99.toFixed(2)} ms, max ${u.lag.max.toFixed(2)} ms (${u.lag.n} states)`,
    );
  say('');
  if (ocpp.length > 0) say(`${formatOcpp(ocpp, floor)}\n`);
  say(`results: ${file} (total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`benchmark failed: ${e.stack ?? e.message}\n`);
    killAll();
    process.exit(1);
  },
);
