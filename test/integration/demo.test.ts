import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from '@jest/globals';
import { startDemo } from '../../src/demo.js';
import { MemoryLog } from '../helpers/logs.js';
import { Recorder } from '../helpers/recorder.js';

it('runs the demo: every simulated charger on evse2mqtt/, homeassistant/ and homie/, and takes commands', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-demo-'));
  const logs = new MemoryLog('info');
  const demo = await startDemo(logs.bundle, { brokerPort: 0, dataDir });
  try {
    const url = demo.bridge.broker!.url;
    const rec = await Recorder.connect(url, ['#']);
    await demo.bridge.ready;
    const ids = demo.bridge.chargers.map((c) => c.id);
    expect(ids).toEqual(['demo-openevse', 'demo-technove', 'demo-pulsatrix', 'demo-quasar', 'demo-ocpp']);
    for (const id of ids) {
      await rec.waitJson(`evse2mqtt/${id}/availability`, (v) => v.state === 'online', { timeoutMs: 8000 });
      await rec.waitFor((m) => m.topic === `homie/evse2mqtt-${id}/$state` && m.payload === 'ready', {
        timeoutMs: 8000,
      });
    }
    const retained = (await Recorder.retained(url, ['homeassistant/#'])).map((m) => m.topic);
    for (const id of ids) expect(retained).toContain(`homeassistant/select/evse2mqtt_${id}/mode/config`);
    const site = await rec.waitJson<{ grid_power: number | null; pv_power: number | null }>(
      'evse2mqtt/site',
      (v) => typeof v.grid_power === 'number' && typeof v.pv_power === 'number',
      { timeoutMs: 8000 },
    );
    expect(site.pv_power).toBeGreaterThanOrEqual(0);
    const solar = await rec.waitJson(
      'evse2mqtt/demo-openevse',
      (v) => v.mode === 'solar' && typeof v.decision === 'object',
      {
        timeoutMs: 8000,
      },
    );
    expect(solar.decision).toMatchObject({ mode: 'solar' });
    // demo-technove runs a smart plan on the demo tariff (no car yet: considering)
    const plan = await rec.waitJson('evse2mqtt/demo-technove/plan', (v) => typeof v.state === 'string', {
      timeoutMs: 8000,
    });
    expect(plan).toMatchObject({
      currency: 'EUR',
      policy: { deadline: '07:00', energy: 20, minimum_energy: 2 },
    });
    expect(retained).toContain('homeassistant/sensor/evse2mqtt_demo-technove/plan_state/config');
    await rec.publish('evse2mqtt/demo-openevse/set/charge_current', '10');
    expect(await rec.waitJson('evse2mqtt/demo-openevse/response')).toMatchObject({
      status: 'ok',
      data: { charge_current: 10 },
    });
    await rec.waitJson('evse2mqtt/demo-openevse', (v) => v.charge_current === 10);
    expect(logs.find('demo ready')).toHaveLength(1);
    await rec.close();
  } finally {
    await demo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
