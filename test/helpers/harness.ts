import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IClientOptions } from 'mqtt';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import type { ControlHooks } from '../../src/core/control.js';
import type { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { startBroker } from './broker.js';
import { MemoryLog } from './logs.js';
import { ManualClock } from './manual-clock.js';
import { Recorder } from './recorder.js';

/** A bridge under test with its broker, a recording client, a fake clock and captured logs. */
export interface Harness {
  bridge: Bridge;
  clock: ManualClock;
  logs: MemoryLog;
  rec: Recorder;
  broker?: EmbeddedBroker;
  url: string;
  dataDir: string;
  /** Stops the bridge (with on_exit when `exit`), the recorder and the broker. */
  stop(opts?: { exit?: boolean; keepData?: boolean; keepBroker?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  chargers?: Array<Record<string, unknown>>;
  meters?: Array<Record<string, unknown>>;
  /** Other top-level configuration sections. */
  config?: Record<string, unknown>;
  /** Use this broker instead of starting an in-process Aedes. */
  brokerUrl?: string;
  dataDir?: string;
  clock?: ManualClock;
  control?: ControlHooks;
  /** Topic filters the recorder subscribes (default everything). */
  record?: string[];
  mqtt?: Record<string, unknown>;
  /** bridge/request/restart handler. */
  onRestart?: () => void;
  /** Options of the recording client (credentials, TLS). */
  recorder?: IClientOptions;
}

let seq = 0;

/** Starts a broker (unless given), a recorder, then the bridge, and runs its start-up to `ready`. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const broker = opts.brokerUrl ? undefined : await startBroker();
  const url = opts.brokerUrl ?? broker!.url;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'evse2mqtt-test-'));
  const rec = await Recorder.connect(url, opts.record ?? ['#'], opts.recorder ?? {});
  const raw = {
    mqtt: { server: url, client_id: `e2mtest${process.pid % 1000}${++seq}`, ...(opts.mqtt ?? {}) },
    data_dir: dataDir,
    log: { level: 'debug' },
    chargers: opts.chargers ?? [],
    meters: opts.meters ?? [],
    // the web page only where a test asks for it (its default port would collide between tests)
    frontend: { enabled: false },
    ...(opts.config ?? {}),
  };
  const result = validateConfig(raw, {});
  if (!result.config) {
    await rec.close();
    await broker?.close();
    throw new Error(
      `test configuration invalid:\n${result.problems.map((p) => `${p.path}: ${p.reason}`).join('\n')}`,
    );
  }
  const clock = opts.clock ?? new ManualClock();
  const logs = new MemoryLog();
  const bridge = new Bridge({
    config: result.config,
    clock,
    logger: logs.bundle,
    ...(opts.control ? { control: opts.control } : {}),
    ...(opts.onRestart ? { onRestart: opts.onRestart } : {}),
  });
  await bridge.start();
  await clock.runUntil(bridge.ready, 250);
  return {
    bridge,
    clock,
    logs,
    rec,
    broker,
    url,
    dataDir,
    stop: async (o = {}) => {
      await bridge.stop({ exit: o.exit === true });
      await rec.close();
      if (!o.keepBroker) await broker?.close();
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Configuration of an OpenEVSE charger pointing at a simulator port. */
export function openevseCharger(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'garage',
    name: 'Garage',
    type: 'openevse',
    host: '127.0.0.1',
    port,
    max_current: 32,
    poll_interval: 5,
    ...extra,
  };
}
