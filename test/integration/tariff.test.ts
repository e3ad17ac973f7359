/** The tariff end to end: `tariff_price` on `<base>/site` from zones and from the price topic, HA discovery and Homie. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { plainControl } from '../../src/core/control.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Recorder } from '../helpers/recorder.js';

type Site = { tariff_price?: number; meters: Record<string, unknown> };

const HOUR = 3_600_000;
const TARIFF = {
  currency: 'EUR',
  zones: [
    { from: '02:00', to: '05:00', price: 0.15 },
    { from: '16:00', to: '19:00', price: 0.38 },
  ],
  default_price: 0.25,
  topic: 'energy/prices',
};
const CONFIG = { site: { timezone: 'Europe/Paris' }, tariff: TARIFF };

describe('tariff price on the site', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('follows the zones at their local boundaries as fake time passes, with no meter configured', async () => {
    // 15:59:50 local: ten seconds before the 16:00 zone
    h = await startHarness({
      config: CONFIG,
      clock: new ManualClock(Date.parse('2026-06-01T15:59:00+02:00')),
      // ten hours of fake time: without chargers the engine's cycles only slow the fake clock down
      control: plainControl,
    });
    const first = await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price !== undefined);
    expect(first).toEqual({ tariff_price: 0.25, meters: {} });
    const msUntil = (iso: string) => Date.parse(iso) - h!.clock.now();
    let since = h.rec.mark();
    await h.clock.advance(msUntil('2026-06-01T16:00:00+02:00') - 1000);
    expect(h.rec.on('evse2mqtt/site', since)).toHaveLength(0);
    await h.clock.advance(1000);
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.38, { since });
    since = h.rec.mark();
    await h.clock.advance(msUntil('2026-06-01T19:00:00+02:00'));
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.25, { since });
    // the night zone, two hours after local midnight
    since = h.rec.mark();
    await h.clock.advance(msUntil('2026-06-02T02:00:00+02:00'));
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.15, { since });
    expect(h.bridge.tariff?.priceAt(h.clock.now())).toBe(0.15);
  });

  it('switches to the topic prices while they cover now and back to the zones when they expire; garbage changes nothing', async () => {
    h = await startHarness({
      config: CONFIG,
      clock: new ManualClock(Date.parse('2026-06-01T12:00:00+02:00')),
      control: plainControl,
    });
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.25);
    let replans = 0;
    h.bridge.tariff!.onChange(() => replans++);
    let since = h.rec.mark();
    await h.rec.publish(
      'energy/prices',
      JSON.stringify([
        { start: '2026-06-01T11:00:00Z', end: '2026-06-01T12:00:00Z', price: 0.07 },
        { start: '2026-06-01T12:00:00+02:00', end: '2026-06-01T13:00:00+02:00', price: 0.05 },
      ]),
    );
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.05, { since });
    expect(replans).toBe(1);
    expect(h.bridge.tariff!.hasTopicPrices(h.clock.now())).toBe(true);
    expect(h.logs.find('tariff prices from energy/prices in use (2 entries)')).toHaveLength(1);

    // garbage on the topic: one warning, on MQTT too; the list and the price stay
    since = h.rec.mark();
    await h.rec.publish('energy/prices', '{"price": "cheap"}');
    const warning = await h.rec.waitJson('evse2mqtt/bridge/logging', () => true, { since });
    expect(warning).toEqual({
      level: 'warn',
      message:
        'ignored the price list on energy/prices: not a JSON array (expected [{"start","end","price"}, …]): "{\\"price\\": \\"cheap\\"}"; keeping the previous list',
    });
    expect(h.logs.find('ignored the price list on energy/prices')).toHaveLength(1);
    expect(h.rec.on('evse2mqtt/site', since)).toHaveLength(0);
    expect(h.bridge.tariff!.topicPrices()).toHaveLength(2);

    since = h.rec.mark();
    await h.clock.advance(HOUR);
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.07, { since });
    since = h.rec.mark();
    await h.clock.advance(HOUR); // 14:00 local: the list has run out
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.25, { since });
    expect(h.bridge.tariff!.hasTopicPrices(h.clock.now())).toBe(false);
    expect(replans).toBe(2);
    expect(h.rec.json<Site>('evse2mqtt/site').tariff_price).toBe(0.25);
  });

  it('uses a retained price list found at start', async () => {
    h = await startHarness({
      config: CONFIG,
      clock: new ManualClock(Date.parse('2026-06-01T12:00:00+02:00')),
      control: plainControl,
    });
    await h.rec.publish(
      'energy/prices',
      JSON.stringify([{ start: '2026-06-01T00:00:00+02:00', end: '2026-06-02T00:00:00+02:00', value: 0.11 }]),
      { retain: true },
    );
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.11);
    await h.stop({ keepBroker: true });
    const url = h.url;
    const broker = h.broker;
    h = await startHarness({
      brokerUrl: url,
      config: CONFIG,
      clock: new ManualClock(Date.parse('2026-06-01T17:00:00+02:00')),
    });
    await h.rec.waitJson<Site>('evse2mqtt/site', (s) => s.tariff_price === 0.11);
    await h.rec.publish('energy/prices', '', { retain: true });
    await h.stop();
    h = undefined;
    await broker?.close();
  });

  it('announces the price in HA discovery and Homie only when a tariff is configured', async () => {
    h = await startHarness({ config: CONFIG });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-site/$state' && m.payload === 'ready');
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    const config = retained.find(
      (m) => m.topic === 'homeassistant/sensor/evse2mqtt_site/tariff_price/config',
    );
    expect(JSON.parse(config!.payload)).toMatchObject({
      unique_id: 'evse2mqtt_site_tariff_price',
      default_entity_id: 'sensor.site_tariff_price',
      name: 'Tariff price',
      state_topic: 'evse2mqtt/site',
      value_template: '{{ value_json.tariff_price }}',
      unit_of_measurement: 'EUR/kWh',
      state_class: 'measurement',
      device: { identifiers: ['evse2mqtt_site'] },
    });
    expect(JSON.parse(config!.payload).device_class).toBeUndefined();
    const live = h.rec.messages
      .filter((m) => m.topic.startsWith('evse2mqtt/'))
      .map((m) => ({ ...m, retain: false }));
    expect(checkHaDiscovery([...retained, ...live].map((m, i) => ({ ...m, i })))).toEqual([]);
    const homie = (t: string) => h!.rec.last(`homie/evse2mqtt-site/site/${t}`)?.payload;
    expect(homie('tariff-price/$datatype')).toBe('float');
    expect(homie('tariff-price/$unit')).toBe('EUR/kWh');
    expect(homie('tariff-price')).toBe('0.25');
    expect(
      checkHomieDevice(
        h.rec.messages.map((m) => ({ ...m, retain: true })),
        'evse2mqtt-site',
      ),
    ).toEqual([]);
    await h.stop();

    h = await startHarness({
      meters: [{ id: 'grid', role: 'grid', type: 'mqtt', topic: 'meter/grid', max_age: 30 }],
    });
    await h.rec.publish('meter/grid', '100');
    const site = await h.rec.waitJson<Site>('evse2mqtt/site', () => true);
    expect(site).not.toHaveProperty('tariff_price');
    const topics = (await Recorder.retained(h.url, ['homeassistant/#'])).map((m) => m.topic);
    expect(topics).toContain('homeassistant/sensor/evse2mqtt_site/grid_power/config');
    expect(topics.some((t) => t.includes('tariff_price'))).toBe(false);
    // absent once the site's Homie device has announced everything it has
    await h.rec.waitFor(
      (m) => m.topic === 'homie/evse2mqtt-site/$state' && (m.payload === 'ready' || m.payload === 'alert'),
    );
    expect(h.rec.on('homie/evse2mqtt-site/$nodes')).not.toHaveLength(0);
    expect(h.rec.on('homie/evse2mqtt-site/site/tariff-price/$unit')).toHaveLength(0);
  });
});
