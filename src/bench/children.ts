/**
 * The benchmark's child processes: simulator hosts, the bridge (built CLI), the baseline loop and
 * the bare broker. Every child is registered and killed when the benchmark exits, fails or is
 * interrupted, so that no process is left behind.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FromHost, now, type SimInfo, type SimSpec, type ToHost } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (dist/bench/ → ../..). */
export const ROOT = path.resolve(here, '..', '..');

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (SIGKILL: the benchmark is over or failed). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.on('exit', killAll);

/** Stops a child with SIGTERM; SIGKILL after `graceMs`. Resolves when it exited. */
export function stopChild(child: ChildProcess, graceMs = 6000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** Forks a compiled bench module (dist/bench/<name>.js) with IPC. */
export function forkBench(name: string, execArgv: string[] = []): ChildProcess {
  return track(
    fork(path.join(here, `${name}.js`), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }),
  );
}

/** Starts the bridge as in production: `node dist/cli.js --config FILE`, its log to `logFile`. */
export function spawnBridge(
  configFile: string,
  logFile: string,
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): ChildProcess {
  const fd = openSync(logFile, 'w');
  return track(
    spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'cli.js'), '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
    }),
  );
}

/** Waits for the first IPC message matching `pick`. */
export function nextMessage<T>(
  child: ChildProcess,
  pick: (m: unknown) => T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(t);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const t = setTimeout(() => {
      done();
      reject(new Error('child did not answer in time'));
    }, timeoutMs);
    const onMessage = (m: unknown) => {
      const v = pick(m);
      if (v === undefined) return;
      done();
      resolve(v);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`child exited (${code}) before answering`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * The simulator hosts: simulators spread over `ceil(n / perHost)` processes. Events:
 * `cmd` (id, at) for each command request that reaches a simulator.
 */
export class SimHosts extends EventEmitter {
  readonly hosts: ChildProcess[] = [];
  readonly sims: SimInfo[] = [];
  private readonly hostOf = new Map<string, ChildProcess>();
  private toggleSeq = 0;
  private readonly toggles = new Map<number, (m: { at: number; vehicle: boolean }) => void>();

  /** Starts the simulators; `progress` is told how many are up. */
  async start(specs: SimSpec[], perHost: number, progress: (started: number) => void): Promise<void> {
    const groups: SimSpec[][] = [];
    for (let i = 0; i < specs.length; i += perHost) groups.push(specs.slice(i, i + perHost));
    const counts = groups.map(() => 0);
    await Promise.all(
      groups.map(async (group, g) => {
        const host = forkBench('sim-host');
        this.hosts.push(host);
        host.on('message', (m: FromHost) => this.onMessage(m, g, counts, progress));
        host.send({ op: 'start', sims: group } satisfies ToHost);
        const sims = await nextMessage(host, (m) =>
          (m as FromHost).op === 'started' ? (m as { sims: SimInfo[] }).sims : undefined,
        );
        for (const s of sims) {
          this.sims.push(s);
          this.hostOf.set(s.id, host);
        }
      }),
    );
    this.sims.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Clock offset of each host vs this process, ms (best of 20 IPC pings; ± half the round trip). */
  async clockOffsets(): Promise<Array<{ offset: number; rtt: number }>> {
    const out: Array<{ offset: number; rtt: number }> = [];
    for (const host of this.hosts) {
      let best = { offset: 0, rtt: Number.POSITIVE_INFINITY };
      for (let i = 0; i < 20; i++) {
        const t = now();
        host.send({ op: 'ping', t } satisfies ToHost);
        const at = await nextMessage(host, (m) => {
          const x = m as FromHost;
          return x.op === 'pong' && x.t === t ? x.at : undefined;
        });
        const t2 = now();
        if (t2 - t < best.rtt) best = { offset: at - (t + t2) / 2, rtt: t2 - t };
      }
      out.push(best);
    }
    return out;
  }

  /** Plugs a vehicle in or out at simulator `id`; resolves with the stamp and the new vehicle state. */
  toggle(id: string): Promise<{ at: number; vehicle: boolean }> {
    const host = this.hostOf.get(id);
    if (!host) return Promise.reject(new Error(`no simulator ${id}`));
    const seq = ++this.toggleSeq;
    return new Promise((resolve) => {
      this.toggles.set(seq, resolve);
      host.send({ op: 'toggle', id, seq } satisfies ToHost);
    });
  }

  /** PIDs of the host processes. */
  get pids(): number[] {
    return this.hosts.map((h) => h.pid!).filter((p) => p !== undefined);
  }

  /** Stops every host (and its simulators). */
  async stop(): Promise<void> {
    await Promise.all(
      this.hosts.map((h) => {
        if (h.connected) h.send({ op: 'stop' } satisfies ToHost);
        return stopChild(h, 5000);
      }),
    );
  }

  private onMessage(m: FromHost, g: number, counts: number[], progress: (n: number) => void): void {
    switch (m.op) {
      case 'progress':
        counts[g] = m.started;
        progress(counts.reduce((a, b) => a + b, 0));
        break;
      case 'cmd':
        this.emit('cmd', m.id, m.at);
        break;
      case 'toggled': {
        const r = this.toggles.get(m.seq);
        this.toggles.delete(m.seq);
        r?.({ at: m.at, vehicle: m.vehicle });
        break;
      }
      case 'error':
        process.stderr.write(`simulator host: ${m.message}\n`);
        break;
    }
  }
}
