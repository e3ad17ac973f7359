import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { MeterConfig } from '../../src/config/types.js';
import { type Clock, realClock } from '../../src/core/clock.js';
import { mapStatus, shellyEmType } from '../../src/meters/shelly/gen1.js';
import { ShellyGen1Simulator } from '../../src/meters/shelly/sim-gen1.js';
import { ShellyGen2Simulator } from '../../src/meters/shelly/sim-gen2.js';
import type { MeterPoller } from '../../src/meters/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/shelly-gen1-em', import.meta.url));
const fixture = JSON.parse(
  readFileSync(path.join(FIXTURES, 'status.shem.fw-v1.12.1.json'), 'utf8'),
) as Record<string, unknown>;

const meterCfg = (port: number, extra: Partial<MeterConfig> = {}): MeterConfig => ({
  id: 'grid',
  name: 'Grid',
  role: 'grid',
  type: 'shelly-em',
  scale: 1,
  max_age: 30,
  host: '127.0.0.1',
  port,
  channel: 0,
  poll_interval: 2,
  ...extra,
});

describe('Shelly EM fixture (real /status, fw 1.12.1) through the mapping', () => {
  it('maps channel 0: exporting 620.34 W, Wh counters in kWh, the device time', () => {
    expect(mapStatus(fixture, 0)).toEqual({
      power: -620.34,
      energy_import: 401.4729,
      energy_export: 653.6737,
      current_l1: null,
      voltage: 235.68,
      at: 1676110566000,
    });
  });

  it('maps idle channel 1 and refuses a channel the EM does not have', () => {
    expect(mapStatus(fixture, 1)).toMatchObject({ power: 0, energy_import: 173.4113, energy_export: 0.2942 });
    expect(() => mapStatus(fixture, 2)).toThrow(
      'channel 2 does not exist: the device has 2 emeters (channel 0–1)',
    );
  });

  it('the simulator sends the same emeter keys and status layout as the real EM', async () => {
    const sim = new ShellyGen1Simulator();
    const real = (fixture.emeters as Record<string, unknown>[])[0]!;
    expect(Object.keys(sim.emeter(0)).sort()).toEqual(Object.keys(real).sort());
    for (const key of Object.keys(sim.status())) expect(fixture).toHaveProperty(key);
  });
});

