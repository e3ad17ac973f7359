import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Path of the mosquitto binary, or undefined when it is not installed. */
export const MOSQUITTO: string | undefined = (() => {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) {
    try {
      execFileSync(p, ['-h'], { stdio: 'ignore' });
      return p;
    } catch (e) {
      // mosquitto -h exits 3 but exists
      if ((e as { status?: number }).status !== undefined) return p;
    }
  }
  return undefined;
})();

/** A free TCP port on loopback (Mosquitto has no port 0). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A Mosquitto process started by a test on its own port. */
export interface Mosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Restarts on the same port (a broker restart). */
  restart(): Promise<void>;
}

/** Starts Mosquitto with `extra` config lines (anonymous allowed unless `extra` sets auth). */
export async function startMosquitto(extra: string[] = []): Promise<Mosquitto> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-mosq-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  const hasAuth = extra.some((l) => l.startsWith('password_file') || l.startsWith('allow_anonymous'));
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      ...(hasAuth ? [] : ['allow_anonymous true']),
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'set_tcp_nodelay true',
      'user root',
      ...extra,
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(MOSQUITTO!, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(port)) return;
      if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not start: ${stderr}`);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
