import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SimCar } from '../../src/drivers/ocpp/sim-car.js';
import { MOSQUITTO, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { startOcpp } from '../helpers/ocpp.js';

// An OCPP charger end to end through a real Mosquitto (MQTT 5). Without the binary the test is
// reported as skipped, by name.
const suite = MOSQUITTO ? describe : describe.skip;
const title = MOSQUITTO
  ? 'an OCPP charger through Mosquitto'
  : 'an OCPP charger through Mosquitto (skipped: mosquitto is not installed)';

suite(title, () => {
  let mosq: Mosquitto;

  beforeAll(async () => {
    mosq = await startMosquitto();
  });

  afterAll(async () => {
    await mosq?.stop();
  });

  it('publishes the charger and takes a command that reaches it as a charging profile', async () => {
    const h = await startOcpp({ brokerUrl: mosq.url });
    try {
      const sim = await h.connect({ vendor: 'Vestel', model: 'EVC04' });
      await sim.plugIn(new SimCar(16, 3, 30));
      const since = h.rec.mark();
      await sim.tick(10);
      await h.rec.waitJson('evse2mqtt/carport', (v) => v.status === 'charging' && v.power === 11040, {
        since,
      });
      await h.rec.publish('evse2mqtt/carport/set/charge_current', '11');
      const r = await h.clock.runUntil(
        h.rec.waitJson('evse2mqtt/carport/response', () => true, { since, timeoutMs: 8000 }),
        500,
        20_000,
      );
      expect(r).toMatchObject({ status: 'ok', data: { charge_current: 11 } });
      expect(sim.limitA).toBe(11);
      expect(h.rec.json('evse2mqtt/bridge/info').mqtt_version).toBe('5');
      expect(sim.validationFailures).toEqual([]);
    } finally {
      await h.stop({ keepBroker: true });
    }
  });
});
