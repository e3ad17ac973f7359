import { describe, expect, it } from '@jest/globals';
import type { ChargerConfig } from '../../src/config/types.js';
import {
  adoptedTargets,
  changedKeys,
  disagreement,
  targetsInForce,
  withValues,
} from '../../src/core/charger-state.js';
import type { ChargerReading, Targets } from '../../src/core/model.js';
import type { ChargerCapabilities } from '../../src/drivers/types.js';

const cfg = {
  id: 'c',
  name: 'C',
  type: 'openevse',
  host: 'h',
  port: 80,
  unit_id: 1,
  poll_interval: 5,
  min_current: 6,
  max_current: 16,
  max_discharge_current: 10,
  min_state_of_charge: 20,
  phases: 3,
  voltage: 230,
  watchdog: 0,
  mode: 'manual',
  on_exit: 'keep',
} as unknown as ChargerConfig;

const caps = (over: Partial<ChargerCapabilities> = {}): ChargerCapabilities => ({
  provides: new Set(),
  writable: new Set(),
  resolution: 1,
  bidirectional: false,
  watchdog: false,
  push: false,
  ...over,
});

const reading = (over: Partial<ChargerReading> = {}): ChargerReading => ({
  vehicleConnected: true,
  charging: true,
  enabled: true,
  chargeCurrent: 16,
  fault: null,
  values: {},
  ...over,
});

const t = (over: Partial<Targets> = {}): Targets => ({
  enabled: true,
  charge_current: 10,
  extra: {},
  ...over,
});

describe('the targets in force while the bridge adopts the device', () => {
  it('never exceed max_current, even when the device runs above it', () => {
    expect(targetsInForce(null, reading({ chargeCurrent: 32 }), cfg, caps()).charge_current).toBe(16);
  });

  it('are raised to min_current for a charger that cannot discharge', () => {
    expect(targetsInForce(null, reading({ chargeCurrent: 2 }), cfg, caps()).charge_current).toBe(6);
  });

  it('keep 0 A and allow discharge down to max_discharge_current on a bidirectional charger', () => {
    const bi = caps({ bidirectional: true });
    expect(targetsInForce(null, reading({ chargeCurrent: 0 }), cfg, bi).charge_current).toBe(0);
    expect(targetsInForce(null, reading({ chargeCurrent: -25 }), cfg, bi).charge_current).toBe(-10);
  });

  it('are the bridge’s own once it has commanded', () => {
    const own = t({ charge_current: 8 });
    expect(targetsInForce(own, reading(), cfg, caps())).toBe(own);
  });
});

describe('a reading against the targets', () => {
  it('agrees when the device holds the targets within half the resolution', () => {
    expect(disagreement(reading({ chargeCurrent: 10.4 }), t(), caps(), false).diffs).toEqual([]);
  });

  it('names each key changed at the device', () => {
    const r = reading({ enabled: false, chargeCurrent: 13, values: { phases: 1 } });
    const d = disagreement(r, t({ phases: 3 }), caps({ writable: new Set(['phases']) }), false);
    expect(d.diffs).toEqual(['enabled', 'charge_current', 'phases']);
    expect(adoptedTargets(r, t({ phases: 3 }), d)).toEqual({
      enabled: false,
      charge_current: 13,
      phases: 1,
      extra: {},
    });
  });

  it('is capped, not changed, when the device holds its own maximum below the target', () => {
    const r = reading({ chargeCurrent: 13, deviceMaxCurrent: 13 });
    const d = disagreement(r, t({ charge_current: 16 }), caps(), false);
    expect(d).toEqual({ capped: true, diffs: [] });
  });

  it('leaves the bridge without targets when a person holds the device', () => {
    const r = reading({ chargeCurrent: 10, overridden: true });
    const d = disagreement(r, t(), caps(), false);
    expect(d.diffs).toEqual(['control']);
    expect(adoptedTargets(r, t(), d)).toBeNull();
    expect(disagreement(r, t(), caps(), true).diffs).toEqual([]);
  });
});

describe('a validated /set written into the targets', () => {
  it('changes only the keys sent, and changedKeys names them', () => {
    const before = t({ extra: { auto_charge: true } });
    const after = withValues(before, { charge_current: 12, mode: 'manual', auto_charge: false });
    expect(after).toEqual({ enabled: true, charge_current: 12, extra: { auto_charge: false } });
    expect(before.extra.auto_charge).toBe(true);
    expect([...changedKeys(before, after)].sort()).toEqual(['auto_charge', 'charge_current']);
  });
});
