/**
 * One measured run of the benchmark against running simulators: the bridge (built CLI, embedded
 * broker) with start-up, steady-state CPU/RSS, push and command latency and the loaded broker
 * floor; or the baseline loop with its steady-state CPU/RSS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { forkBench, nextMessage, type SimHosts, spawnBridge, stopChild } from './children.js';
import {
  type BaselineStart,
  delay,
  type FromBaseline,
  freePort,
  now,
  PUSH_TYPES,
  type SimInfo,
  type Stats,
} from './common.js';
import { measureFloor } from './floor.js';
import { Probe } from './probe.js';
import { CpuWindow, memoryMb } from './procstat.js';
import { commandLatency, pushLatency, spread } from './sampler.js';
import type { StallFile, StallRecord } from './stalls.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** How long and how much to measure. */
export interface Plan {
  pollS: number;
  warmupS: number;
  windowS: number;
  /** Latency samples per kind. */
  samples: number;
  /** Chargers the latency samples are spread over (at most). */
  sampleChargers: number;
  /** ms between sample starts. */
  intervalMs: number;
  /** Directory for logs, configs and profiles. */
  outDir: string;
  /** Run the bridge under `node --cpu-prof`. */
  profile: boolean;
  /** Record the bridge's event-loop hold-ups and GC pauses (`stalls.ts`). */
  stalls: boolean;
  /** More node options for the bridge process (e.g. --trace-gc). */
  nodeArgs: string[];
}

/** Steady-state cost over the window. */
export interface Cost {
  /** % of one core over the window. */
  cpu: number;
  /** MB at the end of the window. */
  rss: number;
  /** Peak resident set since start (VmHWM), MB. */
  peakRss: number;
  /** State messages per second the probe received in the window. */
  statesPerS: number;
  /** % of one core used by the simulator hosts together. */
  simCpu: number;
}

/** Result of a bridge run. */
export interface BridgeRun extends Cost {
  kind: 'bridge';
  n: number;
  homie: boolean;
  /** Process spawn → last discovery message, ms. */
  startupMs: number;
  /** Process spawn → every charger online, ms. */
  onlineMs: number;
  discoveryMessages: number;
  command: Stats & { errors: number };
  push?: Stats;
  /** Broker floor measured on the bridge's embedded broker during the run. */
  loadedFloor: Stats;
  /** With --stalls: the bridge's hold-ups ≥ 20 ms from the CPU window to the last latency sample. */
  stalls?: StallSummary;
}

/** What `stalls.ts` recorded over the measured phases. */
export interface StallSummary {
  seconds: number;
  count: number;
  totalMs: number;
  /** Hold-ups with a GC pause ≥ 5 ms inside. */
  withGc: number;
  longestMs: number;
  /** GC pauses ≥ 5 ms in the same time, and their sum. */
  gcPauses: number;
  gcMs: number;
}

function summariseStalls(file: string, from: number, to: number): StallSummary | undefined {
  let data: StallFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as StallFile;
  } catch {
    return undefined;
  }
  const inside = <T extends StallRecord>(xs: T[]) => xs.filter((x) => x.at >= from && x.at <= to);
  const stalls = inside(data.stalls);
  const gc = inside(data.gc);
  return {
    seconds: Math.round((to - from) / 1000),
    count: stalls.length,
    totalMs: stalls.reduce((a, x) => a + x.ms, 0),
    withGc: stalls.filter((x) => gc.some((g) => g.at >= x.at - 5 && g.at <= x.at + x.ms)).length,
    longestMs: stalls.reduce((a, x) => Math.max(a, x.ms), 0),
    gcPauses: gc.length,
    gcMs: gc.reduce((a, x) => a + x.ms, 0),
  };
}

/** Result of a baseline run. */
export interface BaselineRun extends Cost {
  kind: 'baseline';
  n: number;
}

