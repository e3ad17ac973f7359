import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ChargerRuntime } from '../../src/core/charger-runtime.js';
import { plainControl } from '../../src/core/control.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

// People's and the engine's commands to one charger through the one queue (README, "Hostile
// input"): the engine's are made by ChargerRuntime.applyTargets, as the engine makes them.

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SUPERSEDED = { status: 'error', error: 'superseded by a newer command' };

describe('the command queue of a charger', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;
  let c: ChargerRuntime;

  beforeEach(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 32 });
    await sim.start();
    h = await startHarness({ chargers: [openevseCharger(sim.port)], control: plainControl });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    c = h.bridge.charger('garage')!;
  });

  afterEach(async () => {
    sim.hang = false;
    await h.stop();
    await sim.stop();
  });

  const posts = () =>
    sim.requestsTo('POST', '/claims').map((r) => (r.json as { charge_current: number }).charge_current);

  /** Starts a write the device never answers (it times out after 3 s of the bridge clock). */
  const hungWrite = async () => {
    sim.hang = true;
    const before = posts().length;
    const first = c.set({ charge_current: 10 }, { source: 'mqtt', rawTopic: false });
    for (let i = 0; i < 50 && posts().length === before; i++) await pause(10);
    sim.hang = false;
    return { first }; // wrapped: an async function returning a promise would wait for it
  };

  it('drops an engine command still waiting when a person’s command is written before it', async () => {
    const { first } = await hungWrite();
    const person = c.set({ charge_current: 12 }, { source: 'mqtt', rawTopic: false });
    const engine = c.applyTargets({ enabled: true, charge_current: 16, extra: {} });
    await h.clock.advance(3_000);
    expect((await first).status).toBe('error');
    expect(await person).toMatchObject({ status: 'ok', data: { charge_current: 12 } });
    expect(await engine).toEqual(SUPERSEDED);
    expect(posts().slice(-2)).toEqual([10, 12]);
    expect(sim.pilot()).toBe(12);
  });

  it('keeps one engine command waiting: a newer one replaces it, and a person’s command queued after it still wins', async () => {
    const { first } = await hungWrite();
    const older = c.applyTargets({ enabled: true, charge_current: 14, extra: {} });
    const newer = c.applyTargets({ enabled: true, charge_current: 16, extra: {} });
    const person = c.set({ charge_current: 8 }, { source: 'mqtt', rawTopic: false });
    expect(await older).toEqual(SUPERSEDED);
    await h.clock.advance(3_000);
    await first;
    expect(await newer).toMatchObject({ status: 'ok', data: { charge_current: 16 } });
    expect(await person).toMatchObject({ status: 'ok', data: { charge_current: 8 } });
    expect(posts().slice(-3)).toEqual([10, 16, 8]);
    expect(sim.pilot()).toBe(8);
  });
});
