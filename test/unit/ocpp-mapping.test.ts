import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Connector } from '../../src/drivers/ocpp/connector.js';
import { canonicalValue, mapMeterValue } from '../../src/drivers/ocpp/meter-values.js';
import { buildProfile, ladder, rateUnit } from '../../src/drivers/ocpp/profiles.js';
import { errorText, statusFacts } from '../../src/drivers/ocpp/status.js';
import { meterValues, record } from '../../src/drivers/ocpp/wire.js';

type Frame = [number, string, string, Record<string, unknown>];
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join('test/fixtures/ocpp', name), 'utf8')) as {
    frame: Frame;
    frames: Frame[];
  };

/** The reading a connector makes of a real charger's frames (connector 1; no bridge target). */
function feed(frames: Frame[]): ReturnType<Connector['reading']> {
  const c = new Connector(1);
  let station: string | undefined;
  for (const [, , action, p] of frames) {
    if (action === 'MeterValues') {
      // as the handler does: a transaction named by MeterValues is recovered
      if (typeof p.transactionId === 'number') c.recoverTransaction(p.transactionId);
      c.onMeterValues(meterValues(p.meterValue), null);
    }
    if (action === 'StatusNotification') {
      if (p.connectorId === 0) station = p.status as string;
      else
        c.onStatus(p.status as string, p.errorCode as string, p.info as string, p.vendorErrorCode as string);
    }
    if (action === 'StopTransaction')
      c.stopTransaction(
        p.transactionId as number,
        p.reason as string,
        p.meterStop as number,
        (p.idTag as string) ?? null,
      );
  }
  return c.reading(station, null, 16);
}

describe('OCPP status table', () => {
  it.each([
    ['Available', undefined, { vehicleConnected: false, charging: false }],
    ['Preparing', undefined, { vehicleConnected: true, charging: false }],
    ['Charging', undefined, { vehicleConnected: true, charging: true }],
    ['SuspendedEV', undefined, { vehicleConnected: true, charging: false }],
    ['SuspendedEVSE', undefined, { vehicleConnected: true, charging: false }],
    ['Finishing', undefined, { vehicleConnected: true, charging: false }],
    ['Reserved', undefined, { vehicleConnected: false, charging: false, status: 'disabled' }],
    ['Unavailable', undefined, { vehicleConnected: false, charging: false, status: 'disabled' }],
    ['Charging', 'Unavailable', { vehicleConnected: false, charging: false, status: 'disabled' }],
    ['Faulted', undefined, { vehicleConnected: true, charging: false }],
    ['Charging', 'Faulted', { vehicleConnected: true, charging: false }],
    ['SomeVendorWord', undefined, { vehicleConnected: true, charging: false }],
  ])('maps connector %s (station %s), the last plug state being connected', (status, station, facts) => {
    expect(statusFacts(status, station, true)).toEqual(facts);
  });

  it('keeps the last plug state through Faulted', () => {
    expect(statusFacts('Faulted', undefined, false).vehicleConnected).toBe(false);
  });

  it('writes the error as errorCode: info [vendorErrorCode], with the parts that exist', () => {
    expect(errorText('OtherError', 'Modbus lost', '210')).toBe('OtherError: Modbus lost [210]');
    expect(errorText('GroundFailure')).toBe('GroundFailure');
    expect(errorText('Error', undefined, '7')).toBe('Error [7]');
  });
});