/** Logs a progress line. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function until(cond: () => boolean, timeoutMs: number, tick: () => void): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let last = Date.now();
  while (!cond()) {
    if (Date.now() > end) return false;
    if (Date.now() - last > 10_000) {
      tick();
      last = Date.now();
    }
    await delay(25);
  }
  return true;
}

async function measureCost(pids: number[], simPids: number[], probe: Probe, windowS: number): Promise<Cost> {
  const win = new CpuWindow([...pids, ...simPids]);
  const states0 = probe.states;
  await delay(windowS * 1000);
  const cpus = win.stop();
  const mem = memoryMb(pids[0]!);
  return {
    cpu: cpus[0]!,
    rss: mem.rss,
    peakRss: mem.peak,
    statesPerS: (probe.states - states0) / windowS,
    simCpu: cpus.slice(pids.length).reduce((a, b) => a + b, 0),
  };
}

/** The bridge's configuration over the simulators; the web page off unless `frontendPort` is given (ui.ts). */
export function bridgeConfig(
  sims: SimInfo[],
  port: number,
  dataDir: string,
  homie: boolean,
  pollS: number,
  frontendPort?: number,
): string {
  const config = {
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port },
    data_dir: dataDir,
    homeassistant: { enabled: true },
    homie: { enabled: homie },
    // the web page has its own phase (ui.ts); elsewhere the figures stay comparable with earlier runs
    frontend:
      frontendPort === undefined
        ? { enabled: false }
        : { enabled: true, host: '127.0.0.1', port: frontendPort },
    log: { level: 'info' },
    chargers: sims.map((s) => ({
      id: s.id,
      type: s.type,
      host: '127.0.0.1',
      port: s.port,
      max_current: 32,
      poll_interval: pollS,
      ...(s.type === 'pulsatrix' ? { phases: 3 } : {}),
    })),
  };
  // JSON is YAML
  return JSON.stringify(config, null, 1);
}

/** Runs the bridge over the simulators and measures it. */
export async function runBridge(
  hosts: SimHosts,
  vehicles: Map<string, boolean>,
  homie: boolean,
  plan: Plan,
): Promise<BridgeRun> {
  const sims = hosts.sims;
  const n = sims.length;
  const label = `N=${n}${homie ? ' Homie on' : ''}`;
  const tag = `bridge-${n}${homie ? '-homie' : ''}`;
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'evse2mqtt-bench-'));
  const configFile = path.join(plan.outDir, `${tag}.yaml`);
  writeFileSync(configFile, bridgeConfig(sims, port, dataDir, homie, plan.pollS));
  const stallFile = path.join(plan.outDir, `stalls-${tag}.json`);
  const nodeArgs = [
    ...plan.nodeArgs,
    ...(plan.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(plan.outDir, `prof-${tag}`)}`] : []),
    ...(plan.stalls ? ['--import', pathToFileURL(path.join(HERE, 'stalls.js')).href] : []),
  ];
  say(`${label}: starting the bridge (log: ${path.join(plan.outDir, `${tag}.log`)})`);
  const t0 = now();
  const bridge = spawnBridge(
    configFile,
    path.join(plan.outDir, `${tag}.log`),
    nodeArgs,
    plan.stalls ? { EVSE2MQTT_BENCH_STALLS: stallFile } : {},
  );
  let measured: [number, number] | undefined;
  let run: BridgeRun | undefined;
  const url = `mqtt://127.0.0.1:${port}`;
  const probe = await Probe.connect(url, ['evse2mqtt/#', 'homeassistant/#', ...(homie ? ['homie/#'] : [])]);
  try {
    let onlineAt = 0;
    const ids = new Set(sims.map((s) => s.id));
    const discovered = () => [...probe.discovery.keys()].filter((id) => ids.has(id)).length;
    const ready = await until(
      () => {
        if (!onlineAt && probe.online.size >= n) onlineAt = now();
        return onlineAt > 0 && discovered() >= n && now() - probe.lastDiscoveryAt > 2000;
      },
      120_000,
      () => say(`${label}: ${probe.online.size}/${n} online, ${discovered()}/${n} with discovery`),
    );
    if (!ready)
      throw new Error(`${label}: the bridge did not bring every charger online with discovery in 120 s`);
    const startupMs = probe.lastDiscoveryAt - t0;
    say(
      `${label}: all online after ${((onlineAt - t0) / 1000).toFixed(1)} s, discovery done after ${(startupMs / 1000).toFixed(1)} s`,
    );
    await delay(plan.warmupS * 1000);
    const measureFrom = now();
    say(`${label}: measuring CPU and memory for ${plan.windowS} s at a ${plan.pollS} s poll`);
    const cost = await measureCost([bridge.pid!], hosts.pids, probe, plan.windowS);
    say(
      `${label}: CPU ${cost.cpu.toFixed(1)} % of one core, RSS ${cost.rss.toFixed(0)} MB (peak ${cost.peakRss.toFixed(0)} MB)`,
    );
    const pushIds = spread(
      sims.filter((s) => PUSH_TYPES.has(s.type)).map((s) => s.id),
      plan.sampleChargers,
    );
    let push: Stats | undefined;
    if (pushIds.length > 0) {
      say(`${label}: push latency, ${plan.samples} samples over ${pushIds.length} chargers`);
      push = await pushLatency(hosts, probe, vehicles, pushIds, plan.samples, plan.intervalMs);
    }
    const cmdIds = spread(
      sims.map((s) => s.id),
      plan.sampleChargers,
    );
    say(`${label}: command latency, ${plan.samples} samples over ${cmdIds.length} chargers`);
    const command = await commandLatency(hosts, probe, cmdIds, plan.samples, plan.intervalMs);
    measured = [measureFrom, now()];
    say(`${label}: broker floor on the bridge's embedded broker`);
    // a saturated bridge may not even accept the floor's connections: report that, keep the rest
    const loadedFloor = await measureFloor(url).catch((e: Error) => {
      say(`${label}: loaded floor not measured: ${e.message}`);
      return { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN, lost: 1 };
    });
    const peakRss = memoryMb(bridge.pid!).peak;
    run = {
      kind: 'bridge',
      n,
      homie,
      startupMs,
      onlineMs: onlineAt - t0,
      discoveryMessages: [...probe.discovery.values()].reduce((a, b) => a + b, 0),
      ...cost,
      peakRss,
      command,
      ...(push ? { push } : {}),
      loadedFloor,
    };
  } finally {
    await probe.close();
    const code = await stopChild(bridge, 8000);
    if (code !== 0) say(`${label}: the bridge exited with ${code}`);
  }
  const stalls = plan.stalls && measured ? summariseStalls(stallFile, ...measured) : undefined;
  if (stalls) {
    say(
      `${label}: event loop held up >= 20 ms ${stalls.count} times in ${stalls.seconds} s (${stalls.totalMs} ms, longest ${stalls.longestMs} ms), ${stalls.withGc} of them with a GC pause; GC pauses >= 5 ms: ${stalls.gcPauses} (${stalls.gcMs} ms)`,
    );
    run.stalls = stalls;
  }
  return run;
}

