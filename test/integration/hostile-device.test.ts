import { afterEach, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { hugeFrame } from '../../src/sim/hostile.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';

// A charger on the LAN that answers with gigabytes or floods its push socket takes nothing down
// with it: it goes offline (or loses its socket) with a clear log line, and the rest goes on
// (README, "Hostile input").

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a hostile charger', () => {
  let good: OpenEvseSimulator;
  let evil: OpenEvseSimulator | undefined;
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    await good?.stop();
    await evil?.stop();
    h = undefined;
    evil = undefined;
  });

  it.each([
    ['announces a 600 MiB reply', 'huge' as const],
    ['sends an endless reply', 'endless' as const],
  ])(
    'that %s is offline with a clear error, the charger next to it goes on, and it comes back when it behaves',
    async (_what, mode) => {
      good = new OpenEvseSimulator();
      evil = new OpenEvseSimulator();
      await good.start();
      await evil.start();
      evil.hostile = mode;
      const rss = process.memoryUsage().rss;
      h = await startHarness({
        chargers: [
          openevseCharger(good.port),
          openevseCharger(evil.port, { id: 'carport', name: 'Carport' }),
        ],
      });
      await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
      await h.clock.advance(20_000);
      await h.rec.waitJson('evse2mqtt/carport/availability', (v) => v.state === 'offline');
      expect(h.logs.text()).toContain('reply too large');
      expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
      const since = h.rec.mark();
      await h.clock.advance(5_000);
      await h.rec.waitJson('evse2mqtt/garage', () => true, { since }); // still polled and published
      expect(h.rec.json('evse2mqtt/garage/availability')).toEqual({ state: 'online' });
      evil.hostile = undefined;
      await h.clock.advance(60_000);
      await h.rec.waitJson('evse2mqtt/carport/availability', (v) => v.state === 'online', { since });
    },
  );

  it('that floods its push socket loses the socket for a while and stays online through its polls', async () => {
    good = new OpenEvseSimulator();
    await good.start();
    h = await startHarness({ chargers: [openevseCharger(good.port)] });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    expect(good.wsClients).toBe(1);
    const since = h.rec.mark();
    good.flood(500, '{"amp":1000}');
    for (let i = 0; i < 40 && good.wsClients > 0; i++) await pause(25);
    expect(good.wsClients).toBe(0);
    expect(h.logs.find('more frames per second than a device does')).toHaveLength(1);
    await h.clock.advance(2_000); // first flood: the reconnect waits two base delays
    for (let i = 0; i < 40 && good.wsClients === 0; i++) await pause(25);
    expect(good.wsClients).toBe(1);
    good.flood(1, hugeFrame(300 * 1024));
    for (let i = 0; i < 40 && good.wsClients > 0; i++) await pause(25);
    expect(good.wsClients).toBe(0);
    expect(h.logs.find('the device pushed a frame over 256 KiB')).toHaveLength(1);
    await h.clock.advance(10_000);
    expect(h.rec.on('evse2mqtt/garage/availability', since).map((m) => m.payload)).not.toContain(
      '{"state":"offline"}',
    );
  });

  it('that pushes many version changes gets its config and claims read twice, not once per frame', async () => {
    good = new OpenEvseSimulator();
    await good.start();
    h = await startHarness({ chargers: [openevseCharger(good.port)] });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    await pause(100);
    const configs = good.requestsTo('GET', '/config').length;
    const targets = good.requestsTo('GET', '/claims/target').length;
    for (let i = 1; i <= 40; i++)
      good.flood(1, JSON.stringify({ config_version: 1000 + i, claims_version: 1000 + i }));
    await pause(300);
    expect(good.requestsTo('GET', '/config').length - configs).toBeLessThanOrEqual(2);
    expect(good.requestsTo('GET', '/claims/target').length - targets).toBeLessThanOrEqual(2);
    expect(good.requestsTo('GET', '/config').length - configs).toBeGreaterThanOrEqual(1);
  });
});
