import { describe, expect, it } from '@jest/globals';
import { type ChargerReading, type ChargerStatus, readingStatus } from '../../src/core/model.js';
import { controllerName, mapReading } from '../../src/drivers/pulsatrix/mapping.js';
import { type PulsatrixBodies, parseDeviceJson } from '../../src/drivers/pulsatrix/wire.js';

/*
 * Real bodies from a pulsatrix SECC's MQTT API (the same bodies as the REST/WS topics), from
 * werthdavid/homeassistant-pulsatrix-local-mqtt `mqtt-capture.log` @ c81c6c48 (Apache-2.0),
 * (https://github.com/werthdavid/homeassistant-pulsatrix-local-mqtt; meter/fiscal and tx/status).
 */
const METER_FISCAL = {
  voltage: [236.3654633, 238.4984131, 236.7804108],
  amperage: [0, 0, 0],
  frequency: 49.92698288,
  activePower: 0,
  energyImported: 3645.880859,
};
const TX_CHARGING = {
  id: 'redacted',
  state: 'CHARGING',
  effectiveAmperageLimit: 32,
  startedTime: 1691343029,
  endedTime: 0,
  startReason: 'CablePluggedIn',
  lastMeterValue: 3645.906982,
  lastActivePower: 2119.759277,
  meterStart: 3643.753906,
  meterStop: 3643.753906,
  peakPhaseAmperage: {},
  peakActivePower: 3479.479492,
};

const NO_CONTROL = { phasesWired: 3 as const, control: null };

const status = (r: ChargerReading): ChargerStatus => readingStatus(r);

describe('pulsatrix mapping of real captured bodies', () => {
  it('maps the fiscal meter and a charging transaction to canonical units', () => {
    const r = mapReading({ charging: METER_FISCAL, transaction: TX_CHARGING }, NO_CONTROL);
    expect(r.values).toEqual({
      current: 0,
      current_l1: 0,
      current_l2: 0,
      current_l3: 0,
      voltage: 236.4, // L1
      frequency: 49.93,
      power: 0, // activePower of the meter wins over the transaction's lastActivePower
      session_energy: 2.127, // 3645.880859 − meterStart 3643.753906 kWh (session still open: endedTime 0)
      total_energy: 3645.881,
      phases: 3,
    });
    expect(r.deviceMaxCurrent).toBe(32); // effectiveAmperageLimit
    expect(r.charging).toBe(true); // state CHARGING when chargeControllerStatus is absent
    expect(status(r)).toBe('charging');
  });

  it('falls back to the transaction meter and power when /charging has none', () => {
    const r = mapReading({ transaction: TX_CHARGING }, NO_CONTROL);
    expect(r.values).toMatchObject({
      power: 2119.8,
      total_energy: 3645.907,
      session_energy: 2.153,
      current: null,
    });
  });
});

describe('pulsatrix per-phase values', () => {
  it('publishes the highest phase as current and L1 as voltage', () => {
    const r = mapReading(
      { charging: { voltage: [231.2, 230.8, 232], amperage: [15.8, 16.1, 15.9], lastActivePower: 11050 } },
      NO_CONTROL,
    );
    expect(r.values).toMatchObject({
      current: 16.1,
      current_l1: 15.8,
      current_l2: 16.1,
      voltage: 231.2,
      power: 11050,
    });
  });

  it('gives null for NaN and missing values instead of crashing', () => {
    const charging = parseDeviceJson('{"voltage":[NaN,230,230],"amperage":[NaN],"frequency":NaN}');
    const r = mapReading({ charging }, NO_CONTROL);
    expect(r.values).toMatchObject({ voltage: null, current: null, current_l1: null, frequency: null });
  });

  it('accepts both documented /configuration spellings', () => {
    const docs: PulsatrixBodies = {
      configuration: { pdName: 'Home', ctrlrName: 'Garage', effectiveAmperageLimit: 20 },
    };
    const example: PulsatrixBodies = {
      configuration: { powerDomainName: 'Home', controllerName: 'Garage', effectiveAmperageLimit: 20 },
    };
    for (const b of [docs, example]) {
      expect(controllerName(b)).toBe('Home/Garage');
      expect(mapReading(b, NO_CONTROL).deviceMaxCurrent).toBe(20);
    }
  });
});

