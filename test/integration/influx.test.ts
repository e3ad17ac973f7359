import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { toLine } from '../../src/outputs/influx.js';
import { openevseCharger, startHarness } from '../helpers/harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { freePort } from '../helpers/mosquitto.js';

const VM = (() => {
  try {
    execFileSync('victoria-metrics', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('InfluxDB line protocol', () => {
  it('tags the charger, mode and plan state; numbers and booleans as fields; nulls left out', () => {
    const line = toLine(
      { id: 'garage one', kind: 'charger' },
      {
        status: 'charging',
        enabled: true,
        charge_current: 16,
        power: 3450.5,
        temperature: null,
        mode: 'solar',
        plan: { state: 'PLAN:EXECUTING:STARTED' },
      },
      1_700_000_000_123,
    );
    expect(line).toBe(
      'evse2mqtt_charger,charger=garage\\ one,mode=solar,plan_state=PLAN:EXECUTING:STARTED status="charging",enabled=true,charge_current=16,power=3450.5 1700000000123',
    );
  });
});

// A real store: Debian's victoria-metrics accepts InfluxDB line protocol on /api/v2/write and
// returns what it stored on /api/v1/export; skipped by name where the binary is missing (CI installs it).
(VM ? describe : describe.skip)(
  VM
    ? 'InfluxDB 2 output into victoria-metrics'
    : 'InfluxDB 2 output (skipped: victoria-metrics is not installed)',
  () => {
    let vm: ChildProcess;
    let url: string;
    const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-vm-'));

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      vm = spawn('victoria-metrics', [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`], {
        stdio: 'ignore',
      });
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${url}/health`)).ok) return;
        } catch {
          /* starting */
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('victoria-metrics did not start');
    });

    afterAll(async () => {
      vm?.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes charger states in batches with their tags, and a dead store never blocks commands', async () => {
      const sim = new OpenEvseSimulator();
      await sim.start();
      sim.plugIn();
      const h = await startHarness({
        chargers: [openevseCharger(sim.port)],
        config: { influxdb: { url, token: 'influx-secret', org: 'home', bucket: 'evse' } },
        // the store keeps one month: lines carry the fake clock's time, so start it now
        clock: new ManualClock(Date.now()),
      });
      await h.rec.waitJson('evse2mqtt/garage', (v) => v.charging === true);
      await h.clock.advance(5_000);
      await fetch(`${url}/internal/force_flush`);
      let text = '';
      for (let i = 0; i < 30 && !text.includes('charger_power'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await (await fetch(`${url}/api/v1/export?match[]={__name__=~"evse2mqtt_charger.*"}`)).text();
      }
      const series = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[] });
      const power = series.find((s) => s.metric.__name__ === 'evse2mqtt_charger_power');
      expect(power?.metric).toMatchObject({ charger: 'garage', mode: 'manual' });
      expect(power!.values.at(-1)).toBeCloseTo(7325.5, 1);
      expect(h.logs.text()).not.toContain('influx-secret');
      await h.stop();
      await sim.stop();
    });

    it('keeps taking commands while the store is unreachable, and says so once', async () => {
      const sim = new OpenEvseSimulator();
      await sim.start();
      const dead = `http://127.0.0.1:${await freePort()}`;
      const h = await startHarness({
        chargers: [openevseCharger(sim.port)],
        config: { influxdb: { url: dead, org: 'home', bucket: 'evse' } },
      });
      await h.clock.advance(5_000);
      await h.clock.advance(10_000);
      await h.rec.publish('evse2mqtt/garage/set/charge_current', '12');
      expect(await h.rec.waitJson('evse2mqtt/garage/response')).toMatchObject({ status: 'ok' });
      expect(sim.pilot()).toBe(12);
      expect(h.logs.find('InfluxDB write failed')).toHaveLength(1);
      await h.stop();
      await sim.stop();
    });
  },
);
