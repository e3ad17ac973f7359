/**
 * The plan state machine (docs/engine.md#plan-states, Enode vocabulary) over a fake evening and night,
 * with the real Tariff (zones in Europe/Paris): plug-in → STOPPED until the cheap slot, STARTING →
 * STARTED, FINISHED at the target, UNPLUGGED mid-plan, OVERRIDDEN by charge now, CONSIDERING when
 * the deadline cannot be met or there is no tariff, FAILED after a missed deadline, DISABLED when
 * the mode changes, DEADLINE_CHANGED, re-plans on new prices, and a DST night.
 */
import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { TariffConfig } from '../../src/config/types.js';
import { SmartController } from '../../src/engine/smart.js';
import type { SmartChargerView } from '../../src/engine/smart-types.js';
import { Tariff } from '../../src/tariff/tariff.js';
import { ManualClock } from '../helpers/manual-clock.js';

const TZ = 'Europe/Paris';
const log = pino({ level: 'silent' });
const ZONES: TariffConfig = {
  currency: 'EUR',
  zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
  default_price: 0.25,
  topic: 'energy/prices',
};

function setup(opts: { tariff?: TariffConfig | null; start?: string } = {}) {
  const clock = new ManualClock(Date.parse(opts.start ?? '2026-06-01T20:00:00+02:00'));
  const tariff = opts.tariff === null ? undefined : new Tariff(opts.tariff ?? ZONES, TZ, clock, log);
  let version = 0;
  tariff?.onChange(() => {
    version += 1;
  });
  const logs: string[] = [];
  const ctl = new SmartController({
    timezone: TZ,
    prices: tariff ? (a, b) => tariff.segments(a, b) : undefined,
    currency: tariff?.currency ?? null,
    priceVersion: () => version,
    log: (_level, _id, msg) => logs.push(msg),
  });
  const view: SmartChargerView = {
    id: 'ev',
    mode: 'smart',
    online: true,
    fresh: true,
    vehicleConnected: false,
    charging: false,
    powerW: 0,
    sessionEnergyKWh: 0,
    maxCurrentA: 16,
    limitA: 16,
    phases: 1,
    voltageV: 230,
    policy: { deadline: '07:00', energy: 11, minimum_energy: 0 },
  };
  const step = () => ctl.step(view, clock.now());
  const plan = () => ctl.message('ev', view, clock.now());
  const at = (local: string) => Date.parse(local);
  const to = (local: string) => {
    (clock as unknown as { t: number }).t = at(local);
  };
  return { clock, tariff, ctl, view, step, plan, logs, to };
}