describe('pulsatrix charge current and enabled', () => {
  const base: PulsatrixBodies = {
    configuration: { effectiveAmperageLimit: 32 },
    charging: { allocatedAmperage: 32 },
    transaction: { state: 'SUSPENDED_EVSE', chargeControllerStatus: 'B1', vehicleStatus: 'B' },
  };

  it('shows the SECC’s own limit while no API limit is in force', () => {
    const r = mapReading({ ...base, limits: { amperageLimit: null, timeout: 300000 } }, NO_CONTROL);
    expect(r).toMatchObject({ chargeCurrent: 32, enabled: true });
  });

  it('ignores a stale API limit that /limits still shows after it expired', () => {
    const tx = { ...base.transaction, allocationSourceName: 'Unmanaged' };
    const r = mapReading({ ...base, transaction: tx, limits: { amperageLimit: 10 } }, NO_CONTROL);
    expect(r.chargeCurrent).toBe(32);
  });

  it('shows a valid API limit, and one below 6 A as disabled', () => {
    const tx = { ...base.transaction, allocationSourceName: 'API' };
    expect(mapReading({ ...base, transaction: tx, limits: { amperageLimit: 10 } }, NO_CONTROL)).toMatchObject(
      {
        chargeCurrent: 10,
        enabled: true,
      },
    );
    expect(mapReading({ ...base, transaction: tx, limits: { amperageLimit: 0 } }, NO_CONTROL).enabled).toBe(
      false,
    );
  });

  it('keeps the bridge’s target current while the bridge pauses', () => {
    const r = mapReading(base, { phasesWired: 3, control: { current: 13.5, enabled: false } });
    expect(r).toMatchObject({ chargeCurrent: 13.5, enabled: false });
    expect(status(r)).toBe('paused');
  });

  it('caps the bridge’s target at effectiveAmperageLimit and reports the phase setting', () => {
    const b = { ...base, configuration: { effectiveAmperageLimit: 20 } };
    const r = mapReading(b, { phasesWired: 3, control: { current: 32, enabled: true, phases: 1 } });
    expect(r).toMatchObject({ chargeCurrent: 20, deviceMaxCurrent: 20 });
    expect(r.values.phases).toBe(1);
    expect(mapReading(b, { phasesWired: 1, control: null }).values.phases).toBe(1);
  });
});

/** Vendor state table of mapping.ts, one row per state (a fixture test per row). */
const STATUS_ROWS: Array<{ tx: Record<string, unknown>; limits?: Record<string, unknown>; status: string }> =
  [
    { tx: { state: 'IDLE', chargeControllerStatus: 'A1', vehicleStatus: 'A' }, status: 'disconnected' },
    { tx: { state: 'Idle', vehicleStatus: 'A' }, status: 'disconnected' },
    { tx: { state: 'CHARGING', chargeControllerStatus: 'C2', vehicleStatus: 'C' }, status: 'charging' },
    { tx: { state: 'Charging', chargeControllerStatus: 'D2', vehicleStatus: 'D' }, status: 'charging' },
    { tx: { state: 'SUSPENDED_EV', chargeControllerStatus: 'B2', vehicleStatus: 'B' }, status: 'connected' },
    { tx: { state: 'SuspendedEV', chargeControllerStatus: 'B1', vehicleStatus: 'B' }, status: 'connected' },
    { tx: { state: 'EVConnected', chargeControllerStatus: 'C1', vehicleStatus: 'C' }, status: 'connected' },
    { tx: { state: 'Finishing', chargeControllerStatus: 'D1', vehicleStatus: 'B' }, status: 'connected' },
    {
      tx: {
        state: 'SUSPENDED_EVSE',
        chargeControllerStatus: 'B1',
        vehicleStatus: 'B',
        allocationSourceName: 'API',
      },
      limits: { amperageLimit: 0 },
      status: 'paused',
    },
    { tx: { state: 'Unavailable', chargeControllerStatus: 'E1', vehicleStatus: 'B' }, status: 'disabled' },
    {
      tx: { state: 'UNAVAILABLE', chargeControllerStatus: 'A1', vehicleStatus: 'A' },
      status: 'disconnected',
    },
    { tx: { state: 'Reserved', chargeControllerStatus: 'B1', vehicleStatus: 'B' }, status: 'disabled' },
    { tx: { state: 'Faulted', chargeControllerStatus: 'F1', vehicleStatus: 'B' }, status: 'error' },
    { tx: { state: 'FAULTED', vehicleStatus: 'S' }, status: 'error' },
    { tx: { state: 'IDLE', chargeControllerStatus: 'R1', vehicleStatus: 'R' }, status: 'error' },
    { tx: { state: 'IDLE', chargeControllerStatus: 'A1', vehicleStatus: 'E' }, status: 'error' },
    { tx: { state: 'IDLE', chargeControllerStatus: 'A1', vehicleStatus: 'F' }, status: 'error' },
    { tx: { state: 'SUSPENDED_EV', chargeControllerStatus: 'S1', vehicleStatus: 'B' }, status: 'connected' },
    {
      tx: { state: 'SOMETHING_NEW', chargeControllerStatus: 'Z9', vehicleStatus: 'S' },
      status: 'disconnected',
    },
  ];

describe('pulsatrix vendor state table', () => {
  it.each(STATUS_ROWS)(
    'state $tx.state / $tx.chargeControllerStatus / $tx.vehicleStatus → $status',
    (row) => {
      const r = mapReading(
        { transaction: row.tx, ...(row.limits ? { limits: row.limits } : {}) },
        NO_CONTROL,
      );
      expect(status(r)).toBe(row.status);
    },
  );

  it('names the fault with its code', () => {
    const r = mapReading({ transaction: { state: 'IDLE', chargeControllerStatus: 'R1' } }, NO_CONTROL);
    expect(r.fault).toBe('pulsatrix: diode failure (R1)');
  });
});
