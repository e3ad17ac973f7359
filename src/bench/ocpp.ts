/**
 * The OCPP part of `npm run bench`: N simulated OCPP charge points (src/bench/ocpp-host.ts, a few
 * processes) connect to the bridge's central system, each with a car charging and MeterValues every
 * 10 s. Measures the bridge's CPU and RSS, command → SetChargingProfile latency (a `/set` published
 * to the charge point receiving the profile) and MeterValues → MQTT latency (a marked sample sent
 * to its state arriving at an MQTT subscriber), and the broker floor under that load.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { forkBench, spawnBridge, stopChild } from './children.js';
import { delay, freePort, now, type Stats, stats } from './common.js';
import { measureFloor } from './floor.js';
import type { FromOcppHost, ToOcppHost } from './ocpp-host.js';
import { CpuWindow, memoryMb } from './procstat.js';
import type { Plan } from './scenario.js';

/** Result of an OCPP run. */
export interface OcppRun {
  kind: 'ocpp';
  n: number;
  /** Bridge spawn → every charge point online, ms. */
  onlineMs: number;
  /** % of one core over the window. */
  cpu: number;
  /** MB at the end of the window, and peak. */
  rss: number;
  peakRss: number;
  /** % of one core of the simulator hosts together. */
  simCpu: number;
  command: Stats;
  meterValues: Stats;
  loadedFloor: Stats;
}

const METER_S = 10;
const say = (line: string) => process.stdout.write(`${line}\n`);

function config(n: number, brokerPort: number, ocppPort: number, dataDir: string): string {
  return JSON.stringify({
    mqtt: { server: 'embedded', base_topic: 'evse2mqtt' },
    embedded_broker: { host: '127.0.0.1', port: brokerPort },
    data_dir: dataDir,
    homeassistant: { enabled: true },
    homie: { enabled: false },
    // as in the other phases: the web page has its own (ui.ts)
    frontend: { enabled: false },
    log: { level: 'info' },
    ocpp: { host: '127.0.0.1', port: ocppPort },
    chargers: ids(n).map((id) => ({
      id,
      type: 'ocpp',
      charge_point_id: id.toUpperCase(),
      max_current: 16,
      phases: 3,
      meter_interval: METER_S,
    })),
  });
}

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `op-${String(i + 1).padStart(4, '0')}`);
}

/** Runs N OCPP charge points against the bridge and measures it. */
export async function runOcpp(n: number, perHost: number, plan: Plan): Promise<OcppRun> {
  const label = `OCPP N=${n}`;
  const brokerPort = await freePort();
  const ocppPort = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'evse2mqtt-bench-ocpp-'));
  const configFile = path.join(plan.outDir, `ocpp-${n}.yaml`);
  writeFileSync(configFile, config(n, brokerPort, ocppPort, dataDir));
  const logFile = path.join(plan.outDir, `ocpp-${n}.log`);
  say(`${label}: starting the bridge (log: ${logFile})`);
  const spawnedAt = now();
  const bridge = spawnBridge(configFile, logFile, plan.nodeArgs);
  const hosts: ChildProcess[] = [];
  const url = `mqtt://127.0.0.1:${brokerPort}`;
  let client: mqtt.MqttClient | undefined;
  try {
    client = await connect(url);
    const online = new Set<string>();
    const waits = new Map<string, { power: number; resolve: (at: number) => void }>();
    client.on('message', (topic, payload) => {
      const parts = topic.split('/');
      const id = parts[1]!;
      if (parts[2] === 'availability') {
        if (payload.toString().includes('online')) online.add(id);
        return;
      }
      const w = waits.get(id);
      if (parts.length !== 2 || !w) return;
      const at = now();
      if ((JSON.parse(payload.toString()) as { power?: number }).power === w.power) {
        waits.delete(id);
        w.resolve(at);
      }
    });
    await client.subscribeAsync(['evse2mqtt/+/availability', 'evse2mqtt/+'], { qos: 1 });
    const all = ids(n).map((id) => id.toUpperCase());
    const endpoint = `ws://127.0.0.1:${ocppPort}/ocpp`;
    const profiles = new Map<string, (at: number) => void>();
    const sent = new Map<string, (at: number) => void>();
    for (let i = 0; i < all.length; i += perHost) {
      const host = forkBench('ocpp-host');
      hosts.push(host);
      host.on('message', (m: FromOcppHost) => {
        if (m.op === 'profile') profiles.get(m.id)?.(m.at);
        if (m.op === 'sent') sent.get(m.id)?.(m.at);
        if (m.op === 'error') say(`${label}: simulator host: ${m.message}`);
      });
      const msg: ToOcppHost = { op: 'start', endpoint, ids: all.slice(i, i + perHost), meterS: METER_S };
      host.send(msg);
    }
    const deadline = Date.now() + 300_000;
    while (online.size < n && Date.now() < deadline) await delay(200);
    if (online.size < n) throw new Error(`only ${online.size} of ${n} charge points came online`);
    const onlineMs = now() - spawnedAt;
    say(`${label}: all online after ${(onlineMs / 1000).toFixed(1)} s; warming up ${plan.warmupS} s`);
    await delay(plan.warmupS * 1000);
    const window = new CpuWindow([bridge.pid!, ...hosts.map((h) => h.pid!)]);
    await delay(plan.windowS * 1000);
    const [cpu, ...simCpus] = window.stop();
    const mem = memoryMb(bridge.pid!);
    say(`${label}: CPU ${cpu!.toFixed(1)} % of one core, RSS ${mem.rss.toFixed(0)} MB`);

    const sample = Array.from(
      { length: Math.min(plan.sampleChargers, n) },
      (_, k) => all[Math.floor((k * n) / Math.min(plan.sampleChargers, n))]!,
    );
    const hostOf = (cp: string) => hosts[Math.floor(all.indexOf(cp) / perHost)]!;
    // command → SetChargingProfile at the charge point
    const cmd: number[] = [];
    let lostCmd = 0;
    for (let k = 0; k < plan.samples; k++) {
      const cp = sample[k % sample.length]!;
      const amps = 8 + (k % 6);
      const arrived = new Promise<number>((resolve) => profiles.set(cp, resolve));
      const at = now();
      client.publish(`evse2mqtt/${cp.toLowerCase()}/set/charge_current`, String(amps), { qos: 1 });
      const got = await Promise.race([arrived, delay(5000).then(() => -1)]);
      profiles.delete(cp);
      if (got < 0) lostCmd += 1;
      else cmd.push(got - at);
      await delay(plan.intervalMs);
    }
    // MeterValues sent → state on MQTT
    const mv: number[] = [];
    let lostMv = 0;
    for (let k = 0; k < plan.samples; k++) {
      const cp = sample[k % sample.length]!;
      const id = cp.toLowerCase();
      const power = 50_000 + k;
      const arrived = new Promise<number>((resolve) => waits.set(id, { power, resolve }));
      const leftAt = new Promise<number>((resolve) => sent.set(cp, resolve));
      hostOf(cp).send({ op: 'meter', id: cp, power } satisfies ToOcppHost);
      const got = await Promise.race([arrived, delay(5000).then(() => -1)]);
      const at = await leftAt;
      sent.delete(cp);
      waits.delete(id);
      if (got < 0) lostMv += 1;
      else mv.push(got - at);
      await delay(plan.intervalMs);
    }
    const loadedFloor = await measureFloor(url, 500, 5);
    return {
      kind: 'ocpp',
      n,
      onlineMs,
      cpu: cpu!,
      rss: mem.rss,
      peakRss: mem.peak,
      simCpu: simCpus.reduce((a, b) => a + b, 0),
      command: stats(cmd, lostCmd),
      meterValues: stats(mv, lostMv),
      loadedFloor,
    };
  } finally {
    await client?.endAsync().catch(() => {});
    for (const h of hosts) h.send({ op: 'stop' } satisfies ToOcppHost);
    await Promise.all(hosts.map((h) => stopChild(h, 5000)));
    await stopChild(bridge, 8000);
  }
}