describe('smart plan state machine', () => {
  it('waits for the cheap zone, starts, finishes at the target', () => {
    const h = setup();
    h.step(); // unplugged
    expect(h.plan().state).toBe('CONSIDERING');
    h.view.vehicleConnected = true;
    let t = h.step()!;
    // 11 kWh at 3.68 kW ≈ 2 h 59 min: fits in 02:00–05:00
    expect(t.enabled).toBe(false);
    let p = h.plan();
    expect(p.state).toBe('PLAN:EXECUTING:STOPPED');
    expect(p.deadline).toBe('2026-06-02T07:00:00+02:00');
    expect(p.next_start).toBe('2026-06-02T02:00:00+02:00');
    expect(p.slots).toEqual([
      { start: '2026-06-02T02:00:00+02:00', end: '2026-06-02T04:59:21+02:00', current: 16 },
    ]);
    expect(p.considerations).toEqual({
      is_plugged_in: true,
      is_reachable: true,
      has_tariff: true,
      has_time: true,
      needs_charge: true,
      has_fresh_inputs: true,
    });
    expect(p.estimated_cost).toBeCloseTo(11 * 0.15, 2);
    expect(p.non_smart_cost).toBeCloseTo(11 * 0.25, 2);
    expect(p.currency).toBe('EUR');
    expect(t.next).toEqual({ action: 'start', at: '2026-06-02T02:00:00+02:00' });

    h.to('2026-06-02T02:00:05+02:00');
    t = h.step()!;
    expect(t).toMatchObject({ enabled: true, chargeCurrentA: 16 });
    expect(h.plan().state).toBe('PLAN:EXECUTING:STARTING');
    h.view.charging = true;
    h.view.powerW = 3680;
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:STARTED');

    h.view.sessionEnergyKWh = 11;
    h.to('2026-06-02T05:00:00+02:00');
    t = h.step()!;
    expect(t.enabled).toBe(false);
    p = h.plan();
    expect(p.state).toBe('PLAN:ENDED:FINISHED');
    expect(p.charged_energy).toBe(11);
    expect(p.considerations).toMatchObject({ needs_charge: false });
  });

  it('plan power: power drawn under a lower limit says nothing of the car; under max_current it does', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.view.charging = true;
    h.view.powerW = 2300; // 10 A: the limit the device had before smart took over
    h.view.limitA = 10;
    h.step();
    expect(h.plan().slots).toEqual([
      { start: '2026-06-02T02:00:00+02:00', end: '2026-06-02T04:59:21+02:00', current: 16 },
    ]);
    // a car that takes only 2.3 kW at 16 A: the plan follows it (11 kWh need 4 h 47 min)
    h.view.limitA = 16;
    h.step();
    const slots = h.plan().slots as Array<{ start: string; end: string }>;
    expect(slots.at(-1)).toEqual({
      start: '2026-06-02T02:00:00+02:00',
      end: '2026-06-02T05:00:00+02:00',
      current: 16,
    });
    expect(slots[0]!.start).toBe('2026-06-01T20:00:00+02:00');
  });

  it('STARTING becomes START_FAILED when the vehicle does not draw within a minute', () => {
    const h = setup({ start: '2026-06-02T01:59:00+02:00' });
    h.view.vehicleConnected = true;
    h.step();
    h.to('2026-06-02T02:00:10+02:00');
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:STARTING');
    h.to('2026-06-02T02:01:20+02:00');
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:START_FAILED');
  });

  it('after a slot: STOPPING while the vehicle still draws, STOP_FAILED after a minute, STOPPED when it stops', () => {
    const h = setup();
    h.view.policy = { deadline: '04:00', energy: 11, minimum_energy: 0 }; // 20:00–20:59:21, then 02:00–04:00
    h.view.vehicleConnected = true;
    h.step();
    h.view.charging = true;
    h.view.powerW = 3680;
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:STARTED');
    h.view.sessionEnergyKWh = 3.6;
    h.to('2026-06-01T21:00:00+02:00');
    expect(h.step()!.enabled).toBe(false);
    expect(h.plan().state).toBe('PLAN:EXECUTING:STOPPING');
    h.to('2026-06-01T21:01:10+02:00');
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:STOP_FAILED');
    h.view.charging = false;
    h.view.powerW = 0;
    const t = h.step()!;
    expect(h.plan().state).toBe('PLAN:EXECUTING:STOPPED');
    expect(t.next).toEqual({ action: 'start', at: '2026-06-02T02:00:00+02:00' });
  });

  it('unplugging mid-plan ends it UNPLUGGED; plugging in again makes a new plan', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    h.view.vehicleConnected = false;
    const t = h.step()!;
    expect(t.enabled).toBe(false);
    expect(h.plan().state).toBe('PLAN:ENDED:UNPLUGGED');
    expect(h.plan().slots).toEqual([]);
    h.view.vehicleConnected = true;
    h.step();
    expect(h.plan().state).toBe('PLAN:EXECUTING:STOPPED');
  });

  it('charge now overrides the plan until the target, the mode stays smart', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    h.ctl.chargeNow('ev');
    let t = h.step()!;
    expect(t).toMatchObject({ enabled: true, chargeCurrentA: 16 });
    expect(h.plan().state).toBe('PLAN:EXECUTING:OVERRIDDEN');
    h.view.sessionEnergyKWh = 11;
    t = h.step()!;
    expect(t.enabled).toBe(false);
    expect(h.plan().state).toBe('PLAN:ENDED:FINISHED');
  });

  it('a deadline that cannot be met: CONSIDERING, has_time false, charging at once', () => {
    const h = setup({ start: '2026-06-02T05:30:00+02:00' });
    h.view.vehicleConnected = true;
    const t = h.step()!;
    expect(t).toMatchObject({ enabled: true, chargeCurrentA: 16 });
    expect(t.note).toMatch(/cannot be met/);
    const p = h.plan();
    expect(p.state).toBe('CONSIDERING');
    expect(p.considerations).toMatchObject({ has_time: false });
    expect((p.slots as Array<{ start: string }>)[0]!.start).toBe('2026-06-02T05:30:00+02:00');
    expect(h.logs.some((l) => /cannot be met/.test(l))).toBe(true);
  });

  it('no tariff: CONSIDERING (has_tariff false), charging at once, costs unknown', () => {
    const h = setup({ tariff: null });
    h.view.vehicleConnected = true;
    const t = h.step()!;
    expect(t).toMatchObject({ enabled: true, chargeCurrentA: 16 });
    const p = h.plan();
    expect(p.state).toBe('CONSIDERING');
    expect(p.considerations).toMatchObject({ has_tariff: false, has_time: true });
    expect(p.estimated_cost).toBeNull();
    expect(p.currency).toBeNull();
  });

  it('a missed deadline ends FAILED and charges at max_current until the target', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    h.to('2026-06-02T07:00:00+02:00');
    const t = h.step()!;
    expect(t).toMatchObject({ enabled: true, chargeCurrentA: 16 });
    expect(h.plan().state).toBe('PLAN:ENDED:FAILED');
    h.view.sessionEnergyKWh = 11;
    expect(h.step()!.enabled).toBe(false);
    expect(h.plan().state).toBe('PLAN:ENDED:FINISHED');
  });

  it('leaving smart ends the plan DISABLED; the engine no longer drives the charger', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    h.view.mode = 'manual';
    expect(h.step()).toBeNull();
    expect(h.plan().state).toBe('PLAN:ENDED:DISABLED');
  });

  it('a new deadline ends the plan DEADLINE_CHANGED and plans again', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    const states: string[] = [];
    h.view.policy = { deadline: '04:00', energy: 11, minimum_energy: 0 };
    const orig = h.logs.length;
    h.step();
    for (const l of h.logs.slice(orig)) states.push(l);
    expect(states.some((l) => l.startsWith('plan PLAN:ENDED:DEADLINE_CHANGED'))).toBe(true);
    const p = h.plan();
    expect(p.deadline).toBe('2026-06-02T04:00:00+02:00');
    // 3 h needed before 04:00: the 2 cheap hours, and the earliest default-price hour for the rest
    expect(p.slots).toEqual([
      { start: '2026-06-01T20:00:00+02:00', end: '2026-06-01T20:59:21+02:00', current: 16 },
      { start: '2026-06-02T02:00:00+02:00', end: '2026-06-02T04:00:00+02:00', current: 16 },
    ]);
    expect(p.state).toBe('PLAN:EXECUTING:STARTING');
  });

  it('prices arriving late on the topic re-plan into the new cheap hours', () => {
    const h = setup();
    h.view.vehicleConnected = true;
    h.step();
    expect(h.plan().next_start).toBe('2026-06-02T02:00:00+02:00');
    const list = [
      { start: '2026-06-01T20:00:00+02:00', end: '2026-06-01T23:00:00+02:00', price: 0.3 },
      { start: '2026-06-01T23:00:00+02:00', end: '2026-06-02T03:00:00+02:00', price: 0.05 },
    ];
    h.tariff!.handleMessage(Buffer.from(JSON.stringify(list)), false);
    h.step();
    const p = h.plan();
    expect(p.next_start).toBe('2026-06-01T23:00:00+02:00');
    expect(p.estimated_cost).toBeCloseTo(11 * 0.05, 2);
  });

  it('the protective minimum charges at once', () => {
    const h = setup();
    h.view.policy = { deadline: '07:00', energy: 11, minimum_energy: 3.68 };
    h.view.vehicleConnected = true;
    const t = h.step()!;
    expect(t.enabled).toBe(true);
    expect(h.plan().slots).toEqual([
      { start: '2026-06-01T20:00:00+02:00', end: '2026-06-01T21:00:00+02:00', current: 16 },
      { start: '2026-06-02T02:00:00+02:00', end: '2026-06-02T03:59:21+02:00', current: 16 },
    ]);
  });

  it('over the DST night the cheap zone 02:00–05:00 lasts 4 real hours and the deadline has the new offset', () => {
    // 2026-10-25: clocks go back at 03:00 CEST → 02:00 CET; the zone 02:00–05:00 local lasts 4 h
    const h = setup({ start: '2026-10-24T20:00:00+02:00' });
    h.view.policy = { deadline: '07:00', energy: 14, minimum_energy: 0 }; // 3 h 48 min at 3.68 kW
    h.view.vehicleConnected = true;
    h.step();
    const p = h.plan();
    expect(p.deadline).toBe('2026-10-25T07:00:00+01:00');
    expect(p.slots).toEqual([
      { start: '2026-10-25T02:00:00+02:00', end: '2026-10-25T04:48:16+01:00', current: 16 },
    ]);
    expect(p.estimated_cost).toBeCloseTo(14 * 0.15, 2);
  });
});
