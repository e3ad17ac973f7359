import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { type ChargerReading, type ChargerStatus, readingStatus } from '../../src/core/model.js';
import { checkInfo, mapInfo, STATION_STATES } from '../../src/drivers/technove/mapping.js';
import type { TechnoveInfo } from '../../src/drivers/technove/wire.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/technove', import.meta.url));
const fixture = (name: string) =>
  checkInfo(JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>);

const status = (r: ChargerReading): ChargerStatus => readingStatus(r);

const base: TechnoveInfo = {
  maxCurrent: 16,
  maxStationCurrent: 32,
  voltageIn: 240,
  voltageOut: 240,
  current: 0,
};

describe('TechnoVE status table (one row per vendor status)', () => {
  it.each<[string, TechnoveInfo, boolean | undefined, Partial<ChargerReading> & { status: ChargerStatus }]>([
    [
      '65 A unplugged',
      { status: 65 },
      true,
      { status: 'disconnected', vehicleConnected: false, enabled: null },
    ],
    [
      '66 B, session on',
      { status: 66, isSessionActive: true },
      false,
      { status: 'connected', enabled: true },
    ],
    [
      '66 B, session off',
      { status: 66, isSessionActive: false },
      false,
      { status: 'paused', enabled: false },
    ],
    [
      '67 C charging',
      { status: 67, current: 15.75, isSessionActive: true },
      false,
      { status: 'charging', charging: true },
    ],
    [
      '68 D ventilation',
      { status: 68 },
      undefined,
      { status: 'error', vehicleConnected: true, fault: 'TechnoVE: ventilation required (status D)' },
    ],
    [
      '69 E pilot fault',
      { status: 69 },
      true,
      { status: 'error', vehicleConnected: true, fault: 'TechnoVE: pilot fault (status E)' },
    ],
    [
      '70 F EVSE fault',
      { status: 70 },
      false,
      { status: 'error', vehicleConnected: false, fault: 'TechnoVE: EVSE fault (status F)' },
    ],
    [
      '71 G undocumented',
      { status: 71 },
      true,
      { status: 'error', fault: 'TechnoVE: fault G (undocumented) (status G)' },
    ],
    [
      '72 H ground fault',
      { status: 72 },
      true,
      { status: 'error', fault: 'TechnoVE: ground fault (status H)' },
    ],
    [
      '83 S, car seen before',
      { status: 83, isSessionActive: true },
      true,
      { status: 'disabled', locked: true, enabled: null, vehicleConnected: true },
    ],
    [
      '83 S, nothing seen before',
      { status: 83 },
      undefined,
      { status: 'disabled', locked: true, vehicleConnected: true },
    ],
    [
      '83 S, no car before',
      { status: 83 },
      false,
      { status: 'disconnected', locked: true, vehicleConnected: false },
    ],
    [
      '84 T, car seen before',
      { status: 84, isSessionActive: true },
      true,
      { status: 'paused', held: true, enabled: null, charging: false },
    ],
    ['84 T, no car before', { status: 84 }, false, { status: 'disconnected', held: true }],
    [
      'unknown code 12345',
      { status: 12345 },
      true,
      { status: 'error', fault: 'TechnoVE: unknown status 12345' },
    ],
    [
      'null status',
      { status: null as unknown as number },
      false,
      { status: 'error', fault: 'TechnoVE: unknown status null' },
    ],
  ])('%s', (_name, info, lastVehicle, expected) => {
    const r = mapInfo({ ...base, ...info }, lastVehicle);
    const { status: want, ...fields } = expected;
    expect(status(r)).toBe(want);
    expect(r).toMatchObject(fields);
  });

  it('has a row for each documented letter and for G, and none for the others', () => {
    expect(Object.entries(STATION_STATES).map(([code, s]) => `${code}${s.letter}`)).toEqual([
      '65A',
      '66B',
      '67C',
      '68D',
      '69E',
      '70F',
      '71G',
      '72H',
      '83S',
      '84T',
    ]);
  });
});

describe('TechnoVE fixtures (home-assistant/core tests)', () => {
  it('station_charging.json reads as a charging station in canonical units', () => {
    const r = mapInfo(fixture('station_charging.json'), undefined);
    expect(status(r)).toBe('charging');
    expect(r).toMatchObject({
      vehicleConnected: true,
      charging: true,
      enabled: true,
      chargeCurrent: 24,
      deviceMaxCurrent: 32,
      deviceMinCurrent: 8,
      fault: null,
      locked: false,
      held: false,
    });
    expect(r.values).toEqual({
      current: 23.75,
      voltage: 238,
      power: 5652.5, // voltageOut 238 V × 23.75 A
      session_energy: 12.34,
      total_energy: 1234,
      auto_charge: true,
      sharing_mode: true,
      update_available: false,
    });
  });

  it('station_bad_status.json (status 12345) is an error that names the code, with the current still flowing', () => {
    const r = mapInfo(fixture('station_bad_status.json'), undefined);
    expect(status(r)).toBe('error');
    expect(r).toMatchObject({
      fault: 'TechnoVE: unknown status 12345',
      charging: true,
      vehicleConnected: true,
    });
    expect(r.values.current).toBe(23.75);
  });
});

describe('TechnoVE replies that cannot give a reading', () => {
  it('treats {} as no data and says what to do', () => {
    expect(() => checkInfo({})).toThrow(
      'GET /station/get/info: the station returned no data ({}); it may be restarting. If this lasts, restart it from the TechnoVE app or its breaker',
    );
  });

  it('names the missing keys of a partial reply', () => {
    expect(() => checkInfo({ name: 'x', status: 65 })).toThrow(
      'GET /station/get/info: the reply lacks maxCurrent (keys: name, status); check that host and port point at a TechnoVE station',
    );
  });

  it('gives null, not a wrong number, for measured keys the station leaves out', () => {
    const r = mapInfo(checkInfo({ status: 65, maxCurrent: 16 }), undefined);
    expect(r.values).toMatchObject({
      current: null,
      voltage: null,
      power: null,
      session_energy: null,
      total_energy: null,
    });
    expect(r.values.update_available).toBe(false); // the library's default: isUpToDate true
  });
});
