import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { startBroker } from '../helpers/broker.js';
import { openevseCharger, startHarness } from '../helpers/harness.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { freePort } from '../helpers/mosquitto.js';
import { Recorder } from '../helpers/recorder.js';

describe('bridge lifecycle', () => {
  let sim: OpenEvseSimulator;

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('recovers after the broker restarts: reconnects and republishes state, discovery and Homie', async () => {
    const h = await startHarness({ chargers: [openevseCharger(sim.port)] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    const port = h.broker!.port;
    await h.broker!.close(); // retained messages are gone with it
    const broker = await startBroker(port);
    await h.clock.advance(1000); // first retry within 5 s (docs/mqtt-api.md#availability)
    await h.clock.advance(1000);
    let retained: Awaited<ReturnType<typeof Recorder.retained>> = [];
    for (let i = 0; i < 40; i++) {
      retained = await Recorder.retained(broker.url, ['#'], 100);
      const t = retained.map((m) => m.topic);
      const wanted = [
        'homie/evse2mqtt-garage/$state',
        'evse2mqtt/garage',
        'evse2mqtt/garage/availability',
        'evse2mqtt/bridge/info',
        'homeassistant/number/evse2mqtt_garage/charge_current/config',
      ];
      // Homie announces init first and ready last: wait for the whole announcement
      const homieReady = retained.some(
        (m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready',
      );
      if (wanted.every((x) => t.includes(x)) && homieReady) break;
      await h.clock.advance(500);
    }
    const byTopic = new Map(retained.map((m) => [m.topic, m.payload]));
    expect(byTopic.get('evse2mqtt/bridge/state')).toBe('{"state":"online"}');
    expect(byTopic.get('evse2mqtt/garage/availability')).toBe('{"state":"online"}');
    expect(JSON.parse(byTopic.get('evse2mqtt/garage')!)).toMatchObject({ status: 'disconnected' });
    expect(byTopic.has('homeassistant/number/evse2mqtt_garage/charge_current/config')).toBe(true);
    expect(byTopic.has('evse2mqtt/bridge/info')).toBe(true);
    expect(byTopic.get('homie/evse2mqtt-garage/$state')).toBe('ready');
    // and commands work again
    const client = await Recorder.connect(broker.url, ['evse2mqtt/garage/response']);
    await client.publish('evse2mqtt/garage/set/charge_current', '9');
    await client.waitJson('evse2mqtt/garage/response', (v) => v.status === 'ok');
    expect(sim.pilot()).toBe(9);
    await client.close();
    await h.stop();
    await broker.close();
  });

  it('keeps retrying while the broker is down at start-up, then starts normally', async () => {
    const port = await freePort();
    const logs = new MemoryLog();
    const clock = new ManualClock();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-state-'));
    const cfg = validateConfig(
      {
        mqtt: { server: `mqtt://127.0.0.1:${port}`, client_id: 'e2mlate' },
        data_dir: dataDir,
        frontend: { enabled: false },
        chargers: [openevseCharger(sim.port)],
      },
      {},
    ).config!;
    const bridge = new Bridge({ config: cfg, clock, logger: logs.bundle });
    await bridge.start();
    await clock.advance(1000);
    await clock.advance(2000);
    expect(logs.find('MQTT broker unreachable').length).toBeGreaterThanOrEqual(2);
    const broker = await startBroker(port);
    const rec = await Recorder.connect(broker.url, ['evse2mqtt/#']);
    await clock.runUntil(bridge.ready, 500);
    await rec.waitJson('evse2mqtt/bridge/state', (v) => v.state === 'online');
    await rec.waitJson('evse2mqtt/garage', (v) => v.status === 'disconnected');
    await bridge.stop();
    await rec.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('saves runtime mode changes in data_dir and restores them at start instead of the configured mode', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-state-'));
    const h = await startHarness({ dataDir, chargers: [openevseCharger(sim.port, { mode: 'manual' })] });
    await h.rec.publish('evse2mqtt/garage/set/mode', 'fast');
    await h.rec.waitJson('evse2mqtt/garage', (v) => v.mode === 'fast');
    const saved = JSON.parse(readFileSync(path.join(dataDir, 'state.json'), 'utf8'));
    expect(saved.chargers.garage.mode).toBe('fast');
    await h.stop({ exit: true }); // release: the claim goes
    expect(sim.claimClients()).not.toContain(bridgeClientId('evse2mqtt'));

    const h2 = await startHarness({ dataDir, chargers: [openevseCharger(sim.port, { mode: 'manual' })] });
    await h2.rec.waitJson('evse2mqtt/garage', (v) => v.mode === 'fast');
    // an automatic mode resumes its control at start: fast claims max_current again
    await h2.rec.waitJson('evse2mqtt/garage', (v) => v.charge_current === 32 && v.enabled === true);
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ state: 'active', charge_current: 32 });
    await h2.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('in manual mode at start adopts the device values and sends nothing', async () => {
    sim.setOverride({ charge_current: 11 });
    const before = sim.requests.length;
    const h = await startHarness({ chargers: [openevseCharger(sim.port)] });
    await h.rec.waitJson('evse2mqtt/garage', (v) => v.charge_current === 11 && v.mode === 'manual');
    await h.clock.advance(15_000);
    expect(sim.requests.slice(before).filter((r) => r.method !== 'GET')).toHaveLength(0);
    await h.stop();
    sim.clearOverride();
  });

  it('answers bridge/request/restart and hands the restart to its owner', async () => {
    let restarts = 0;
    const h = await startHarness({ chargers: [openevseCharger(sim.port)], onRestart: () => void restarts++ });
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/bridge/request/restart', '{"transaction": "r"}');
    expect(await h.rec.waitJson('evse2mqtt/bridge/response/restart', () => true, { since })).toEqual({
      status: 'ok',
      data: {},
      transaction: 'r',
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(restarts).toBe(1);
    await h.stop();
  });

  it('survives a corrupt state file: sets it aside, logs it and starts with the configured mode', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-state-'));
    const { writeFileSync, readdirSync } = await import('node:fs');
    writeFileSync(path.join(dataDir, 'state.json'), '{"chargers": {"garage": ');
    const h = await startHarness({ dataDir, chargers: [openevseCharger(sim.port, { mode: 'manual' })] });
    await h.rec.waitJson('evse2mqtt/garage', (v) => v.mode === 'manual');
    expect(h.logs.find('saved state is not valid JSON')).toHaveLength(1);
    expect(readdirSync(dataDir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    await h.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
