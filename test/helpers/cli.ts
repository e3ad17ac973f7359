import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

/** The real entry point, built as in production into `outDir` (one folder per test file: they run in parallel). */
export function buildCli(outDir: string): void {
  execFileSync(process.execPath, [
    path.resolve('node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
    '--outDir',
    outDir,
  ]);
}

/** Runs the CLI built in `outDir` with `config`; resolves when it logs that the bridge is ready. */
export async function runCli(
  outDir: string,
  config: string,
  readyWithinMs = 20_000,
): Promise<{ proc: ChildProcess; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, [path.join(outDir, 'cli.js'), '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`not ready: ${out}`)), readyWithinMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('bridge ready')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { proc, exited };
}
