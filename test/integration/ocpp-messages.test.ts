import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type OcppHarness, startOcpp, until } from '../helpers/ocpp.js';

describe('what an OCPP charger sends, answered', () => {
  let h: OcppHarness;

  afterEach(async () => {
    await h?.stop();
  });

  it('answers the other actions as the contract says, and unknown ones with NotImplemented', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    expect(await sim.call('DataTransfer', { vendorId: 'com.example', messageId: 'x', data: 'y' })).toEqual({
      status: 'UnknownVendorId',
    });
    expect(await sim.call('SignCertificate', { csr: 'abc' })).toEqual({ status: 'Rejected' });
    expect(await sim.call('FirmwareStatusNotification', { status: 'Idle' })).toEqual({});
    expect(await sim.call('DiagnosticsStatusNotification', { status: 'Idle' })).toEqual({});
    expect(
      await sim.call('SecurityEventNotification', { type: 'x', timestamp: new Date().toISOString() }),
    ).toEqual({});
    const unknown = await sim.rawCall('[2,"u1","MakeCoffee",{}]', 'u1');
    expect(unknown.slice(0, 3)).toEqual([4, 'u1', 'NotImplemented']);
  });

  it('reads off-spec frames leniently and survives a broken one without closing the socket', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    // after the set-up, whose TriggerMessage(StatusNotification) would report the connector again
    expect(await until(() => sim.calls('TriggerMessage').length > 0)).toBe(true);
    await sim.rawCall(
      '[2,"s1","StatusNotification",{"connectorId":"1","errorCode":"Error","status":"Faulted","info":"relay","vendorErrorCode":42,"extra":true}]',
      's1',
    );
    await h.rec.waitJson(
      'evse2mqtt/carport',
      (v) => v.status === 'error' && v.error === 'Error: relay [42]',
      {
        timeoutMs: 15_000,
      },
    );
    sim.transactionId = null;
    sim.rawCall('[2,"b1","MeterValues",{not json', 'b1').catch(() => {});
    await sim.rawCall(
      '[2,"m1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-06-01T10:00:00Z","sampledValue":[{"value":"5000"},{"value":1.5,"measurand":"Current.Import"}]}]}]',
      'm1',
    );
    expect(await sim.call('Heartbeat', {})).toHaveProperty('currentTime');
    const since = h.rec.mark();
    await sim.setStatus('Available', { connectorId: 1 });
    const s = await h.rec.waitJson('evse2mqtt/carport', (v) => v.status === 'disconnected', {
      since,
      timeoutMs: 15_000,
    });
    expect(s).toMatchObject({ error: null, total_energy: 5 });
  });

  it('shows a fault of the whole station (connector 0) as the charger’s error, as Alfen sends it', async () => {
    h = await startOcpp();
    const sim = await h.connect();
    const since = h.rec.mark();
    // the frame of a real Alfen NG910 (test/fixtures/ocpp/status.alfen-station-faulted.json)
    const frame = JSON.parse(
      readFileSync('test/fixtures/ocpp/status.alfen-station-faulted.json', 'utf8'),
    ).frame;
    await sim.rawCall(JSON.stringify(frame), frame[1]);
    const s = await h.rec.waitJson('evse2mqtt/carport', (v) => v.status === 'error', { since });
    expect(s.error).toBe('OtherError: Modbus TCP/IP lost, in safe mode max 14.0A [210]');
    const back = h.rec.mark();
    await sim.setStatus('Available', { connectorId: 0 });
    await h.rec.waitJson('evse2mqtt/carport', (v) => v.status === 'disconnected' && v.error === null, {
      since: back,
    });
  });

  it('asks again for a BootNotification every 60 s while none comes', async () => {
    h = await startOcpp();
    const sim = h.sim({ bootOnlyWhenTriggered: true, neverAnswers: true });
    await sim.start();
    await h.clock.advance(5_500);
    await h.clock.advance(60_000);
    await h.clock.advance(60_000);
    const triggers = sim.calls('TriggerMessage');
    expect(triggers).toHaveLength(3);
    expect(new Set(triggers.map((t) => t.requestedMessage))).toEqual(new Set(['BootNotification']));
    expect(sim.received.every((c) => c.method === 'TriggerMessage')).toBe(true);
  });
});
