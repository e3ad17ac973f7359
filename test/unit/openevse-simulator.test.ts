import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { CLIENT } from '../../src/drivers/openevse/wire.js';

// The simulator's claim arbitration over real HTTP, as the bridge and the demo see it
// (the driver's README, Protocol notes).
describe('the OpenEVSE simulator’s claims', () => {
  let sim: OpenEvseSimulator;
  let base: string;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const status = async () => (await call('GET', '/status')).json;

  beforeEach(async () => {
    sim = new OpenEvseSimulator();
    base = `http://127.0.0.1:${await sim.start()}`;
  });
  afterEach(() => sim.stop());

  it('takes the pilot from the highest-priority claim and counts claims_version', async () => {
    const v0 = (await status()).claims_version as number;
    expect((await call('POST', '/claims/20', { state: 'active', charge_current: 10 })).status).toBe(200);
    expect((await status()).claims_version).toBe(v0 + 1);
    expect((await status()).pilot).toBe(10);
    const target = (await call('GET', '/claims/target')).json;
    expect(target).toMatchObject({
      properties: { state: 'active', charge_current: 10 },
      claims: { charge_current: 20 },
    });
    // the person's override (priority 1000) wins over the API claim (500)
    expect((await call('POST', '/override', { state: 'disabled', charge_current: 8 })).status).toBe(201);
    const s = await status();
    expect(s).toMatchObject({ state: 254, pilot: 8, manual_override: 1 });
    expect(s.override_version).toBeGreaterThan(1);
    expect((await call('DELETE', '/override')).status).toBe(200);
    expect((await status()).pilot).toBe(10);
    expect((await call('DELETE', '/claims/20')).status).toBe(200);
    expect((await call('DELETE', '/claims/20')).status).toBe(404);
  });

  it('toggles the override with PATCH, refuses an eleventh client and a PUT on /claims', async () => {
    expect((await call('PATCH', '/override')).status).toBe(200);
    expect(sim.claim(CLIENT.manual)?.state).toBe('disabled');
    expect((await call('PATCH', '/override')).status).toBe(200);
    expect(sim.claim(CLIENT.manual)).toBeUndefined();
    for (let c = 1; c <= 10; c++)
      expect((await call('POST', `/claims/${c}`, { max_current: 16 })).status).toBe(200);
    expect((await call('POST', '/claims/11', { max_current: 16 })).status).toBe(400);
    expect((await call('POST', '/claims/3', { max_current: 12 })).status).toBe(200);
    expect((await call('GET', '/claims')).json).toHaveLength(10);
    expect((await call('PUT', '/claims')).status).toBe(405);
  });

  it('releases auto_release claims when the vehicle leaves, and keeps the others', async () => {
    sim.plugIn();
    await call('POST', '/claims/20', { state: 'active', charge_current: 12 });
    await call('POST', '/claims/21', { max_current: 14, auto_release: false });
    sim.unplug();
    expect(sim.claimClients()).toEqual([21]);
  });
});
