/**
 * The benchmark's web page phase: the bridge with its page on, first with no page open, then with
 * `pages` WebSocket clients (as browser tabs would open them) counting frames; the CPU of the
 * bridge process in both windows, and each state's lag on the page socket behind the same state on
 * MQTT (matched by payload), ms. Writes nothing but its log and config in the plan's folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { type SimHosts, spawnBridge, stopChild } from './children.js';
import { delay, freePort, now, type Stats, stats } from './common.js';
import { CpuWindow, memoryMb } from './procstat.js';
import { bridgeConfig, type Plan, say } from './scenario.js';

/** What the page phase measured. */
export interface UiRun {
  n: number;
  pages: number;
  /** % of one core: the bridge with its page on and no page open (mean of a window before and one after the pages). */
  cpuIdle: number;
  /** % of one core: the same with `pages` pages open. */
  cpuPages: number;
  /** cpuPages / cpuIdle − 1. */
  rise: number;
  rssMb: number;
  /** Frames per second each page received. */
  framesPerPage: number;
  /** Page frame arrival minus MQTT arrival of the same state, ms (negative: the page was first). */
  lag: Stats;
  /** States seen on a page that never came on MQTT in the window (or the reverse). */
  unmatched: number;
}

/** Runs the bridge with its page over the simulators; measures without and with `pages` pages. */
export async function runUi(hosts: SimHosts, plan: Plan, pages: number): Promise<UiRun> {
  const n = hosts.sims.length;
  const label = `N=${n} page phase`;
  const brokerPort = await freePort();
  const uiPort = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'evse2mqtt-bench-ui-'));
  const configFile = path.join(plan.outDir, `bridge-${n}-ui.yaml`);
  writeFileSync(configFile, bridgeConfig(hosts.sims, brokerPort, dataDir, false, plan.pollS, uiPort));
  say(`${label}: starting the bridge with its web page`);
  const bridge = spawnBridge(configFile, path.join(plan.outDir, `bridge-${n}-ui.log`));
  const sockets: WebSocket[] = [];
  let client: mqtt.MqttClient | undefined;
  try {
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 0 });
        break;
      } catch (e) {
        if (Date.now() > until) throw e;
        await delay(250);
      }
    }
    const online = new Set<string>();
    // the same state on both sides: arrival times by payload text
    const viaMqtt = new Map<string, number>();
    const viaPage = new Map<string, number>();
    const lags: number[] = [];
    let measuring = false;
    const ids = new Set(hosts.sims.map((s) => s.id));
    const remember = (map: Map<string, number>, key: string, t: number) => {
      map.set(key, t);
      if (map.size > 50_000) map.delete(map.keys().next().value as string);
    };
    const seen = (
      key: string,
      t: number,
      mine: Map<string, number>,
      other: Map<string, number>,
      sign: number,
    ) => {
      const o = other.get(key);
      if (o === undefined) return remember(mine, key, t);
      other.delete(key);
      if (measuring) lags.push(sign * (t - o));
    };
    client.on('message', (topic, payload) => {
      const id = topic.slice('evse2mqtt/'.length);
      if (topic.endsWith('/availability') && payload.toString().includes('online'))
        online.add(id.split('/')[0]!);
      else if (ids.has(id)) seen(`${id} ${payload.toString()}`, now(), viaMqtt, viaPage, 1);
    });
    await client.subscribeAsync(['evse2mqtt/+', 'evse2mqtt/+/availability'], { qos: 1 });
    const ready = Date.now() + 120_000;
    while (online.size < n) {
      if (Date.now() > ready)
        throw new Error(`${label}: only ${online.size}/${n} chargers online after 120 s`);
      await delay(100);
    }
    await delay(plan.warmupS * 1000);
    say(`${label}: CPU with no page open, ${plan.windowS} s`);
    let win = new CpuWindow([bridge.pid!]);
    await delay(plan.windowS * 1000);
    const cpuIdleBefore = win.stop()[0]!;
    say(`${label}: opening ${pages} pages`);
    let frames = 0;
    for (let i = 0; i < pages; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/api`, {
        headers: { Origin: `http://127.0.0.1:${uiPort}` },
      });
      const first = i === 0;
      ws.on('message', (data) => {
        frames++;
        if (!first) return;
        const f = JSON.parse(data.toString()) as { topic: string; payload: unknown };
        if (ids.has(f.topic)) seen(`${f.topic} ${JSON.stringify(f.payload)}`, now(), viaPage, viaMqtt, -1);
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      sockets.push(ws);
    }
    await delay(2000);
    say(`${label}: CPU with ${pages} pages open, ${plan.windowS} s`);
    frames = 0;
    measuring = true;
    win = new CpuWindow([bridge.pid!]);
    await delay(plan.windowS * 1000);
    const cpuPages = win.stop()[0]!;
    measuring = false;
    // idle again after the pages close (A-B-A): the machine is shared and its load drifts
    for (const ws of sockets) ws.close();
    await delay(1000);
    say(`${label}: CPU with no page open again, ${plan.windowS} s`);
    win = new CpuWindow([bridge.pid!]);
    await delay(plan.windowS * 1000);
    const cpuIdle = (cpuIdleBefore + win.stop()[0]!) / 2;
    const run: UiRun = {
      n,
      pages,
      cpuIdle,
      cpuPages,
      rise: cpuPages / cpuIdle - 1,
      rssMb: memoryMb(bridge.pid!).rss,
      framesPerPage: frames / pages / plan.windowS,
      lag: stats([...lags].sort((a, b) => a - b)),
      unmatched: viaMqtt.size + viaPage.size,
    };
    say(
      `${label}: CPU ${cpuIdle.toFixed(1)} % → ${cpuPages.toFixed(1)} % with ${pages} pages (+${(run.rise * 100).toFixed(0)} %), ${run.framesPerPage.toFixed(0)} frames/s a page, lag p50 ${run.lag.p50.toFixed(2)} ms p99 ${run.lag.p99.toFixed(2)} ms max ${run.lag.max.toFixed(2)} ms`,
    );
    return run;
  } finally {
    for (const ws of sockets) ws.terminate();
    await client?.endAsync(true);
    await stopChild(bridge, 6000);
  }
}