describe('OCPP meter values of real chargers', () => {
  it('Project EV: the periodic register wins over the Transaction.Begin one; single-phase values', () => {
    const r = feed([fixture('meter-values.project-ev.json').frame]);
    expect(r.values).toMatchObject({
      total_energy: 0.678,
      current: 16.3,
      current_l1: 16.3,
      current_l2: null,
      voltage: 236.7,
      power: 3878,
      temperature: 30,
    });
  });

  it('Growatt THOR 22AS: per-phase currents kept, the highest is current', () => {
    const r = feed([fixture('meter-values.growatt-thor-22as.json').frame]);
    expect(r.values).toMatchObject({
      total_energy: 163.63,
      current: 6.18,
      current_l1: 5.84,
      current_l2: 5.9,
      current_l3: 6.18,
    });
  });

  it('Growatt Thor 11A/S: voltage L1 without -N is the voltage; power of one phase is the sum', () => {
    const r = feed([fixture('meter-values.growatt-thor-11as.json').frame]);
    expect(r.values).toMatchObject({ total_energy: 0.018, current: 9.46, voltage: 233.5, power: 2223 });
  });

  it('Growatt Thor 11A/S: a register that restarts at 0 per transaction is session energy, not a lifetime total', () => {
    const c = new Connector(1);
    c.startTransaction(1735917607, 'TAG', 0);
    const p = fixture('meter-values.growatt-thor-11as.json').frame[3];
    c.onMeterValues(meterValues(p.meterValue), null);
    expect(c.reading(undefined, null, 16).values).toMatchObject({
      session_energy: 0.018,
      total_energy: null,
    });
    c.startTransaction(2, 'TAG', 1_500_000);
    c.onMeterValues(
      meterValues([{ timestamp: '2026-06-01T10:00:00Z', sampledValue: [{ value: '1500500' }] }]),
      null,
    );
    expect(c.reading(undefined, null, 16).values).toMatchObject({
      session_energy: 0.5,
      total_energy: 1500.5,
    });
  });

  it('ABB Terra AC: per-phase powers are summed and the voltage is L1-N', () => {
    const r = feed([fixture('meter-values.abb-terra-ac.json').frame]);
    expect(r.values).toMatchObject({ power: 6944, voltage: 229.5, current: 15.4, current_l1: 15.27 });
  });

  it('Alfen: a station Faulted with info and vendor code is the charger’s error', () => {
    const c = new Connector(1);
    const f = fixture('status.alfen-station-faulted.json').frame[3];
    c.onStatus('Faulted', f.errorCode as string, f.info as string, f.vendorErrorCode as string);
    expect(c.reading(undefined, null, 16).fault).toBe(
      'OtherError: Modbus TCP/IP lost, in safe mode max 14.0A [210]',
    );
  });

  it('Legrand GreenUp: an errorCode outside the 1.6 enum is read, not refused', () => {
    const r = feed([fixture('status.legrand-greenup-error.json').frame]);
    expect(r.fault).not.toBeNull();
  });

  it('Wallbox: empty info and vendor code leave no error on Preparing', () => {
    const r = feed([fixture('status.wallbox-preparing.json').frame]);
    expect(r).toMatchObject({ vehicleConnected: true, charging: false, fault: null });
  });

  it('MicroOcpp: StopTransaction carries the stop reason, the vehicle leaves with Available', () => {
    const r = feed(fixture('transaction.microocpp-stop.json').frames);
    expect(r.transaction).toEqual({ id: 594742, idTag: 'TIREXRFID', stopReason: 'DeAuthorized' });
    expect(r).toMatchObject({ vehicleConnected: false, charging: false });
    expect(r.values.total_energy).toBe(0.026);
  });
});

