import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import type { RecordedRequest } from '../../src/sim/http-sim.js';
import { openevseCharger, startHarness } from '../helpers/harness.js';
import type { ManualClock } from '../helpers/manual-clock.js';

/** Records the fake-clock times at which a simulator is read (GET /status). */
function recordReads(sim: OpenEvseSimulator, clock: ManualClock): { times: number[]; stop(): void } {
  const times: number[] = [];
  const fn = (r: RecordedRequest) => {
    if (r.method === 'GET' && r.path.startsWith('/status')) times.push(clock.now());
  };
  sim.on('request', fn);
  return { times, stop: () => sim.off('request', fn) };
}

/** Gaps between consecutive times. */
const gaps = (times: number[]) => times.slice(1).map((t, k) => t - (times[k] ?? t));

/**
 * Poll scheduling as the devices see it: each charger is read once per poll_interval, on its own
 * slot, and the bridge spreads its chargers over the interval instead of reading them all at once.
 */
describe('poll scheduling', () => {
  const sims: OpenEvseSimulator[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) {
      const sim = new OpenEvseSimulator();
      await sim.start();
      sims.push(sim);
    }
  });

  afterAll(async () => {
    for (const sim of sims) await sim.stop();
  });

  it('spreads the chargers over the poll interval and keeps each on its slot', async () => {
    const h = await startHarness({
      chargers: sims.map((s, i) => openevseCharger(s.port, { id: `c${i}`, name: `C${i}`, poll_interval: 8 })),
      record: ['evse2mqtt/+/availability'],
    });
    const reads = sims.map((sim) => recordReads(sim, h.clock));
    const from = h.clock.now();
    try {
      for (let t = 0; t < 40_000; t += 250) await h.clock.advance(250);
    } finally {
      for (const r of reads) r.stop();
      await h.stop();
    }
    // every charger is read once per 8 s, exactly on its slot
    for (const { times } of reads) {
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(times.length).toBeLessThanOrEqual(6);
      expect(gaps(times).every((g) => g === 8000)).toBe(true);
    }
    // and the four chargers take four different quarters of the interval
    const phases = reads.map(({ times }) => ((times[0] ?? from) - from) % 8000).sort((a, b) => a - b);
    const spacing = gaps([...phases, (phases[0] ?? 0) + 8000]);
    expect(spacing).toHaveLength(4);
    expect(Math.min(...spacing)).toBeGreaterThanOrEqual(1750);
  });

  it('brings every Homie device to ready when there are more devices than one start-up batch of connections', async () => {
    const ids = Array.from({ length: 45 }, (_, i) => `c${i}`);
    const many = ids.map(() => new OpenEvseSimulator());
    for (const sim of many) await sim.start();
    const h = await startHarness({
      chargers: ids.map((id, i) => openevseCharger(many[i]?.port ?? 0, { id, name: id })),
      record: ['homie/+/$state'],
    });
    try {
      for (const id of ids)
        await h.rec.waitFor((m) => m.topic === `homie/evse2mqtt-${id}/$state` && m.payload === 'ready', {
          timeoutMs: 15_000,
        });
    } finally {
      await h.stop();
      for (const sim of many) await sim.stop();
    }
  });

  it('a single charger is read every poll_interval, on the dot', async () => {
    const [sim] = sims;
    if (!sim) throw new Error('no simulator');
    const h = await startHarness({
      chargers: [openevseCharger(sim.port, { poll_interval: 5 })],
      record: ['evse2mqtt/+/availability'],
    });
    await h.rec.waitFor((m) => m.topic === 'evse2mqtt/garage/availability');
    const reads = recordReads(sim, h.clock);
    try {
      for (let t = 0; t < 20_000; t += 250) await h.clock.advance(250);
    } finally {
      reads.stop();
      await h.stop();
    }
    expect(gaps(reads.times)).toEqual([5000, 5000, 5000]);
  });
});
