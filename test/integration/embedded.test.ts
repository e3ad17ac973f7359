import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { bridgeClientId } from '../../src/drivers/openevse/wire.js';
import { openevseCharger } from '../helpers/harness.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { freePort } from '../helpers/mosquitto.js';
import { Recorder } from '../helpers/recorder.js';

/**
 * The embedded broker with credentials. The bridge's own connections to it (the bridge's and one
 * per Homie device) are in-process streams, not TCP; users and other clients still connect over
 * TCP with the embedded broker's user and password.
 */
describe('embedded broker with user and password', () => {
  let sim: OpenEvseSimulator;
  let dir: string;
  const auth = { username: 'house', password: 's3cret' };

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-embedded-'));
  });

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ bridge: Bridge; clock: ManualClock; url: string; logs: MemoryLog }> {
    const port = await freePort();
    const result = validateConfig(
      {
        mqtt: { server: 'embedded' },
        embedded_broker: { host: '127.0.0.1', port, user: auth.username, password: auth.password },
        data_dir: dir,
        log: { level: 'debug' },
        homie: { enabled: true },
        frontend: { enabled: false },
        chargers: [openevseCharger(sim.port)],
      },
      {},
    );
    if (!result.config) throw new Error(JSON.stringify(result.problems));
    const clock = new ManualClock();
    const logs = new MemoryLog();
    const bridge = new Bridge({ config: result.config, clock, logger: logs.bundle });
    await bridge.start();
    await clock.runUntil(bridge.ready, 250);
    return { bridge, clock, url: `mqtt://127.0.0.1:${port}`, logs };
  }

  it('connects the bridge and its Homie devices, takes commands, and delivers its last words on stop', async () => {
    const { bridge, url } = await start();
    const rec = await Recorder.connect(url, ['evse2mqtt/#', 'homie/#'], auth);
    await rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"online"}');
    // the Homie device authenticates with the embedded broker's credentials too
    await rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    await rec.publish('evse2mqtt/garage/set', '{"charge_current": 13}');
    await rec.waitJson('evse2mqtt/garage/response', (v) => v.status === 'ok');
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ charge_current: 13 });
    const homieSet = rec.mark();
    await rec.publish('homie/evse2mqtt-garage/charger/charge-current/set', '11');
    await rec.waitFor(
      (m) => m.topic === 'homie/evse2mqtt-garage/charger/charge-current' && m.payload === '11',
      {
        since: homieSet,
      },
    );
    expect(sim.claim(bridgeClientId('evse2mqtt'))).toMatchObject({ charge_current: 11 });
    const since = rec.mark();
    await bridge.stop();
    // the broker closes right after; what it accepted last still reaches its subscribers
    await rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"offline"}', {
      since,
    });
    await rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'disconnected', {
      since,
    });
    await rec.close().catch(() => {});
  });

  it('fires the wills of the in-process connections on a crash', async () => {
    const { bridge, url } = await start();
    const rec = await Recorder.connect(url, ['evse2mqtt/bridge/state', 'homie/+/$state'], auth);
    await rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    const since = rec.mark();
    await bridge.crash();
    await rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"offline"}', {
      since,
    });
    await rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'lost', { since });
    await rec.close().catch(() => {});
    await bridge.stop();
  });

  it('refuses TCP clients without the credentials', async () => {
    const { bridge, url } = await start();
    await expect(Recorder.connect(url, ['#'], { username: 'house', password: 'wrong' })).rejects.toThrow();
    await bridge.stop();
  });
});