async function connect(url: string): Promise<mqtt.MqttClient> {
  for (let i = 0; ; i++) {
    try {
      const client = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        connectTimeout: 2000,
        protocolVersion: 4,
        clientId: `ocpp-bench-${process.pid}`,
      });
      // as the other runs' probe: no Nagle delay on the measuring connection
      (client.stream as Socket).setNoDelay(true);
      return client;
    } catch (e) {
      if (i > 100) throw e;
      await delay(200);
    }
  }
}

/** The OCPP runs as table lines. */
export function formatOcpp(runs: OcppRun[], floor: Stats): string {
  const f = (s: Stats) => `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)}${s.lost ? ` (${s.lost} lost)` : ''}`;
  return [
    `OCPP (bare broker floor p50/p99 ${floor.p50.toFixed(3)} / ${floor.p99.toFixed(3)} ms)`,
    '| N | online after s | CPU % of one core | RSS MB (peak) | sim hosts CPU % | command → SetChargingProfile p50 / p99 ms | MeterValues → MQTT p50 / p99 ms | loaded floor p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.n} | ${(r.onlineMs / 1000).toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.rss.toFixed(0)} (${r.peakRss.toFixed(0)}) | ${r.simCpu.toFixed(1)} | ${f(r.command)} | ${f(r.meterValues)} | ${f(r.loadedFloor)} |`,
    ),
  ].join('\n');
}

/** The targets for OCPP charge points at the largest N: as for the other types (BENCHMARKS.md). */
export function checkOcppTargets(
  runs: OcppRun[],
  floor: Stats,
): Array<{ target: string; value: string; met: boolean }> {
  if (runs.length === 0) return [];
  const big = runs.reduce((a, b) => (b.n > a.n ? b : a));
  const x = floor.p99;
  const n = big.n;
  return [
    { target: `OCPP CPU at N=${n} < 30 % of one core`, value: `${big.cpu.toFixed(1)} %`, met: big.cpu < 30 },
    {
      target: `OCPP RSS at N=${n} < 300 MB (peak)`,
      value: `${big.peakRss.toFixed(0)} MB`,
      met: big.peakRss < 300,
    },
    {
      target: `OCPP command -> SetChargingProfile p99 at N=${n} <= 5x floor p99 (${x.toFixed(3)} ms)`,
      value: `${big.command.p99.toFixed(2)} ms = ${(big.command.p99 / x).toFixed(1)}x`,
      met: big.command.p99 <= 5 * x && !big.command.lost,
    },
    {
      target: `OCPP MeterValues -> MQTT p99 at N=${n} <= 5x floor p99`,
      value: `${big.meterValues.p99.toFixed(2)} ms = ${(big.meterValues.p99 / x).toFixed(1)}x`,
      met: big.meterValues.p99 <= 5 * x && !big.meterValues.lost,
    },
  ];
}
