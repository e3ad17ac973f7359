import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { SimCar } from '../../src/drivers/ocpp/sim-car.js';
import { type OcppHarness, ocppCharger, startOcpp, until } from '../helpers/ocpp.js';

const STATE = 'evse2mqtt/carport';

describe('OCPP transactions, requests and exit', () => {
  let h: OcppHarness;

  afterEach(async () => {
    await h?.stop();
  });

  async function set(payload: unknown): Promise<Record<string, unknown>> {
    const since = h.rec.mark();
    await h.rec.publish(`${STATE}/set`, JSON.stringify(payload));
    return h.clock.runUntil(
      h.rec.waitJson(`${STATE}/response`, () => true, { since, timeoutMs: 8000 }),
      500,
      20_000,
    );
  }

  async function request(body: unknown): Promise<Record<string, unknown>> {
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/bridge/request/ocpp', JSON.stringify(body));
    return h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/bridge/response/ocpp', () => true, { since, timeoutMs: 8000 }),
      500,
      20_000,
    );
  }

  it('gives increasing transaction ids that keep increasing after a restart, and accepts a stop from before it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-ocpp-'));
    h = await startOcpp({ dataDir });
    let sim = await h.connect();
    await sim.plugIn();
    const first = sim.transactionId!;
    const r = await sim.call('StartTransaction', {
      connectorId: 1,
      idTag: 'X',
      meterStart: 0,
      timestamp: new Date().toISOString(),
    });
    expect(r.transactionId).toBe(first + 1);
    await h.stop({ keepData: true });

    h = await startOcpp({ dataDir });
    sim = h.sim();
    sim.transactionId = first; // the charger still runs the transaction it started before the restart
    sim.car = new SimCar();
    sim.status = 'Charging';
    await sim.start();
    await h.clock.advance(100);
    const since = h.rec.mark();
    sim.meterWh += 2000;
    await sim.unplug();
    const s = await h.rec.waitJson(STATE, (v) => v.vehicle_connected === false, { since });
    expect(s.status).toBe('disconnected');
    await sim.plugIn();
    expect(sim.transactionId).toBeGreaterThan(first + 1);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'ocpp.json'), 'utf8')).next_transaction_id).toBe(
      sim.transactionId! + 1,
    );
  });

  it('authorizes only listed tags with authorize: list, and a refused transaction carries no session data', async () => {
    h = await startOcpp({ chargers: [ocppCharger({ authorize: 'list', id_tags: ['GOOD1'] })] });
    const sim = await h.connect();
    expect(await sim.call('Authorize', { idTag: 'GOOD1' })).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await sim.call('Authorize', { idTag: 'BAD' })).toEqual({ idTagInfo: { status: 'Invalid' } });
    const bad = await sim.call('StartTransaction', {
      connectorId: 1,
      idTag: 'BAD',
      meterStart: 0,
      timestamp: new Date().toISOString(),
    });
    expect(bad.idTagInfo).toEqual({ status: 'Invalid' });
    const ok = await sim.call('StartTransaction', {
      connectorId: 1,
      idTag: 'GOOD1',
      meterStart: 5000,
      timestamp: new Date().toISOString(),
    });
    expect(ok.idTagInfo).toEqual({ status: 'Accepted' });
    const reading = h.bridge.charger('carport')!.lastReading!;
    expect(reading.transaction).toEqual({ id: ok.transactionId, idTag: 'GOOD1', stopReason: null });
    await sim.call('StopTransaction', {
      transactionId: ok.transactionId,
      meterStop: 7500,
      timestamp: new Date().toISOString(),
      reason: 'Local',
    });
    await h.clock.advance(50);
    const after = h.bridge.charger('carport')!.lastReading!;
    expect(after.transaction).toEqual({ id: ok.transactionId, idTag: 'GOOD1', stopReason: 'Local' });
    expect(after.values.session_energy).toBe(2.5);
  });

  it('starts a transaction remotely with the configured id_tag when remote_start is on', async () => {
    h = await startOcpp({ chargers: [ocppCharger({ remote_start: true, id_tag: 'bridge-tag' })] });
    const sim = await h.connect({ needsRemoteStart: true });
    await sim.plugIn();
    expect(await until(() => sim.transactionId !== null)).toBe(true);
    expect(sim.calls('RemoteStartTransaction')).toEqual([{ connectorId: 1, idTag: 'bridge-tag' }]);
    expect(sim.validationFailures).toEqual([]);
  });

  it('starts an Alfen remotely with its own PlugAndChargeIdentifier while id_tag is the default', async () => {
    h = await startOcpp({ chargers: [ocppCharger({ remote_start: true })] });
    const sim = h.sim({ needsRemoteStart: true, vendor: 'Alfen BV' });
    sim.configuration.set('PlugAndChargeIdentifier', 'ALFEN-PNC-1');
    await sim.start();
    expect(await until(() => sim.calls('TriggerMessage').length > 0)).toBe(true);
    await sim.plugIn();
    expect(await until(() => sim.transactionId !== null)).toBe(true);
    expect(sim.calls('RemoteStartTransaction')).toEqual([{ connectorId: 1, idTag: 'ALFEN-PNC-1' }]);
  });

  it('says the device capped charge_current when Current.Offered stays below the accepted limit', async () => {
    h = await startOcpp();
    const sim = await h.connect({ capsAt: 9 });
    await sim.plugIn(new SimCar(32, 3));
    expect((await set({ charge_current: 16 })).status).toBe('ok');
    const since = h.rec.mark();
    await sim.tick(10);
    await sim.tick(10);
    const s = await h.rec.waitJson(
      STATE,
      (v) => typeof v.error === 'string' && v.error.startsWith('device capped'),
      { since },
    );
    expect(s).toMatchObject({ error: 'device capped charge_current at 9', charge_current: 9 });
  });

  it('forwards the listed actions of bridge/request/ocpp and refuses the others', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    const r = await request({
      id: 'carport',
      action: 'GetConfiguration',
      payload: { key: ['MeterValueSampleInterval'] },
    });
    expect(r.status).toBe('ok');
    expect((r.data as { configurationKey: unknown[] }).configurationKey).toContainEqual({
      key: 'MeterValueSampleInterval',
      readonly: false,
      value: '10',
    });
    const refused = await request({
      id: 'carport',
      action: 'RemoteStopTransaction',
      payload: { transactionId: 1 },
    });
    expect(refused).toMatchObject({ status: 'error' });
    expect(String(refused.error)).toContain('action: expected one of GetConfiguration');
    expect(sim.calls('RemoteStopTransaction')).toEqual([]);
    const unknown = await request({ id: 'nope', action: 'Reset', payload: { type: 'Soft' } });
    expect(String(unknown.error)).toContain('not an OCPP charger');
  });

  it('clears the bridge’s profiles on exit with on_exit: release', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    expect((await set({ charge_current: 10 })).status).toBe('ok');
    const stopping = h.stop({ exit: true });
    await stopping;
    expect(sim.calls('ClearChargingProfile')).toEqual([{ id: 1001 }, { id: 2001 }]);
    h = undefined as unknown as OcppHarness;
  });

  it('leaves a limit of 0 on exit with on_exit: pause', async () => {
    h = await startOcpp({ chargers: [ocppCharger({ on_exit: 'pause' })] });
    const sim = await h.connect();
    expect((await set({ charge_current: 10 })).status).toBe('ok');
    await h.stop({ exit: true });
    expect(sim.limitA).toBe(0);
    h = undefined as unknown as OcppHarness;
  });
});
