import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from '@jest/globals';
import { startDemo } from '../../src/demo.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Recorder } from '../helpers/recorder.js';

type ChargerState = {
  vehicle_connected?: boolean;
  charging?: boolean;
  power?: number | null;
  decision?: { surplus_power: number | null; blocked_by: string | null } | null;
};
type SiteState = { grid_power: number | null; pv_power: number | null };

it('runs the demo site on a manual clock: a solar charger charges from surplus within two minutes, stops under a long cloud, and the Quasar feeds the house once the sun is gone', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-demo-site-'));
  const logs = new MemoryLog('info');
  const clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
  const start = clock.now();
  const demo = await startDemo(logs.bundle, { brokerPort: 0, dataDir, clock });
  const rec = await Recorder.connect(demo.bridge.broker!.url, ['evse2mqtt/#']);
  const elapsedS = () => (clock.now() - start) / 1000;
  const openevse = () => rec.json<ChargerState>('evse2mqtt/demo-openevse');
  const quasar = () => rec.json<ChargerState>('evse2mqtt/demo-quasar');
  const site = () => rec.json<SiteState>('evse2mqtt/site');
  /** Advances the clock a second at a time until `seen()` holds; returns the elapsed s then. */
  const until = async (seen: () => boolean, maxS: number): Promise<number> => {
    while (elapsedS() < maxS) {
      await clock.advance(1000);
      try {
        if (seen()) return elapsedS();
      } catch {
        /* nothing received on that topic yet */
      }
    }
    throw new Error(`not seen within ${maxS} s of the demo's start`);
  };
  try {
    await clock.runUntil(demo.bridge.ready, 250);

    // what a subscriber sees: demo-openevse in solar charges, and says it charges from a surplus
    await until(() => {
      const s = openevse();
      return s.charging === true && (s.power ?? 0) > 0 && (s.decision?.surplus_power ?? 0) > 0;
    }, 120);
    expect(site().pv_power).toBeGreaterThan(1000);

    // the long cloud: it stops charging with the car still plugged in (surplus below minimum) …
    await until(() => {
      const s = openevse();
      return s.vehicle_connected === true && s.charging === false;
    }, 200);
    expect(openevse().decision?.blocked_by).toBe('surplus below minimum');
    // … and starts again when the sun is back
    await until(() => openevse().charging === true, 205);

    // cars come and go: demo-technove's first visit (a charging session) has ended by now
    const technove = rec.on('evse2mqtt/demo-technove').map((m) => JSON.parse(m.payload) as ChargerState);
    const connected = technove.map((s) => s.vehicle_connected);
    expect(connected.indexOf(true)).toBeGreaterThanOrEqual(0);
    expect(connected.lastIndexOf(false)).toBeGreaterThan(connected.indexOf(true));

    // after sunset the Quasar's car discharges into the house: negative power on its state
    const discharged = await until(() => (quasar().power ?? 0) < 0 && site().pv_power === 0, 330);
    expect(discharged).toBeGreaterThan(200);
    expect(quasar().vehicle_connected).toBe(true);
    // the grid meter sees the discharge: the import drops well below the evening's house load
    expect(demo.site.last.houseW).toBeGreaterThan(1500);
    await until(() => (site().grid_power ?? Number.POSITIVE_INFINITY) < 500, discharged + 30);
  } finally {
    await rec.close();
    await demo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 180_000);

it("logs the demo's first screen: the broker's address, each simulated device on its loopback port, the day's pace, and what to subscribe to and publish", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-demo-banner-'));
  const logs = new MemoryLog('info');
  const clock = new ManualClock();
  const demo = await startDemo(logs.bundle, { brokerPort: 0, dataDir, clock });
  try {
    const port = demo.bridge.broker!.port;
    const [record] = logs.find('evse2mqtt DEMO');
    const banner = String(record?.msg);
    expect(banner).toBe(demo.banner.join('\n'));
    expect(demo.banner.length).toBeLessThan(20);
    expect(banner).toContain(`broker   127.0.0.1:${port} (embedded`);
    for (const c of [...demo.bridge.cfg.chargers, ...demo.bridge.cfg.meters]) {
      // an OCPP charger has no port of its own: it dials into the bridge's central system
      if (c.type === 'ocpp') expect(banner).toMatch(new RegExp(`ocpp +${c.id}: `));
      else expect(banner).toMatch(new RegExp(`${c.id} +127\\.0\\.0\\.1:${c.port} `));
    }
    expect(banner).toContain('a simulated summer day every 10 minutes');
    expect(banner).toContain(`mosquitto_sub -h 127.0.0.1 -p ${port} -t 'evse2mqtt/#' -v`);
    expect(banner).toContain(
      `mosquitto_pub -h 127.0.0.1 -p ${port} -t evse2mqtt/demo-openevse/set/mode -m fast`,
    );
    expect(banner).toContain(
      `mosquitto_pub -h 127.0.0.1 -p ${port} -t evse2mqtt/demo-pulsatrix/set/charge_current -m 10`,
    );
    // the commands it suggests work: a subscriber sees the mode change
    const rec = await Recorder.connect(demo.bridge.broker!.url, ['evse2mqtt/demo-openevse/#']);
    await clock.runUntil(demo.bridge.ready, 250);
    await rec.publish('evse2mqtt/demo-openevse/set/mode', 'fast');
    const answer = rec.waitJson('evse2mqtt/demo-openevse/response');
    expect(await clock.runUntil(answer, 100, 5000)).toMatchObject({ status: 'ok', data: { mode: 'fast' } });
    await rec.close();
  } finally {
    await demo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
