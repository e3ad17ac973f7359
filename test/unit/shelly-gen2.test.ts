import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { MeterConfig } from '../../src/config/types.js';
import { type Clock, realClock } from '../../src/core/clock.js';
import { mapEm1, parseChannel, shellyGen2Type } from '../../src/meters/shelly/gen2.js';
import { ShellyGen1Simulator } from '../../src/meters/shelly/sim-gen1.js';
import { type ShellyGen2SimOptions, ShellyGen2Simulator } from '../../src/meters/shelly/sim-gen2.js';
import type { MeterPoller } from '../../src/meters/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/shelly-pro-em', import.meta.url));
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, Record<string, unknown>>;

const meterCfg = (port: number, extra: Partial<MeterConfig> = {}): MeterConfig => ({
  id: 'grid',
  name: 'Grid',
  role: 'grid',
  type: 'shelly-gen2',
  scale: 1,
  max_age: 30,
  host: '127.0.0.1',
  port,
  channel: 'em1:0',
  poll_interval: 2,
  ...extra,
});

describe('Shelly Pro EM fixtures (real RPC replies) through the mapping', () => {
  it('maps EM1.GetStatus + EM1Data.GetStatus: exporting 332.2 W, Wh counters in kWh', () => {
    expect(mapEm1(fixture('em1.getstatus.id0.json'), fixture('em1data.getstatus.id0.json'))).toEqual({
      power: -332.2,
      energy_import: 1.26415,
      energy_export: 144.79228,
      current_l1: 1.473,
      voltage: 226.9,
    });
  });

  it('maps the components of a Pro EM-50 and a monophase Pro 3EM Shelly.GetStatus', () => {
    const pro = fixture('shelly.getstatus.pro-em-50.fw-1.5.json');
    expect(mapEm1(pro['em1:1'], pro['em1data:1'])).toEqual({
      power: -38.5,
      energy_import: 48.00283,
      energy_export: 33.24159,
      current_l1: 0.428,
      voltage: 227,
    });
    const mono = fixture('shelly.getstatus.pro-3em-monophase.json');
    expect(mapEm1(mono['em1:0'], mono['em1data:0'])).toMatchObject({ power: 598.9, energy_import: 3.45824 });
  });

  it('the simulator sends the same component keys as the real Pro EM', () => {
    const pro = fixture('shelly.getstatus.pro-em-50.fw-1.5.json');
    const sim = new ShellyGen2Simulator().components();
    for (const key of ['em1:0', 'em1data:0', 'em1:1', 'em1data:1']) {
      expect(Object.keys(sim[key]!).sort()).toEqual(Object.keys(pro[key]!).sort());
    }
  });

  it('parses the channel forms', () => {
    expect(parseChannel(1)).toEqual({ kind: 'em1', id: 1 });
    expect(parseChannel('1')).toEqual({ kind: 'em1', id: 1 });
    expect(parseChannel('em1:1')).toEqual({ kind: 'em1', id: 1 });
    expect(parseChannel('em:0')).toEqual({ kind: 'em', id: 0 });
    expect(() => parseChannel('switch:0')).toThrow('channel must be em1:<n> or em:0, got "switch:0"');
  });

  it('publishes three phase currents for em:0 only', () => {
    expect([...shellyGen2Type.provides(meterCfg(80))].sort()).toEqual(
      ['current_l1', 'energy_export', 'energy_import', 'power', 'voltage'].sort(),
    );
    expect(shellyGen2Type.provides(meterCfg(80, { channel: 'em:0' }))).toEqual(
      new Set([
        'power',
        'energy_import',
        'energy_export',
        'current_l1',
        'current_l2',
        'current_l3',
        'voltage',
      ]),
    );
  });
});

