import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.js';
import { realClock } from '../../src/core/clock.js';
import type { Targets } from '../../src/core/model.js';
import { technoveType } from '../../src/drivers/technove/driver.js';
import { TechnoveSimulator } from '../../src/drivers/technove/simulator.js';
import { PATHS } from '../../src/drivers/technove/wire.js';
import type { ChargerDriver } from '../../src/drivers/types.js';

/** The driver and the simulator alone, on a real socket: what the MQTT side cannot reach yet. */
describe('TechnoVE driver against the simulator', () => {
  let sim: TechnoveSimulator;
  let driver: ChargerDriver;

  beforeEach(async () => {
    sim = new TechnoveSimulator({ maxStationCurrent: 32, maxCurrent: 16 });
    await sim.start();
    const config = validateConfig(
      { chargers: [{ id: 'g', type: 'technove', host: '127.0.0.1', port: sim.port, max_current: 32 }] },
      {},
    ).config!;
    driver = await technoveType.create({
      cfg: config.chargers[0]!,
      log: pino({ level: 'silent' }),
      clock: realClock,
      instance: 'evse2mqtt',
    });
  });

  afterEach(async () => {
    await driver.close();
    await sim.stop();
  });

  const targets = (extra: Targets['extra'] = {}): Targets => ({ enabled: true, charge_current: 16, extra });

  it('reports identity from the probe: firmware version and MAC', () => {
    expect(driver.info).toEqual({
      manufacturer: 'TechnoVE',
      model: 'TechnoVE station',
      sw_version: '1.82',
      serial: 'AA:BB:CC:DD:EE:FF',
    });
  });

  it('switches the high-tariff schedule, and the station then holds charging in its high-tariff period', async () => {
    sim.plugIn();
    await driver.apply(targets({ high_tariff_schedule: true }), new Set(['high_tariff_schedule']));
    expect(sim.requestsTo('POST', PATHS.highTariffSchedule).map((r) => r.body)).toEqual([
      '{"activated":true}',
    ]);
    sim.setHighTariffPeriod(true);
    const r = await driver.read();
    expect(r).toMatchObject({ held: true, charging: false, vehicleConnected: true });
    expect(r.values.high_tariff_schedule).toBe(true);
  });

  it('refuses a current below 8 A before sending anything', async () => {
    await driver.read();
    await expect(
      driver.apply({ enabled: true, charge_current: 6, extra: {} }, new Set(['charge_current'])),
    ).rejects.toThrow('charge_current: the station accepts no less than 8 A, got 6');
    expect(sim.requestsTo('POST', PATHS.partage)).toHaveLength(0);
  });
});

describe('TechnoVE simulator fidelity', () => {
  let sim: TechnoveSimulator;
  const url = (p: string) => `http://127.0.0.1:${sim.port}${p}`;
  const post = (p: string, body: unknown) =>
    fetch(url(p), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeEach(async () => {
    sim = new TechnoveSimulator({ maxStationCurrent: 32, maxCurrent: 16 });
    await sim.start();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('answers commands with a text "ok" and the info as JSON', async () => {
    const info = await fetch(url(PATHS.info));
    expect(info.headers.get('content-type')).toBe('application/json');
    expect(await info.json()).toMatchObject({ status: 65, maxCurrent: 16, auto_charge: true });
    const r = await post(PATHS.partage, { ' stationNumber': 1, current: 20 });
    expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'text/plain', 'ok']);
    expect(sim.maxCurrent).toBe(20);
  });

  it('rejects a partage body without the leading-space key, and ignores a current below 8 A', async () => {
    expect((await post(PATHS.partage, { stationNumber: 1, current: 20 })).status).toBe(400);
    expect((await post(PATHS.partage, { ' stationNumber': 1, current: 6 })).status).toBe(200);
    expect(sim.maxCurrent).toBe(16);
  });

  it('ignores start and stop while auto_charge is on, as the library expects', async () => {
    sim.plugIn();
    expect(sim.status()).toBe(67);
    await fetch(url(PATHS.stop));
    expect(sim.status()).toBe(67);
    await post(PATHS.automatic, { activated: false });
    await fetch(url(PATHS.stop));
    expect(sim.status()).toBe(66);
  });
});