describe('OCPP sampled values', () => {
  const sv = (value: string, unit?: string) => ({ value, ...(unit ? { unit } : {}) });
  it.each([
    ['Energy.Active.Import.Register', sv('7250'), 7.25],
    ['Energy.Active.Import.Register', sv('7.25', 'kWh'), 7.25],
    ['Energy.Active.Import.Register', sv(' 7250 ', 'wh'), 7.25],
    ['Power.Active.Import', sv('3680'), 3680],
    ['Power.Active.Import', sv('3.68', 'kW'), 3680],
    ['Current.Import', sv('15.9'), 15.9],
    ['Temperature', sv('31.5', 'Celcius'), 31.5],
    ['Temperature', sv('300', 'K'), 26.85],
    ['SoC', sv('55', 'Percent'), 55],
  ])('%s %j is %d in the canonical unit', (measurand, s, want) => {
    expect(canonicalValue(s, measurand)).toBeCloseTo(want as number, 5);
  });

  it('rejects a value that is not a number and a unit that does not fit', () => {
    expect(canonicalValue({ value: 'n/a' }, 'Voltage')).toBeUndefined();
    expect(canonicalValue({ value: '5', unit: 'A' }, 'Energy.Active.Import.Register')).toBeUndefined();
  });

  it('sums per-phase energy when the charger gives no total', () => {
    const mv = {
      timestamp: '2026-06-01T10:00:00Z',
      sampledValue: ['L1', 'L2', 'L3'].map((phase) => ({
        value: '1000',
        measurand: 'Energy.Active.Import.Register',
        phase,
      })),
    };
    expect(mapMeterValue(mv).total_energy).toBe(3);
  });

  it('ignores a replayed sample older than the newest one applied', () => {
    const c = new Connector(1);
    const mv = (t: string, wh: string) => meterValues([{ timestamp: t, sampledValue: [{ value: wh }] }]);
    expect(c.onMeterValues(mv('2026-06-01T10:01:00Z', '2000'), null)).toBe(true);
    expect(c.onMeterValues(mv('2026-06-01T10:00:00Z', '1000'), null)).toBe(false);
    expect(c.reading(undefined, null, 16).values.total_energy).toBe(2);
  });

  it('reads numbers sent as strings and drops malformed entries', () => {
    const list = meterValues([
      { timestamp: '2026-06-01T10:00:00Z', sampledValue: [{ value: 5 }, { nope: 1 }, 'x'] },
      'y',
    ]);
    expect(list).toEqual([{ timestamp: '2026-06-01T10:00:00Z', sampledValue: [{ value: '5' }] }]);
    expect(record(null)).toEqual({});
  });
});

describe('OCPP charging profiles', () => {
  const base = {
    connector: 1,
    limitA: 13.37,
    unit: 'A' as const,
    voltage: 230,
    phases: 3 as const,
    maxStackLevel: 4,
    transactionId: null,
    now: Date.parse('2026-06-01T10:00:00Z'),
  };

  it('rounds the limit down to 0.1 A and starts an Absolute profile a minute early', () => {
    const p = buildProfile(base, 'default').csChargingProfiles;
    expect(p).toMatchObject({
      chargingProfileId: 1001,
      stackLevel: 4,
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: { startSchedule: '2026-06-01T09:59:00.000Z', chargingRateUnit: 'A' },
    });
    expect(p.chargingSchedule.chargingSchedulePeriod).toEqual([
      { startPeriod: 0, limit: 13.3, numberPhases: 3 },
    ]);
  });

  it('binds a TxProfile to the running transaction with its own fixed id', () => {
    const p = buildProfile({ ...base, transactionId: 42 }, 'stack0').csChargingProfiles;
    expect(p).toMatchObject({
      chargingProfileId: 2001,
      transactionId: 42,
      stackLevel: 0,
      chargingProfilePurpose: 'TxProfile',
    });
  });

  it('converts to W for power-only chargers and leaves out startSchedule in a Relative profile', () => {
    const p = buildProfile({ ...base, limitA: 10, unit: 'W', phases: 1 }, 'relative').csChargingProfiles;
    expect(p.chargingProfileKind).toBe('Relative');
    expect(p.chargingSchedule.startSchedule).toBeUndefined();
    expect(p.chargingSchedule.chargingSchedulePeriod[0]).toEqual({
      startPeriod: 0,
      limit: 2300,
      numberPhases: 1,
    });
  });

  it('climbs the ladder from the remembered variant and skips stack 0 when it is the maximum', () => {
    expect(ladder(undefined, 3)).toEqual(['default', 'stack0', 'relative']);
    expect(ladder('relative', 3)).toEqual(['relative', 'default', 'stack0']);
    expect(ladder(undefined, 0)).toEqual(['default', 'relative']);
  });

  it.each([
    ['Current', 'A'],
    ['Current,Power', 'A'],
    ['Power', 'W'],
    ['power', 'W'],
    ['W', 'W'],
    ['A', 'A'],
    [undefined, 'A'],
  ])('reads the rate unit %s as %s', (allowed, unit) => {
    expect(rateUnit(allowed)).toBe(unit);
  });
});
