import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { buildCli, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { Recorder } from '../helpers/recorder.js';

const OUT = path.resolve('.test-build');

describe('the process: signals and on_exit', () => {
  let sim: OpenEvseSimulator;
  let dir: string;

  beforeAll(async () => {
    buildCli(OUT);
    sim = new OpenEvseSimulator();
    await sim.start();
    dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-proc-'));
  }, 120_000);

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(OUT, { recursive: true, force: true });
  });

  async function configFile(onExit: string): Promise<{ file: string; port: number }> {
    const port = await freePort();
    const file = path.join(dir, `${onExit}.yaml`);
    writeFileSync(
      file,
      [
        'mqtt: {server: embedded}',
        `embedded_broker: {host: 127.0.0.1, port: ${port}}`,
        `data_dir: ${dir}/data-${onExit}`,
        'chargers:',
        `  - {id: garage, type: openevse, host: 127.0.0.1, port: ${sim.port}, max_current: 32, on_exit: ${onExit}}`,
        '',
      ].join('\n'),
    );
    return { file, port };
  }

  it('on SIGTERM leaves the charger as on_exit says, publishes offline and Homie disconnected, and exits 0 within 5 s', async () => {
    const { file, port } = await configFile('pause');
    const { proc, exited } = await runCli(OUT, file, 15_000);
    const rec = await Recorder.connect(`mqtt://127.0.0.1:${port}`, [
      'evse2mqtt/bridge/state',
      'homie/+/$state',
      'evse2mqtt/garage/response',
    ]);
    await rec.publish('evse2mqtt/garage/set/charge_current', '14');
    await rec.waitJson('evse2mqtt/garage/response', (v) => v.status === 'ok');
    const started = Date.now();
    proc.kill('SIGTERM');
    await rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"offline"}');
    await rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'disconnected');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ state: 'disabled', charge_current: 14 });
    await rec.close().catch(() => {});
  }, 30_000);

  it('logs JSON lines when stdout is not a terminal, and readable lines without colours with log.format: pretty', async () => {
    /** The lines a run prints up to "bridge ready", with `log.format: <format>` and stdout a pipe. */
    const lines = async (format: string): Promise<string[]> => {
      const port = await freePort();
      const file = path.join(dir, `log-${format}.yaml`);
      writeFileSync(
        file,
        [
          'mqtt: {server: embedded}',
          `embedded_broker: {host: 127.0.0.1, port: ${port}}`,
          `data_dir: ${dir}/data-log-${format}`,
          `log: {format: ${format}}`,
          '',
        ].join('\n'),
      );
      const proc = spawn(process.execPath, [path.join(OUT, 'cli.js'), '--config', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`not ready: ${out}`)), 15_000);
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('bridge ready')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      return out.split('\n').filter((l) => l.length > 0);
    };
    const json = await lines('auto');
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 'info', msg: 'evse2mqtt starting' });
    for (const l of json) expect(() => JSON.parse(l)).not.toThrow();
    const pretty = await lines('pretty');
    expect(pretty[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: evse2mqtt starting \{"version":/);
    expect(pretty.find((l) => l.includes('bridge ready'))).toMatch(/INFO: bridge: bridge ready/);
    expect(pretty.join('\n')).not.toContain('\u001b[');
  }, 60_000);

  it('exits at once on a second signal', async () => {
    const { file } = await configFile('release');
    const { proc, exited } = await runCli(OUT, file, 15_000);
    sim.hang = true; // on_exit now waits for a charger that does not answer (up to 3 s)
    proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 150));
    const second = Date.now();
    proc.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(Date.now() - second).toBeLessThan(1000);
    sim.hang = false;
  }, 30_000);
});