/** Runs the baseline loop over the simulators and measures it. */
export async function runBaseline(hosts: SimHosts, plan: Plan): Promise<BaselineRun> {
  const sims = hosts.sims;
  const n = sims.length;
  const label = `N=${n} baseline`;
  say(`${label}: starting the baseline loop`);
  const child = forkBench('baseline');
  try {
    const brokerPort = nextMessage(child, (m) =>
      (m as FromBaseline).op === 'broker' ? (m as { port: number }).port : undefined,
    );
    child.send({
      op: 'start',
      sims,
      pollMs: plan.pollS * 1000,
      baseTopic: 'evse2mqtt',
    } satisfies BaselineStart);
    const port = await brokerPort;
    const probe = await Probe.connect(`mqtt://127.0.0.1:${port}`, ['evse2mqtt/#', 'homeassistant/#']);
    try {
      const ok = await until(
        () => probe.stated.size >= n,
        120_000,
        () => say(`${label}: ${probe.stated.size}/${n} polled`),
      );
      if (!ok) throw new Error(`${label}: not every charger was polled within 120 s`);
      await delay(plan.warmupS * 1000);
      say(`${label}: measuring CPU and memory for ${plan.windowS} s`);
      const cost = await measureCost([child.pid!], hosts.pids, probe, plan.windowS);
      say(`${label}: CPU ${cost.cpu.toFixed(1)} % of one core, RSS ${cost.rss.toFixed(0)} MB`);
      return { kind: 'baseline', n, ...cost };
    } finally {
      await probe.close();
    }
  } finally {
    await stopChild(child, 3000);
  }
}
