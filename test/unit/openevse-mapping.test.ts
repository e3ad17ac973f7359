import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type ChargerStatus, readingStatus } from '../../src/core/model.js';
import { EVSE_STATES, mapStatus } from '../../src/drivers/openevse/mapping.js';
import {
  bridgeClientId,
  CLIENT,
  type OpenEvseConfig,
  type OpenEvseStatus,
} from '../../src/drivers/openevse/wire.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/openevse/${name}`, import.meta.url), 'utf8')) as T;
const client = bridgeClientId('evse2mqtt');

function status(s: OpenEvseStatus, owner?: number): ChargerStatus {
  return readingStatus(
    mapStatus({ status: s, config: {}, client, target: owner ? { claims: { state: owner } } : undefined }),
  );
}

describe('OpenEVSE mapping against real payloads (python-openevse-http fixtures)', () => {
  it('v5.1.2 /status: sleeping without a car, kWh totals, tenths of °C', () => {
    const r = mapStatus({
      status: fixture('status.v5-wifi.2024-11.json'),
      config: fixture<OpenEvseConfig>('config.v5-wifi-5.1.2.json'),
      client,
    });
    expect(r).toMatchObject({
      vehicleConnected: false,
      charging: false,
      enabled: false,
      chargeCurrent: 48,
      fault: null,
      deviceMaxCurrent: 48,
      deviceMinCurrent: 6,
    });
    expect(r.values).toMatchObject({
      current: 0,
      voltage: 220,
      power: 0,
      session_energy: 0,
      total_energy: 20127.228,
      temperature: 44,
      phases: 1,
    });
  });

  it('v4 /status (2021): no `status` string, state 254 with a car, Wh counters only', () => {
    const r = mapStatus({
      status: fixture('status.v4-wifi.2021-08.json'),
      config: fixture<OpenEvseConfig>('config.v4-wifi-4.0.0.json'),
      client,
    });
    expect(r).toMatchObject({ vehicleConnected: true, enabled: false, chargeCurrent: 48 });
    expect(r.values).toMatchObject({
      session_energy: 0.276,
      total_energy: 64.582,
      temperature: 50.3,
      current: 0,
    });
  });

  it('the /ws frame: session_energy in Wh becomes kWh', () => {
    const r = mapStatus({ status: fixture('websocket-frame.status.2023-03.json'), config: {}, client });
    expect(r.values.session_energy).toBe(7.951);
    expect(r.values.total_energy).toBe(7875.444);
  });

  it('v2 (ESP8266) /status: state 1, watthour and wattsec only', () => {
    const r = mapStatus({
      status: fixture('status.v2-wifi.json'),
      config: fixture<OpenEvseConfig>('config.v2-wifi.json'),
      client,
    });
    expect(r).toMatchObject({ vehicleConnected: false, enabled: true, chargeCurrent: 25, fault: null });
    expect(r.values).toMatchObject({ total_energy: 1585.443, session_energy: 7.003, temperature: null });
  });

  it('claims/target: a person’s override (65537) is locked, a schedule (65540) is held', () => {
    const t = fixture<{ claims: { state: number } }>('claims-target.json');
    expect(t.claims.state).toBe(CLIENT.schedule);
    const paused = { state: 254, status: 'disabled', vehicle: 1, pilot: 28 } as OpenEvseStatus;
    expect(status(paused, CLIENT.schedule)).toBe('paused');
    expect(status(paused, CLIENT.manual)).toBe('disabled');
    expect(status(paused, client)).toBe('paused');
  });
});

describe('OpenEVSE state table (the driver README), one row each', () => {
  const expected: Record<number, ChargerStatus> = {
    0: 'disconnected',
    1: 'disconnected',
    2: 'connected',
    3: 'charging',
    4: 'error',
    5: 'error',
    6: 'error',
    7: 'error',
    8: 'error',
    9: 'error',
    10: 'error',
    11: 'error',
    14: 'error',
    254: 'paused',
    255: 'paused',
  };
  it.each(Object.keys(EVSE_STATES).map(Number))('state %i', (code) => {
    const active = code !== 254 && code !== 255;
    const s: OpenEvseStatus = {
      state: code,
      status: active ? 'active' : 'disabled',
      vehicle: code === 0 || code === 1 ? 0 : 1,
      amp: code === 3 ? 16000 : 0,
      voltage: 230,
      pilot: 16,
    };
    expect(status(s, active ? undefined : client)).toBe(expected[code]);
    if (EVSE_STATES[code]?.fault)
      expect(mapStatus({ status: s, config: {}, client }).fault).toBe(
        `OpenEVSE: ${EVSE_STATES[code]!.label}`,
      );
  });

  it('an unknown state code is an error naming it', () => {
    expect(mapStatus({ status: { state: 42 }, config: {}, client }).fault).toBe('OpenEVSE: unknown state 42');
  });
});
