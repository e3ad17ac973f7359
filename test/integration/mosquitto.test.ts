import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { checkHaDiscovery } from '../helpers/ha-rules.js';
import { openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MOSQUITTO, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { Recorder } from '../helpers/recorder.js';

// The key scenarios against a real Mosquitto (MQTT 5, wills, restarts). Without the binary they are
// reported as skipped, by name, as the README promises; CI installs it (.ci/run).
const suite = MOSQUITTO ? describe : describe.skip;
const title = MOSQUITTO
  ? 'key scenarios against Mosquitto'
  : 'key scenarios against Mosquitto (skipped: mosquitto is not installed)';

suite(title, () => {
  let mosq: Mosquitto;
  let sim: OpenEvseSimulator;

  beforeAll(async () => {
    mosq = await startMosquitto();
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn();
  });

  afterAll(async () => {
    await mosq?.stop();
    await sim?.stop();
  });

  it('negotiates MQTT 5 with version auto and publishes conformant discovery and Homie', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    expect(h.rec.json('evse2mqtt/bridge/info').mqtt_version).toBe('5');
    const retained = await Recorder.retained(mosq.url, ['homeassistant/#', 'evse2mqtt/#']);
    const live = h.rec.messages
      .filter((m) => m.topic.startsWith('evse2mqtt/'))
      .map((m) => ({ ...m, retain: false }));
    expect(checkHaDiscovery([...retained, ...live].map((m, i) => ({ ...m, i })))).toEqual([]);
    expect(
      checkHomieDevice(
        h.rec.messages.map((m) => ({ ...m, retain: true })),
        'evse2mqtt-garage',
      ),
    ).toEqual([]);
    await h.stop({ keepBroker: true });
  });

  it('moves the pilot on /set and answers on the MQTT 5 response topic with the correlation data', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    const v5 = await Recorder.connect(mosq.url, ['evse2mqtt/client/replies/#'], { protocolVersion: 5 });
    await v5.publish('evse2mqtt/garage/set', '{"charge_current": 10}', {
      properties: { responseTopic: 'evse2mqtt/client/replies/1', correlationData: Buffer.from('abc-1') },
    });
    const reply = await v5.waitFor((m) => m.topic === 'evse2mqtt/client/replies/1');
    expect(JSON.parse(reply.payload)).toEqual({
      status: 'ok',
      data: { enabled: true, charge_current: 10, mode: 'manual' },
    });
    expect(Buffer.from(reply.properties?.correlationData as Uint8Array).toString()).toBe('abc-1');
    expect(sim.pilot()).toBe(10);
    await h.rec.waitJson('evse2mqtt/garage/response', (r) => r.status === 'ok');
    await v5.publish('evse2mqtt/bridge/request/health_check', '', {
      properties: { responseTopic: 'evse2mqtt/client/replies/2', correlationData: Buffer.from([7, 7]) },
    });
    const health = await v5.waitFor((m) => m.topic === 'evse2mqtt/client/replies/2');
    expect(JSON.parse(health.payload)).toEqual({ status: 'ok', data: { healthy: true } });
    expect([...((health.properties?.correlationData ?? []) as Uint8Array)]).toEqual([7, 7]);
    await v5.close();
    await h.stop({ keepBroker: true });
  });

  it('does not follow a Response Topic outside the base topic or onto its own state topics', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    const v5 = await Recorder.connect(mosq.url, ['#'], { protocolVersion: 5 });
    for (const [i, responseTopic] of [
      'elsewhere/replies',
      'evse2mqtt/bridge/state',
      'evse2mqtt/garage',
    ].entries())
      await v5.publish('evse2mqtt/bridge/request/health_check', '', {
        properties: { responseTopic, correlationData: Buffer.from(`x-${i}`) },
      });
    await v5.waitFor(
      (m) => m.topic === 'evse2mqtt/bridge/response/health_check' && v5.on(m.topic).length === 3,
    );
    await new Promise((r) => setTimeout(r, 100));
    const answers = v5.messages.filter((m) => !m.topic.startsWith('evse2mqtt/bridge/request/'));
    expect(answers.filter((m) => m.properties?.correlationData !== undefined)).toEqual([]);
    expect(v5.on('elsewhere/replies')).toEqual([]);
    await v5.close();
    await h.stop({ keepBroker: true });
  });

  it('ignores a retained command replayed at start-up', async () => {
    const pub = await Recorder.connect(mosq.url, [], { protocolVersion: 5 });
    await pub.publish('evse2mqtt/garage/set/enabled', 'OFF', { retain: true });
    const before = sim.requestsTo('POST', '/claims').length;
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    await h.clock.advance(5000);
    expect(sim.requestsTo('POST', '/claims').length).toBe(before);
    expect(h.logs.find('ignored a retained command on evse2mqtt/garage/set/enabled')).toHaveLength(1);
    await pub.publish('evse2mqtt/garage/set/enabled', '', { retain: true });
    await pub.close();
    await h.stop({ keepBroker: true });
  });

  it('keeps a smart plan retained and answers charge now on the MQTT 5 response topic', async () => {
    const h = await startHarness({
      brokerUrl: mosq.url,
      clock: new ManualClock(Date.parse('2026-06-01T20:00:00+02:00')),
      chargers: [
        openevseCharger(sim.port, {
          mode: 'smart',
          smart_charging: { deadline: '07:00', energy: 10, minimum_energy: 0 },
        }),
      ],
      config: {
        site: { timezone: 'Europe/Paris' },
        tariff: {
          currency: 'EUR',
          zones: [{ from: '02:00', to: '05:00', price: 0.15 }],
          default_price: 0.25,
        },
      },
    });
    // fake time moves until the first read and the control cycle after it have happened
    await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage/plan', (v) => v.state === 'PLAN:EXECUTING:STOPPED', {
        timeoutMs: 10_000,
      }),
      500,
      10_000,
    );
    const retained = await Recorder.retained(mosq.url, ['evse2mqtt/garage/plan']);
    expect(JSON.parse(retained[0]!.payload)).toMatchObject({
      state: 'PLAN:EXECUTING:STOPPED',
      next_start: '2026-06-02T02:00:00+02:00',
    });
    const v5 = await Recorder.connect(mosq.url, ['evse2mqtt/client/replies/#'], { protocolVersion: 5 });
    await v5.publish('evse2mqtt/garage/set', '{"enabled": true}', {
      properties: { responseTopic: 'evse2mqtt/client/replies/smart', correlationData: Buffer.from('now-1') },
    });
    const reply = await v5.waitFor((m) => m.topic === 'evse2mqtt/client/replies/smart');
    expect(JSON.parse(reply.payload)).toMatchObject({ status: 'ok', data: { enabled: true, mode: 'smart' } });
    await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage/plan', (v) => v.state === 'PLAN:EXECUTING:OVERRIDDEN', {
        timeoutMs: 10_000,
      }),
      500,
      10_000,
    );
    await v5.close();
    await h.stop({ keepBroker: true });
  });

  it('fires the wills on a crash: bridge/state offline and Homie $state lost', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    const since = h.rec.mark();
    await h.bridge.crash();
    await h.rec.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"offline"}', {
      since,
    });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'lost', {
      since,
    });
    const retained = await Recorder.retained(mosq.url, [
      'evse2mqtt/bridge/state',
      'homie/evse2mqtt-garage/$state',
    ]);
    expect(Object.fromEntries(retained.map((m) => [m.topic, m.payload]))).toEqual({
      'evse2mqtt/bridge/state': '{"state":"offline"}',
      'homie/evse2mqtt-garage/$state': 'lost',
    });
    await h.stop({ keepBroker: true });
  });

  it('publishes offline and Homie disconnected on a clean stop', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    const watcher = await Recorder.connect(mosq.url, [
      'evse2mqtt/bridge/state',
      'homie/evse2mqtt-garage/$state',
    ]);
    await h.stop({ keepBroker: true });
    await watcher.waitFor((m) => m.topic === 'evse2mqtt/bridge/state' && m.payload === '{"state":"offline"}');
    await watcher.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'disconnected');
    await watcher.close();
  });

  it('recovers after Mosquitto restarts and republishes everything', async () => {
    const h = await startHarness({ brokerUrl: mosq.url, chargers: [openevseCharger(sim.port)] });
    await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
    await mosq.restart(); // persistence off: the retained store is empty afterwards
    const wanted = [
      'evse2mqtt/bridge/state',
      'evse2mqtt/garage',
      'evse2mqtt/garage/availability',
      'homie/evse2mqtt-garage/$state',
    ];
    let topics: string[] = [];
    for (let i = 0; i < 40 && !wanted.every((t) => topics.includes(t)); i++) {
      await h.clock.advance(1000);
      topics = (await Recorder.retained(mosq.url, ['evse2mqtt/#', 'homie/evse2mqtt-garage/$state'], 100)).map(
        (m) => m.topic,
      );
    }
    expect(topics).toEqual(expect.arrayContaining(wanted));
    await h.stop({ keepBroker: true });
  });
});