describe('Shelly EM / 3EM (Gen1) driver against the simulator', () => {
  const log = pino({ level: 'silent' });
  let sims: Array<{ stop(): Promise<void> }> = [];
  let pollers: MeterPoller[] = [];

  async function setup(
    sim: ShellyGen1Simulator,
    extra: Partial<MeterConfig> = {},
    clock: Clock = realClock,
  ): Promise<MeterPoller> {
    sims.push(sim);
    await sim.start();
    const p = await shellyEmType.create!({ cfg: meterCfg(sim.port, extra), log, clock });
    pollers.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of pollers) await p.close();
    for (const s of sims) await s.stop();
    pollers = [];
    sims = [];
  });

  it('reports identity from GET /shelly', async () => {
    const p = await setup(new ShellyGen1Simulator());
    expect(p.info).toEqual({
      manufacturer: 'Shelly',
      model: 'Shelly EM',
      sw_version: '20221027-105518/v1.12.1-ga9117d3',
      serial: 'AABBCCDDEEFF',
    });
  });

  it('reads signed power in W, voltage in V, energy in kWh and the device time', async () => {
    const sim = new ShellyGen1Simulator({ time: Date.parse('2026-06-01T10:00:00Z') });
    const p = await setup(sim, { channel: 1 });
    sim.setChannel(1, { power: -1432.55, voltage: 231.2, total: 401472.9, totalReturned: 653673.7 });
    expect(await p.read()).toEqual({
      power: -1432.55,
      energy_import: 401.4729,
      energy_export: 653.6737,
      current_l1: null,
      voltage: 231.2,
      at: Date.parse('2026-06-01T10:00:00Z'),
    });
  });

  it('counts import and export energy as power flows over simulated time', async () => {
    const sim = new ShellyGen1Simulator();
    const p = await setup(sim);
    sim.setChannel(0, { power: 2000 });
    sim.tick(30 * 60_000);
    sim.setChannel(0, { power: -1000 });
    sim.tick(3 * 60 * 60_000);
    const r = await p.read();
    expect(r.energy_import).toBeCloseTo(1, 3);
    expect(r.energy_export).toBeCloseTo(3, 3);
    expect(r.power).toBe(-1000);
  });

  it('reads one phase of a 3EM, with its current in A', async () => {
    const sim = new ShellyGen1Simulator({ type: 'SHEM-3' });
    const p = await setup(sim, { channel: 2 });
    sim.setChannel(2, { power: 2300, voltage: 230 });
    expect(p.info.model).toBe('Shelly 3EM');
    expect(await p.read()).toMatchObject({ power: 2300, current_l1: 10, voltage: 230 });
  });

  it('publishes the catalog keys power, energy, current and voltage', () => {
    expect([...shellyEmType.provides(meterCfg(80))].sort()).toEqual(
      ['current_l1', 'energy_export', 'energy_import', 'power', 'voltage'].sort(),
    );
  });

  it('leaves `at` to the receipt time while the device clock is not set', async () => {
    const sim = new ShellyGen1Simulator({ time: 0 });
    const p = await setup(sim);
    expect((await p.read()).at).toBeUndefined();
  });

  it('refuses a channel the device does not have, saying how many it has', async () => {
    await expect(setup(new ShellyGen1Simulator(), { channel: 2 })).rejects.toThrow(
      /^shelly-em at 127\.0\.0\.1:\d+: channel 2 does not exist: the device has 2 emeters \(channel 0–1\)$/,
    );
  });

  it('refuses a Gen2 device and names the right type', async () => {
    const gen2 = new ShellyGen2Simulator();
    sims.push(gen2);
    await gen2.start();
    await expect(shellyEmType.create!({ cfg: meterCfg(gen2.port), log, clock: realClock })).rejects.toThrow(
      'this is a Gen2 Shelly (JSON-RPC): use type shelly-gen2',
    );
  });

  it('reads with the right basic-auth credentials', async () => {
    const sim = new ShellyGen1Simulator({ user: 'admin', password: 'pa55word' });
    const p = await setup(sim, { user: 'admin', password: 'pa55word' });
    sim.setChannel(0, { power: 500 });
    expect((await p.read()).power).toBe(500);
  });

  it('says to check user and password when they are wrong or missing, never showing the password', async () => {
    const sim = new ShellyGen1Simulator({ user: 'admin', password: 'pa55word' });
    const err = await setup(sim, { user: 'admin', password: 'wrong-Secret' }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^shelly-em at 127\.0\.0\.1:\d+: GET \/status: HTTP 401: "401 Unauthorized" \(check user and password in the configuration\)$/,
    );
    expect((err as Error).message).not.toContain('wrong-Secret');
    await expect(shellyEmType.create!({ cfg: meterCfg(sim.port), log, clock: realClock })).rejects.toThrow(
      'HTTP 401',
    );
  });

  it('turns broken replies into errors and reads again once the device recovers', async () => {
    const sim = new ShellyGen1Simulator();
    const p = await setup(sim);
    sim.setChannel(0, { power: 100, valid: false });
    await expect(p.read()).rejects.toThrow('emeters[0] reports is_valid false');
    sim.setChannel(0, { valid: true });
    sim.statusReply = 'http-500';
    await expect(p.read()).rejects.toThrow('GET /status: HTTP 500: "Internal Server Error"');
    sim.statusReply = 'not-json';
    await expect(p.read()).rejects.toThrow('GET /status: expected a JSON object, got "<html><body>busy');
    sim.statusReply = 'no-emeters';
    await expect(p.read()).rejects.toThrow('/status has no emeters[]');
    sim.statusReply = null;
    expect((await p.read()).power).toBe(100);
  });

  it('gives up on a hung device after 3 s on the bridge clock', async () => {
    const clock = new ManualClock();
    const sim = new ShellyGen1Simulator();
    const p = await setup(sim, {}, clock);
    sim.hang = true;
    let settled = false;
    const read = p.read().finally(() => {
      settled = true;
    });
    read.catch(() => {});
    await clock.advance(2900);
    expect(settled).toBe(false);
    await clock.advance(100);
    await expect(read).rejects.toThrow('GET /status: no answer within 3 s');
  });

  it('reports a device that is gone as a connection error', async () => {
    const sim = new ShellyGen1Simulator();
    const p = await setup(sim);
    await sim.stop();
    await expect(p.read()).rejects.toThrow(/^GET \/status: connection (refused|reset)/);
    await expect(p.read()).rejects.toThrow(
      'GET /status: connection refused (is the device on and the host/port right?)',
    );
  });
});
