import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { startBroker } from '../helpers/broker.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Recorder } from '../helpers/recorder.js';

describe('Home Assistant discovery and Homie, from the catalog', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeAll(async () => {
    sim = new OpenEvseSimulator({ maxCurrentSoft: 16 });
    await sim.start();
    sim.plugIn({ batteryLevel: 60 });
    h = await startHarness({ chargers: [openevseCharger(sim.port, { max_current: 16 })] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready', {
      what: 'Homie ready',
    });
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('publishes discovery that follows every checkable HA rule', async () => {
    const retained = await Recorder.retained(h.url, ['homeassistant/#', 'evse2mqtt/#']);
    expect(retained.filter((m) => m.topic.startsWith('homeassistant/')).length).toBeGreaterThan(15);
    // retained snapshot (rules 1–17) plus the live state stream (rules 12, 15, 16, 18)
    const live = h.rec.messages.filter((m) => m.topic.startsWith('evse2mqtt/'));
    const all = [...retained, ...live.map((m) => ({ ...m, retain: false }))].map((m, i) => ({ ...m, i }));
    expect(checkHaDiscovery(all)).toEqual([]);
  });

  it('announces only the entities an OpenEVSE has, with the contract’s ids and shapes', async () => {
    const retained = await Recorder.retained(h.url, ['homeassistant/#']);
    const topics = retained.map((m) => m.topic);
    expect(topics).toContain('homeassistant/number/evse2mqtt_garage/charge_current/config');
    expect(topics).toContain('homeassistant/switch/evse2mqtt_garage/enabled/config');
    expect(topics).toContain('homeassistant/select/evse2mqtt_garage/mode/config');
    expect(topics).toContain('homeassistant/sensor/evse2mqtt_garage/phases/config');
    expect(topics).toContain('homeassistant/binary_sensor/evse2mqtt_bridge/connection_state/config');
    expect(
      topics.some((t) => t.includes('current_l1') || t.includes('auto_charge') || t.includes('frequency')),
    ).toBe(false);
    const number = JSON.parse(retained.find((m) => m.topic.includes('/charge_current/'))!.payload);
    expect(number).toMatchObject({
      name: 'Charge current',
      unique_id: 'evse2mqtt_garage_charge_current',
      default_entity_id: 'number.garage_charge_current',
      command_topic: 'evse2mqtt/garage/set/charge_current',
      state_topic: 'evse2mqtt/garage',
      // outside the range (a device adopted above max_current) it is unknown, not refused by HA
      value_template:
        '{{ value_json.charge_current if value_json.charge_current is number and value_json.charge_current >= 6 and value_json.charge_current <= 16 else None }}',
      min: 6,
      max: 16,
      step: 1,
      mode: 'box',
      unit_of_measurement: 'A',
      device_class: 'current',
      availability_mode: 'all',
      qos: 1,
      origin: { name: 'evse2mqtt' },
      device: {
        identifiers: ['evse2mqtt_garage'],
        name: 'Garage',
        manufacturer: 'OpenEVSE',
        sw_version: 'v5.1.2 (EVSE 7.1.3)',
        via_device: 'evse2mqtt_bridge',
      },
    });
    expect(number.availability).toEqual([
      { topic: 'evse2mqtt/bridge/state', value_template: '{{ value_json.state }}' },
      { topic: 'evse2mqtt/garage/availability', value_template: '{{ value_json.state }}' },
    ]);
    expect('object_id' in number).toBe(false);
    const mode = JSON.parse(retained.find((m) => m.topic.includes('/mode/'))!.payload);
    expect(mode.options).toEqual(['manual', 'off', 'fast', 'smart']);
    const temp = JSON.parse(retained.find((m) => m.topic.includes('/temperature/'))!.payload);
    expect(temp).toMatchObject({
      unit_of_measurement: '°C',
      device_class: 'temperature',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    });
    const energy = JSON.parse(retained.find((m) => m.topic.includes('/session_energy/'))!.payload);
    expect(energy).toMatchObject({
      unit_of_measurement: 'kWh',
      device_class: 'energy',
      state_class: 'total_increasing',
    });
  });

  it('publishes a Homie 4 tree that follows every checkable Homie rule', async () => {
    const errors = checkHomieDevice(
      h.rec.messages.map((m) => ({ ...m, retain: true })),
      'evse2mqtt-garage',
    );
    expect(errors).toEqual([]);
    const retained = await Recorder.retained(h.url, ['homie/evse2mqtt-garage/#']);
    const get = (t: string) => retained.find((m) => m.topic === `homie/evse2mqtt-garage/${t}`)?.payload;
    expect(get('$homie')).toBe('4.0.0');
    expect(get('$state')).toBe('ready');
    expect(get('charger/charge-current/$datatype')).toBe('integer');
    expect(get('charger/charge-current/$format')).toBe('6:16');
    expect(get('charger/charge-current/$settable')).toBe('true');
    expect(get('charger/charge-current/$unit')).toBe('A');
    expect(get('charger/voltage/$datatype')).toBe('float');
    expect(get('charger/voltage/$format')).toBeUndefined();
    expect(get('charger/mode/$format')).toBe('manual,off,fast,smart');
    expect(get('charger/vehicle-connected')).toBe('true');
    expect(get('charger/state-of-charge')).toBe('60');
    // null and "none" strings: the property is declared, its value is absent (zero-length retained)
    expect(get('charger/error/$datatype')).toBe('string');
    expect(get('charger/error')).toBeUndefined();
    const errorMsgs = h.rec.on('homie/evse2mqtt-garage/charger/error');
    expect(errorMsgs.at(-1)?.payload).toBe('');
    checkHomieDevice(retained, 'evse2mqtt-garage');
  });

  it('takes Homie /set through the same command rules', async () => {
    const since = h.rec.mark();
    await h.rec.publish('homie/evse2mqtt-garage/charger/charge-current/set', '12');
    await h.rec.waitFor(
      (m) => m.topic === 'homie/evse2mqtt-garage/charger/charge-current' && m.payload === '12',
      { since },
    );
    expect(sim.pilot()).toBe(12);
    const bad = h.rec.mark();
    await h.rec.publish('homie/evse2mqtt-garage/charger/charge-current/set', '40');
    const r = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since: bad });
    expect(r).toEqual({ status: 'error', error: 'charge_current: 40 is out of range; allowed 6 to 16 A' });
    expect(sim.pilot()).toBe(12);
    expect(h.rec.on('homie/evse2mqtt-garage/charger/charge-current', bad)).toHaveLength(0);
  });

  it('republishes discovery, availability and states on Home Assistant’s birth message', async () => {
    const since = h.rec.mark();
    await h.rec.publish('homeassistant/status', 'online');
    await h.rec.waitFor((m) => m.topic === 'homeassistant/number/evse2mqtt_garage/charge_current/config', {
      since,
    });
    await h.rec.waitFor((m) => m.topic === 'evse2mqtt/garage/availability', { since });
    await h.rec.waitFor((m) => m.topic === 'evse2mqtt/garage', { since });
    await h.rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state', { since });
  });
});

