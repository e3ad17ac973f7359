/**
 * A charging session survives kill -9: the real bridge (the built CLI in a child process) against
 * an OpenEVSE simulator, killed with SIGKILL in the middle of a session and started again.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import type { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { startBroker } from '../helpers/broker.js';
import { buildCli, runCli } from '../helpers/cli.js';
import { Recorder } from '../helpers/recorder.js';

const OUT = path.resolve('.test-build-sessions');
const SESSION = 'evse2mqtt/garage/session';

async function kill9(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

/** Waits until `check` holds (polling every 50 ms, at most `ms`). */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (let t = 0; !check(); t += 50) {
    if (t > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a charging session across kill -9', () => {
  let sim: OpenEvseSimulator;
  let broker: EmbeddedBroker;
  let rec: Recorder;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    buildCli(OUT);
    broker = await startBroker();
    rec = await Recorder.connect(broker.url, ['evse2mqtt/#']);
  }, 180_000);

  afterAll(async () => {
    await rec.close();
    await broker.close();
    rmSync(OUT, { recursive: true, force: true });
  });

  beforeEach(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
    sim.startPhysics(200);
    dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-crash-'));
    config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        `mqtt: {server: "${broker.url}"}`,
        `data_dir: ${dir}/data`,
        'homeassistant: {enabled: false}',
        'homie: {enabled: false}',
        'chargers:',
        `  - {id: garage, type: openevse, host: 127.0.0.1, port: ${sim.port}, max_current: 32, poll_interval: 0.5}`,
        '',
      ].join('\n'),
    );
  });

  const saved = () => {
    const f = path.join(dir, 'data', 'state.json');
    if (!existsSync(f)) return undefined;
    return (
      JSON.parse(readFileSync(f, 'utf8')) as { sessions?: Record<string, { id: string; lastSeen: number }> }
    ).sessions?.garage;
  };
  const stored = () => {
    const f = path.join(dir, 'data', 'sessions.jsonl');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SessionRecord);
  };

  async function plugAndCrash(): Promise<SessionRecord> {
    const first = (await runCli(OUT, config)).proc;
    const since = rec.mark();
    sim.plugIn({ evMaxCurrent: 32 });
    const active = await rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'active', {
      since,
      timeoutMs: 15_000,
    });
    await until(() => saved()?.id === active.id);
    // charge a little before the crash
    await new Promise((r) => setTimeout(r, 1500));
    await kill9(first);
    return active;
  }

  it('goes on after a restart while the car stays plugged, and is stored once at unplug', async () => {
    const active = await plugAndCrash();
    const since = rec.mark();
    const second = (await runCli(OUT, config)).proc;
    const restored = await rec.waitJson<SessionRecord>(
      SESSION,
      (s) => s.id === active.id && s.state === 'active',
      { since, timeoutMs: 15_000 },
    );
    expect(restored.start).toBe(active.start);
    const after = rec.mark();
    sim.unplug();
    const ended = await rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'ended', {
      since: after,
      timeoutMs: 15_000,
    });
    expect(ended.id).toBe(active.id);
    // the energy charged before, during and after the crash (the lifetime counter rose meanwhile)
    expect(ended.energy).toBeGreaterThan(0);
    expect(ended.duration).toBeGreaterThan(1);
    expect(stored()).toEqual([ended]);
    await kill9(second);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('ends the session at its last-seen time when the car left while the bridge was down', async () => {
    const active = await plugAndCrash();
    const lastSeen = saved()!.lastSeen;
    sim.unplug();
    const since = rec.mark();
    const second = (await runCli(OUT, config)).proc;
    const ended = await rec.waitJson<SessionRecord>(SESSION, (s) => s.state === 'ended', {
      since,
      timeoutMs: 15_000,
    });
    expect(ended.id).toBe(active.id);
    expect(Date.parse(ended.end!)).toBe(Math.floor(lastSeen / 1000) * 1000);
    expect(stored()).toEqual([ended]);
    await kill9(second);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
