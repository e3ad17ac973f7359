import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { HostileClient } from '../../src/sim/hostile-client.js';
import { openevseCharger } from '../helpers/harness.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { freePort } from '../helpers/mosquitto.js';
import { Recorder } from '../helpers/recorder.js';

const DISCOVERY = 'homeassistant/number/evse2mqtt_garage/charge_current/config';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the broker has dropped `c` (a refused publish closes the connection). */
async function dropped(c: HostileClient): Promise<boolean> {
  for (let i = 0; i < 40 && c.connected; i++) await pause(25);
  return !c.connected;
}

/**
 * The embedded broker's rules for other clients (README, "Hostile input"): nobody but the bridge
 * writes its state, discovery and Homie topics, and payloads over the limit of their topic are
 * refused; commands, and topics that are not the bridge's, go through.
 */
describe('the embedded broker and a hostile client', () => {
  let sim: OpenEvseSimulator;
  let dir: string;
  let bridge: Bridge;
  let logs: MemoryLog;
  let url: string;
  let rec: Recorder;

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-guard-'));
    const port = await freePort();
    const result = validateConfig(
      {
        mqtt: { server: 'embedded' },
        embedded_broker: { host: '127.0.0.1', port },
        data_dir: dir,
        log: { level: 'debug' },
        frontend: { enabled: false },
        chargers: [openevseCharger(sim.port)],
      },
      {},
    );
    if (!result.config) throw new Error(JSON.stringify(result.problems));
    const clock = new ManualClock();
    logs = new MemoryLog();
    bridge = new Bridge({ config: result.config, clock, logger: logs.bundle });
    await bridge.start();
    await clock.runUntil(bridge.ready, 250);
    url = `mqtt://127.0.0.1:${port}`;
    rec = await Recorder.connect(url, ['evse2mqtt/#', 'homie/#', 'homeassistant/#', 'other/#']);
    await rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
  });

  afterAll(async () => {
    await rec.close();
    await bridge.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['the bridge state', 'evse2mqtt/bridge/state', '{"state":"offline"}'],
    ['bridge/info', 'evse2mqtt/bridge/info', '{}'],
    ['a charger state', 'evse2mqtt/garage', '{"status":"charging"}'],
    ['a charger availability', 'evse2mqtt/garage/availability', '{"state":"offline"}'],
    ['a discovery config', DISCOVERY, ''],
    ['a Homie tree', 'homie/evse2mqtt-garage/$state', 'lost'],
  ])(
    'refuses another client’s retained publish on %s, and the retained value stays',
    async (_what, topic, payload) => {
      const before = await Recorder.retained(url, [topic]);
      expect(before).toHaveLength(1);
      const evil = await HostileClient.connect(url);
      evil.send(topic, payload, true);
      expect(await dropped(evil)).toBe(true);
      const after = await Recorder.retained(url, [topic]);
      expect(after.map((m) => m.payload)).toEqual(before.map((m) => m.payload));
    },
  );

  it('logs the refusal, naming the topic and the client', async () => {
    expect(logs.find('refused a publish on evse2mqtt/bridge/state from')[0]).toMatchObject({
      level: 'warn',
      topic: 'evse2mqtt/bridge/state',
    });
  });

  it('drops a client that announces a 100 MiB packet as soon as its header arrives', async () => {
    const evil = await HostileClient.connect(url);
    const rss = process.memoryUsage().rss;
    evil.announce(100 * 1024 * 1024);
    expect(await dropped(evil)).toBe(true);
    expect(logs.text()).toContain('dropped an MQTT client that announced a 104857600-byte packet');
    expect(process.memoryUsage().rss - rss).toBeLessThan(50 * 1024 * 1024);
  });

  it('refuses a /set over 64 KiB and takes the next normal one; topics that are not the bridge’s take larger payloads', async () => {
    const evil = await HostileClient.connect(url);
    evil.send('evse2mqtt/garage/set', HostileClient.jsonOf(70 * 1024));
    expect(await dropped(evil)).toBe(true);
    expect(logs.text()).toContain('-byte publish on evse2mqtt/garage/set from');
    const other = await HostileClient.connect(url);
    other.send('other/big', HostileClient.jsonOf(200 * 1024));
    await rec.waitFor((m) => m.topic === 'other/big');
    expect(other.connected).toBe(true);
    const since = rec.mark();
    other.send('evse2mqtt/garage/set/charge_current', '10');
    expect(await rec.waitJson('evse2mqtt/garage/response', () => true, { since })).toMatchObject({
      status: 'ok',
      data: { charge_current: 10 },
    });
    await rec.waitJson('evse2mqtt/garage', (s) => s.charge_current === 10, { since });
    await other.close();
  });
});
