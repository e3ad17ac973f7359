import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { SimCar } from '../../src/drivers/ocpp/sim-car.js';
import type { OcppChargePointSim } from '../../src/drivers/ocpp/simulator.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { type OcppHarness, startOcpp, until } from '../helpers/ocpp.js';
import { Recorder } from '../helpers/recorder.js';

const STATE = 'evse2mqtt/carport';
const SET = 'evse2mqtt/carport/set';
const RESPONSE = 'evse2mqtt/carport/response';

describe('an OCPP charger through the bridge', () => {
  let h: OcppHarness;

  afterEach(async () => {
    await h?.stop();
  });

  /** Sends a /set and returns the response, advancing the clock meanwhile. */
  async function set(payload: unknown): Promise<Record<string, unknown>> {
    const since = h.rec.mark();
    await h.rec.publish(SET, JSON.stringify(payload));
    const done = h.rec.waitJson(RESPONSE, () => true, { since, timeoutMs: 8000 });
    return h.clock.runUntil(done, 500, 20_000);
  }

  function noStrictFailures(sim: OcppChargePointSim): void {
    expect(sim.validationFailures).toEqual([]);
  }

  it('comes online after its BootNotification and publishes what its MeterValues say', async () => {
    h = await startOcpp();
    const sim = await h.connect({ vendor: 'Alfen BV', model: 'NG910', firmware: '6.4.0', serial: 'ACE0001' });
    await sim.plugIn(new SimCar(16, 3, 50));
    const since = h.rec.mark();
    await sim.tick(10);
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'charging' && v.power !== null, { since });
    expect(s).toMatchObject({
      status: 'charging',
      vehicle_connected: true,
      charging: true,
      current: 16,
      current_l1: 16,
      current_l2: 16,
      current_l3: 16,
      voltage: 230,
      power: 11040,
      state_of_charge: 50,
      error: null,
    });
    expect(s.total_energy).toBeCloseTo(1234.031, 3);
    expect(s.session_energy).toBeCloseTo(0.031, 3);
    // the set-up after boot: configuration read, measurands and interval written, status asked
    const changes = sim.calls('ChangeConfiguration');
    expect(changes).toContainEqual({
      key: 'MeterValuesSampledData',
      value: 'Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,Current.Offered',
    });
    expect(changes).toContainEqual({ key: 'MeterValueSampleInterval', value: '10' });
    expect(sim.calls('TriggerMessage')).toContainEqual({
      requestedMessage: 'StatusNotification',
      connectorId: 1,
    });
    noStrictFailures(sim);
  });

  it('announces the charger to Home Assistant with the identity from BootNotification, by the discovery and Homie rules', async () => {
    h = await startOcpp();
    const since = h.rec.mark();
    await h.connect({ vendor: 'ABB', model: 'Terra AC', firmware: '1.8.21', serial: 'TACW0001' });
    await h.clock.advance(1500);
    const cfg = await h.rec.waitJson(
      'homeassistant/sensor/evse2mqtt_carport/power/config',
      (v) => (v.device as Record<string, unknown>)?.manufacturer === 'ABB',
      { since },
    );
    expect(cfg.device).toMatchObject({
      manufacturer: 'ABB',
      model: 'Terra AC',
      sw_version: '1.8.21',
      serial_number: 'TACW0001',
    });
    const info = await h.rec.waitJson(
      'evse2mqtt/bridge/info',
      (v) =>
        (v.chargers as Array<Record<string, unknown>>)[0]?.ocpp !== undefined &&
        (v.chargers as Array<{ ocpp: { vendor: string | null } }>)[0]!.ocpp.vendor === 'ABB',
      { since },
    );
    // discovery and the charging state follow every checkable Home Assistant and Homie rule
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const live = h.rec.messages.filter((m) => m.topic.startsWith('evse2mqtt/'));
    const all = [...retained, ...live.map((m) => ({ ...m, retain: false }))].map((m, i) => ({ ...m, i }));
    expect(checkHaDiscovery(all)).toEqual([]);
    expect(
      checkHomieDevice(
        h.rec.messages.map((m) => ({ ...m, retain: true })),
        'evse2mqtt-carport',
      ),
    ).toEqual([]);
    const entry = (info.chargers as Array<Record<string, unknown>>)[0]!;
    expect(entry.watchdog).toBe(false);
    expect(entry.ocpp).toMatchObject({
      vendor: 'ABB',
      model: 'Terra AC',
      firmware: '1.8.21',
      serial: 'TACW0001',
      rate_unit: 'A',
    });
  });

  it('sets the current with a TxDefaultProfile in A on the connector, with a fixed profile id', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    const r1 = await set({ charge_current: 10 });
    expect(r1).toMatchObject({ status: 'ok', data: { charge_current: 10, enabled: true } });
    const r2 = await set({ charge_current: 12.5 });
    expect(r2.status).toBe('ok');
    const profiles = sim.calls('SetChargingProfile');
    expect(profiles).toHaveLength(2);
    const p = profiles[1] as { connectorId: number; csChargingProfiles: Record<string, unknown> };
    expect(p.connectorId).toBe(1);
    expect(p.csChargingProfiles).toMatchObject({
      chargingProfileId: 1001,
      stackLevel: 3,
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: {
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.5, numberPhases: 3 }],
      },
    });
    expect((profiles[0] as typeof p).csChargingProfiles.chargingProfileId).toBe(1001);
    noStrictFailures(sim);
  });

  it('pauses with a limit of 0, never with RemoteStopTransaction, and the car stays in its transaction', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    await sim.plugIn(new SimCar(32, 3));
    await sim.tick(10);
    const r = await set({ enabled: false });
    expect(r).toMatchObject({ status: 'ok', data: { enabled: false } });
    const last = sim.calls('SetChargingProfile').at(-1) as {
      csChargingProfiles: { chargingSchedule: { chargingSchedulePeriod: Array<{ limit: number }> } };
    };
    expect(last.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]!.limit).toBe(0);
    const since = h.rec.mark();
    await sim.tick(10);
    const s = await h.rec.waitJson(STATE, (v) => v.status === 'paused' && v.power === 0, { since });
    expect(s).toMatchObject({ enabled: false, vehicle_connected: true, charging: false, power: 0 });
    expect(sim.transactionId).not.toBeNull();
    expect(sim.calls('RemoteStopTransaction')).toEqual([]);
    const resumed = await set({ enabled: true });
    expect(resumed.status).toBe('ok');
    expect(sim.limitA).toBe(16);
    noStrictFailures(sim);
  });

  it('falls back to stack level 0 for a charger that rejects the others, and remembers it in data_dir', async () => {
    h = await startOcpp();
    const sim = await h.connect({ stackLevelZeroOnly: true });
    const r = await set({ charge_current: 8 });
    expect(r.status).toBe('ok');
    const levels = sim
      .calls('SetChargingProfile')
      .map((p) => (p.csChargingProfiles as { stackLevel: number }).stackLevel);
    expect(levels).toEqual([3, 0]);
    const saved = JSON.parse(readFileSync(path.join(h.dataDir, 'ocpp.json'), 'utf8'));
    expect(saved.variants).toEqual({ carport: 'stack0' });
    await set({ charge_current: 9 });
    expect(
      sim.calls('SetChargingProfile').map((p) => (p.csChargingProfiles as { stackLevel: number }).stackLevel),
    ).toEqual([3, 0, 0]);
  });

  it('sends a Relative profile to a charger that rejects Absolute ones', async () => {
    h = await startOcpp();
    const sim = await h.connect({ relativeOnly: true, maxStackLevel: 0 });
    const r = await set({ charge_current: 7 });
    expect(r.status).toBe('ok');
    const kinds = sim
      .calls('SetChargingProfile')
      .map((p) => (p.csChargingProfiles as { chargingProfileKind: string }).chargingProfileKind);
    expect(kinds).toEqual(['Absolute', 'Relative']);
    noStrictFailures(sim);
  });

  it('answers an error naming Rejected when every profile shape is refused', async () => {
    h = await startOcpp();
    const sim = await h.connect({ profileAnswer: 'Rejected' });
    const r = await set({ charge_current: 7 });
    expect(r).toMatchObject({ status: 'error', error: 'charger answered Rejected' });
    expect(sim.calls('SetChargingProfile')).toHaveLength(3);
  });

  it('answers an error naming NotSupported without trying other shapes', async () => {
    h = await startOcpp();
    const sim = await h.connect({ profileAnswer: 'NotSupported' });
    const r = await set({ charge_current: 7 });
    expect(r).toMatchObject({
      status: 'error',
      error: 'charger answered NotSupported: it does not do smart charging',
    });
    expect(sim.calls('SetChargingProfile')).toHaveLength(1);
  });

  it('writes W (A × V × phases) to a charger that takes only power schedules', async () => {
    h = await startOcpp();
    const sim = await h.connect({ powerOnly: true });
    const r = await set({ charge_current: 10 });
    expect(r.status).toBe('ok');
    const p = sim.calls('SetChargingProfile').at(-1) as {
      csChargingProfiles: { chargingSchedule: Record<string, unknown> };
    };
    expect(p.csChargingProfiles.chargingSchedule).toMatchObject({
      chargingRateUnit: 'W',
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 6900, numberPhases: 3 }],
    });
    expect(sim.limitA).toBeCloseTo(10, 5);
  });

  it('asks a silent charger for its BootNotification after 5 s and sends nothing else before it', async () => {
    h = await startOcpp();
    const sim = h.sim({ bootOnlyWhenTriggered: true });
    const since = h.rec.mark();
    await sim.start();
    await h.clock.advance(4000);
    expect(sim.received).toEqual([]);
    await h.clock.advance(1500);
    expect(sim.received[0]).toEqual({
      method: 'TriggerMessage',
      params: { requestedMessage: 'BootNotification' },
    });
    await h.rec.waitFor((m) => m.topic === `${STATE}/availability` && m.payload.includes('online'), {
      since,
    });
    await h.clock.advance(100);
    expect(sim.received.map((c) => c.method)).toContain('GetConfiguration');
    noStrictFailures(sim);
  });

  it('answers "charger did not answer" when the charger never answers within 10 s', async () => {
    h = await startOcpp();
    const sim = await h.connect({ neverAnswers: true });
    const r = await set({ charge_current: 8 });
    expect(r).toMatchObject({ status: 'error', error: 'charger did not answer' });
    expect(sim.calls('SetChargingProfile').length).toBeGreaterThanOrEqual(0);
  });

  it('refuses commands at once while the socket is closed, and goes offline after 30 s', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    await sim.stop();
    await h.clock.advance(100);
    const r = await set({ charge_current: 8 });
    expect(r).toMatchObject({ status: 'error', error: 'charger offline' });
    expect(h.rec.json(`${STATE}/availability`)).toEqual({ state: 'online' });
    const since = h.rec.mark();
    await h.clock.advance(30_000);
    await h.rec.waitJson(`${STATE}/availability`, (v) => v.state === 'offline', { since });
  });

  it('ignores a replayed sample older than the newest one applied', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    await sim.plugIn(new SimCar(16, 1));
    const t0 = new Date('2026-06-01T10:00:00Z');
    sim.meterWh = 2_000_000;
    await sim.sendMeterValues(new Date(t0.getTime() + 60_000), 3680, 16);
    const since = h.rec.mark();
    sim.meterWh = 1_000_000;
    await sim.sendMeterValues(t0, 0, 0);
    await sim.setStatus('SuspendedEV');
    await h.rec.waitJson(STATE, (v) => v.status === 'connected', { since });
    expect(h.rec.json(STATE)).toMatchObject({ total_energy: 2000, power: 3680 });
  });

  it('reads an energy register in kWh', async () => {
    h = await startOcpp();
    const sim = await h.connect({ energyInKwh: true });
    sim.meterWh = 4_321_500;
    const since = h.rec.mark();
    await sim.sendMeterValues();
    await h.rec.waitJson(STATE, (v) => v.total_energy === 4321.5, { since });
  });

  it('tries the measurands one by one when the charger refuses the list', async () => {
    h = await startOcpp();
    const sim = await h.connect({ measurandsOneByOne: true });
    expect(await until(() => sim.calls('TriggerMessage').length > 0)).toBe(true);
    const values = sim
      .calls('ChangeConfiguration')
      .filter((c) => c.key === 'MeterValuesSampledData')
      .map((c) => c.value);
    expect(values.slice(1, 7)).toEqual([
      'Energy.Active.Import.Register',
      'Power.Active.Import',
      'Current.Import',
      'Voltage',
      'SoC',
      'Current.Offered',
    ]);
    expect(sim.configuration.get('MeterValuesSampledData')).toBe('Current.Offered');
  });
});