describe('Shelly Pro EM / Pro 3EM (Gen2) driver against the simulator', () => {
  const log = pino({ level: 'silent' });
  let sims: Array<{ stop(): Promise<void> }> = [];
  let pollers: MeterPoller[] = [];

  async function start(opts: ShellyGen2SimOptions = {}): Promise<ShellyGen2Simulator> {
    const sim = new ShellyGen2Simulator(opts);
    sims.push(sim);
    await sim.start();
    return sim;
  }

  async function create(port: number, extra: Partial<MeterConfig> = {}, clock: Clock = realClock) {
    const p = await shellyGen2Type.create!({ cfg: meterCfg(port, extra), log, clock });
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
    const sim = await start();
    expect((await create(sim.port)).info).toEqual({
      manufacturer: 'Shelly',
      model: 'Shelly Pro EM',
      sw_version: '1.5.0',
      serial: 'AABBCCDDEEFF',
    });
  });

  it('reads a Pro EM channel (numeric channel = em1:<n>): W signed, V, A, kWh', async () => {
    const sim = await start();
    const p = await create(sim.port, { channel: 1 });
    sim.setChannel(1, {
      power: -332.2,
      voltage: 226.9,
      current: 1.473,
      importWh: 1264.15,
      exportWh: 144792.28,
    });
    expect(await p.read()).toEqual({
      power: -332.2,
      energy_import: 1.26415,
      energy_export: 144.79228,
      current_l1: 1.473,
      voltage: 226.9,
    });
    expect(sim.requests.map((r) => r.path).slice(-2)).toEqual([
      '/rpc/EM1.GetStatus?id=1',
      '/rpc/EM1Data.GetStatus?id=1',
    ]);
  });

  it('reads a Pro 3EM (em:0): total power, three phase currents, summed counters', async () => {
    const sim = await start({ profile: 'pro-3em' });
    const p = await create(sim.port, { channel: 'em:0' });
    sim.setChannel(0, { power: 2300, voltage: 230 });
    sim.setChannel(1, { power: 1150, voltage: 230 });
    sim.setChannel(2, { power: -3450, voltage: 230 });
    sim.tick(60 * 60_000);
    expect(p.info.model).toBe('Shelly Pro 3EM');
    expect(await p.read()).toEqual({
      power: 0,
      energy_import: 3.45,
      energy_export: 3.45,
      current_l1: 10,
      current_l2: 5,
      current_l3: 15,
      voltage: 230,
    });
  });

  it('counts import and export energy as power flows over simulated time', async () => {
    const sim = await start();
    const p = await create(sim.port);
    sim.setChannel(0, { power: 4000 });
    sim.tick(15 * 60_000);
    sim.setChannel(0, { power: -500 });
    sim.tick(2 * 60 * 60_000);
    expect(await p.read()).toMatchObject({ power: -500, energy_import: 1, energy_export: 1 });
  });

  it('names the RPC method when the device has no such component (404 no handler)', async () => {
    const sim = await start({ profile: 'pro-em' });
    const real = fixture('rpc-error.no-handler-404.json');
    const reply = await fetch(`http://127.0.0.1:${sim.port}/rpc/EM.GetStatus?id=0`);
    const body = (await reply.json()) as Record<string, unknown>;
    expect(reply.status).toBe(404);
    expect(Object.keys(body)).toEqual(Object.keys(real));
    await expect(create(sim.port, { channel: 'em:0' })).rejects.toThrow(
      /^shelly-gen2 at 127\.0\.0\.1:\d+: EM\.GetStatus failed for em:0: No handler for EM\.GetStatus \(RPC error 404, HTTP 404\); check channel: .*em1:<n>/,
    );
  });

  it('refuses a channel id the device does not have', async () => {
    const sim = await start({ profile: 'pro-3em-monophase' });
    await create(sim.port, { channel: 'em1:2' });
    await expect(create(sim.port, { channel: 'em1:3' })).rejects.toThrow(
      "EM1.GetStatus failed for em1:3: Argument 'id', value 3 not found! (RPC error -105, HTTP 500); check channel",
    );
  });

  it('refuses a Gen1 device and names the right type', async () => {
    const gen1 = new ShellyGen1Simulator();
    sims.push(gen1);
    await gen1.start();
    await expect(create(gen1.port)).rejects.toThrow('this is a Gen1 Shelly (type SHEM): use type shelly-em');
  });

  it('reads through digest auth with the right password', async () => {
    const sim = await start({ password: 'Pr0-secret' });
    const p = await create(sim.port, { password: 'Pr0-secret' });
    sim.setChannel(0, { power: 1234.5 });
    expect((await p.read()).power).toBe(1234.5);
    expect(sim.requests.at(-1)?.authorization).toMatch(/^Digest username="admin", .*algorithm=SHA-256/);
  });

  it('says the password is wrong without showing it, and that one is needed when missing', async () => {
    const sim = await start({ password: 'Pr0-secret' });
    const err = (await create(sim.port, { password: 'not-It-42' }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /^shelly-gen2 at 127\.0\.0\.1:\d+: EM1\.GetStatus: HTTP 401, the device refused user\/password \(check user and password in the configuration\)$/,
    );
    expect(err.message).not.toContain('not-It-42');
    await expect(create(sim.port)).rejects.toThrow(
      'EM1.GetStatus: HTTP 401, the device has authentication on (set password in the configuration; the user is admin)',
    );
  });

  it('turns broken replies and channel errors into errors and reads again after', async () => {
    const sim = await start();
    const p = await create(sim.port);
    sim.rpcReply = 'http-500';
    await expect(p.read()).rejects.toThrow('GET /rpc/EM1.GetStatus?id=0: HTTP 500: "Internal Server Error"');
    sim.rpcReply = 'not-json';
    await expect(p.read()).rejects.toThrow('EM1.GetStatus: expected a JSON object, got "<html>busy</html>"');
    sim.rpcReply = null;
    sim.setChannel(0, { power: 42, errors: ['power_meter_failure'] });
    await expect(p.read()).rejects.toThrow('em1:0 reports errors: power_meter_failure');
    sim.setChannel(0, { errors: [] });
    expect((await p.read()).power).toBe(42);
  });

  it('gives up on a hung device after 3 s on the bridge clock', async () => {
    const clock = new ManualClock();
    const sim = await start({ password: 'pw' });
    const p = await create(sim.port, { password: 'pw' }, clock);
    sim.hang = true;
    let settled = false;
    const read = p.read().finally(() => {
      settled = true;
    });
    read.catch(() => {});
    await clock.advance(2900);
    expect(settled).toBe(false);
    await clock.advance(100);
    await expect(read).rejects.toThrow('GET /rpc/EM1.GetStatus?id=0: no answer within 3 s');
  });
});