describe('bridge topics', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;

  beforeAll(async () => {
    sim = new OpenEvseSimulator({ user: 'admin', password: 'unit-secret-123' });
    await sim.start();
    h = await startHarness({
      chargers: [openevseCharger(sim.port, { user: 'admin', password: 'unit-secret-123' })],
    });
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('publishes bridge/state, bridge/info and bridge/devices retained, without secrets', async () => {
    const retained = await Recorder.retained(h.url, ['evse2mqtt/bridge/#']);
    const get = (t: string) => JSON.parse(retained.find((m) => m.topic === `evse2mqtt/bridge/${t}`)!.payload);
    expect(get('state')).toEqual({ state: 'online' });
    const info = get('info');
    expect(info).toMatchObject({ version: expect.any(String), mqtt_version: '3.1.1' });
    expect(info.chargers).toEqual([
      expect.objectContaining({
        id: 'garage',
        name: 'Garage',
        type: 'openevse',
        watchdog: false,
        capabilities: expect.arrayContaining(['charge_current:rw']),
      }),
    ]);
    expect(info.config.chargers[0].user).toBe('admin');
    expect(JSON.stringify(info)).not.toContain('unit-secret-123');
    expect(get('devices')).toEqual([
      expect.objectContaining({ id: 'garage', kind: 'charger', type: 'openevse' }),
    ]);
    // basic auth really reached the device, and the secret never reached the logs
    expect(sim.requests.at(-1)!.authorization).toMatch(/^Basic /);
    expect(h.logs.text()).not.toContain('unit-secret-123');
    const everything = h.rec.messages.map((m) => m.payload).join('\n');
    expect(everything).not.toContain('unit-secret-123');
  });

  it('answers bridge/request/health_check and echoes the transaction', async () => {
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/bridge/request/health_check', '{"transaction": 42}');
    const r = await h.rec.waitJson('evse2mqtt/bridge/response/health_check', () => true, { since });
    expect(r).toEqual({ status: 'ok', data: { healthy: true }, transaction: 42 });
  });

  it('refreshes a charger on bridge/request/charger/refresh and says which ids exist', async () => {
    const before = sim.requestsTo('GET', '/status').length;
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/bridge/request/charger/refresh', '{"id": "garage", "transaction": "r1"}');
    const ok = await h.rec.waitJson('evse2mqtt/bridge/response/charger/refresh', () => true, { since });
    expect(ok).toEqual({ status: 'ok', data: { id: 'garage' }, transaction: 'r1' });
    expect(sim.requestsTo('GET', '/status').length).toBeGreaterThan(before);
    const bad = h.rec.mark();
    await h.rec.publish('evse2mqtt/bridge/request/charger/refresh', '{"id": "nope"}');
    const err = await h.rec.waitJson('evse2mqtt/bridge/response/charger/refresh', () => true, { since: bad });
    expect(err).toMatchObject({
      status: 'error',
      data: {},
      error: expect.stringContaining('unknown charger "nope"'),
    });
  });
});

describe('retained commands', () => {
  it('ignores a retained command replayed at start-up, and says so once on bridge/logging', async () => {
    const sim = new OpenEvseSimulator();
    await sim.start();
    const broker = await startBroker();
    const pub = await Recorder.connect(broker.url, []);
    await pub.publish('evse2mqtt/garage/set/charge_current', '8', { retain: true });
    await pub.publish('evse2mqtt/garage/set', '{"enabled": false}', { retain: true });
    const h = await startHarness({ brokerUrl: broker.url, chargers: [openevseCharger(sim.port)] });
    await h.clock.advance(5000);
    const warnings = h.rec.messages
      .filter((m) => m.topic === 'evse2mqtt/bridge/logging')
      .map((m) => JSON.parse(m.payload) as { level: string; message: string });
    expect(
      warnings.filter((w) => w.message.includes('retained command on evse2mqtt/garage/set/charge_current')),
    ).toHaveLength(1);
    expect(
      warnings.filter((w) => w.message.includes('retained command on evse2mqtt/garage/set ')),
    ).toHaveLength(1);
    expect(warnings[0]!.level).toBe('warn');
    expect(sim.requestsTo('POST', '/claims')).toHaveLength(0);
    expect(h.rec.on('evse2mqtt/garage/response')).toHaveLength(0);
    await pub.publish('evse2mqtt/garage/set/charge_current', '', { retain: true });
    await pub.publish('evse2mqtt/garage/set', '', { retain: true });
    await pub.close();
    await h.stop();
    await broker.close();
    await sim.stop();
  });
});

describe('start-up clean-up of retained topics', () => {
  let a: OpenEvseSimulator;
  let b: OpenEvseSimulator;
  let h: Harness | undefined;

  beforeAll(async () => {
    a = new OpenEvseSimulator();
    b = new OpenEvseSimulator();
    await a.start();
    await b.start();
  });

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  it('clears a removed charger’s state, availability, discovery and Homie tree, and only its own', async () => {
    const first = await startHarness({
      chargers: [openevseCharger(a.port, { id: 'keep' }), openevseCharger(b.port, { id: 'gone' })],
    });
    await first.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-gone/$state' && m.payload === 'ready');
    await first.stop({ keepBroker: true });
    // a second bridge with another base topic must never be touched
    const other = await startHarness({
      brokerUrl: first.url,
      mqtt: { base_topic: 'garage2' },
      chargers: [openevseCharger(b.port, { id: 'gone' })],
    });
    await other.rec.waitFor((m) => m.topic === 'homie/garage2-gone/$state' && m.payload === 'ready');
    await other.stop({ keepBroker: true });

    h = await startHarness({ brokerUrl: first.url, chargers: [openevseCharger(a.port, { id: 'keep' })] });
    // the Homie clean-up window (1 s of bridge time), in steps so that the broker's retained
    // messages reach the collecting subscription in real time even on a loaded machine
    for (let i = 0; i < 20; i++) await h.clock.advance(100, 30);
    const retained = await Recorder.retained(first.url, ['#']);
    const topics = retained.map((m) => m.topic);
    expect(
      topics.filter(
        (t) =>
          t.includes('evse2mqtt/gone') || t.includes('evse2mqtt_gone') || t.includes('homie/evse2mqtt-gone'),
      ),
    ).toEqual([]);
    expect(topics).toContain('evse2mqtt/keep');
    expect(topics).toContain('homeassistant/number/evse2mqtt_keep/charge_current/config');
    expect(topics).toContain('homie/evse2mqtt-keep/$homie');
    // the other bridge's topics are still there
    expect(topics).toContain('garage2/gone');
    expect(topics).toContain('homeassistant/number/garage2_gone/charge_current/config');
    expect(topics).toContain('homie/garage2-gone/$homie');
    await first.broker?.close();
  });

  it('clears discovery and Homie when those integrations are switched off', async () => {
    const first = await startHarness({ chargers: [openevseCharger(a.port)] });
    await first.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    await first.stop({ keepBroker: true });
    h = await startHarness({
      brokerUrl: first.url,
      chargers: [openevseCharger(a.port)],
      config: { homeassistant: { enabled: false }, homie: { enabled: false } },
    });
    await h.clock.advance(2000);
    const topics = (await Recorder.retained(first.url, ['#'])).map((m) => m.topic);
    expect(topics.filter((t) => t.startsWith('homeassistant/') || t.startsWith('homie/'))).toEqual([]);
    expect(topics).toContain('evse2mqtt/garage');
    await h.stop();
    h = undefined;
    await first.broker?.close();
  });
});

describe('discovery at start-up', () => {
  it('sends each config once when the charger answers first during the retained read', async () => {
    // the charger is off at start and answers ~1 s later: its info (and so its discovery) arrives
    // while the bridge still reads the broker's retained topics
    const sim = new OpenEvseSimulator();
    const port = await sim.start();
    await sim.stop();
    const clock = new ManualClock();
    clock.setTimeout(() => void sim.start(), 500);
    const h = await startHarness({ clock, chargers: [openevseCharger(port, { poll_interval: 1 })] });
    try {
      await h.rec.waitFor((m) => m.topic === 'homeassistant/number/evse2mqtt_garage/charge_current/config');
      await h.clock.advance(2000);
      const configs = h.rec.messages.filter(
        (m) =>
          m.topic.startsWith('homeassistant/') && m.topic.includes('evse2mqtt_garage') && m.payload !== '',
      );
      expect(configs.length).toBeGreaterThan(15);
      const counts = new Map<string, number>();
      for (const m of configs) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
      expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    } finally {
      await h.stop();
      await sim.stop();
    }
  });
});
