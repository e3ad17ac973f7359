/**
 * openHAB sees why: the Homie node `decision` of a charger mirrors the engine's `decision` in
 * `<base>/<id>` (docs/engine.md) — the real bridge, the OpenEVSE simulator, a grid meter on MQTT
 * and a fake clock, in `solar` from no surplus through the enable delay to charging.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { checkHomieDevice } from '../helpers/homie-rules.js';
import { Recorder } from '../helpers/recorder.js';

const DEV = 'homie/evse2mqtt-garage';
type Decision = {
  mode: string;
  surplus_power: number | null;
  target_current: number | null;
  phases: number;
  blocked_by: string | null;
  next_change: { action: string; at: string | null } | null;
};

describe('the Homie decision node', () => {
  let h: Harness;
  let sim: OpenEvseSimulator;
  let pv = 0;

  /** Control intervals: the grid meter reads house + charger − PV, then 10 s pass. */
  async function tick(seconds: number): Promise<void> {
    for (let t = 0; t < seconds; t += 10) {
      const charger = sim.computeStatus().power as number;
      await h.rec.publish('home/grid', JSON.stringify({ power: Math.round(500 + charger - pv) }));
      await new Promise((r) => setTimeout(r, 20));
      sim.tick(10_000);
      await h.clock.advance(10_000);
    }
  }

  /** The decision node as an openHAB subscriber sees it now (retained), by property. */
  async function node(): Promise<Record<string, string | undefined>> {
    const retained = await Recorder.retained(h.url, [`${DEV}/decision/#`]);
    const get = (p: string) => retained.find((m) => m.topic === `${DEV}/decision/${p}`)?.payload;
    const props = ['mode', 'surplus-power', 'target-current', 'phases', 'blocked-by', 'next-change'];
    return Object.fromEntries(props.map((p) => [p, get(p)]));
  }

  /** What the node must show for the decision in the JSON state (undefined: zero-length, no value). */
  function expected(d: Decision): Record<string, string | undefined> {
    const n = d.next_change;
    return {
      mode: d.mode,
      'surplus-power': d.surplus_power === null ? undefined : String(d.surplus_power),
      'target-current': d.target_current === null ? undefined : String(d.target_current),
      phases: String(d.phases),
      'blocked-by': d.blocked_by ?? undefined,
      'next-change': n === null ? undefined : n.at === null ? n.action : `${n.action} at ${n.at}`,
    };
  }

  async function decision(pred: (d: Decision) => boolean, since: number): Promise<Decision> {
    const s = await h.rec.waitJson<{ decision?: Decision }>(
      'evse2mqtt/garage',
      (v) => v.decision !== undefined && pred(v.decision),
      { since },
    );
    // the Homie connection publishes on its own: give it a moment after the JSON state
    await new Promise((r) => setTimeout(r, 100));
    return s.decision!;
  }

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn({ evMaxCurrent: 32 });
    h = await startHarness({
      chargers: [openevseCharger(sim.port, { max_current: 32 })],
      meters: [{ id: 'grid', role: 'grid', type: 'mqtt', topic: 'home/grid', value: 'power', max_age: 30 }],
      config: { site: { interval: 10, enable_delay: 60, disable_delay: 180 } },
    });
    await h.rec.waitFor((m) => m.topic === `${DEV}/$state` && m.payload === 'ready');
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('is announced beside the charger node, with Homie 4 datatypes', async () => {
    const retained = await Recorder.retained(h.url, [`${DEV}/#`]);
    const get = (t: string) => retained.find((m) => m.topic === `${DEV}/${t}`)?.payload;
    expect(get('$nodes')?.split(',')).toEqual(['charger', 'plan', 'decision', 'session']);
    expect(get('decision/$properties')).toBe(
      'mode,surplus-power,target-current,phases,blocked-by,next-change',
    );
    expect(get('decision/mode/$datatype')).toBe('enum');
    expect(get('decision/mode/$format')?.split(',')).toContain('solar');
    expect(get('decision/surplus-power/$datatype')).toBe('float');
    expect(get('decision/surplus-power/$unit')).toBe('W');
    expect(get('decision/target-current/$datatype')).toBe('float');
    expect(get('decision/target-current/$unit')).toBe('A');
    expect(get('decision/phases/$format')).toBe('1,3');
    expect(get('decision/blocked-by/$datatype')).toBe('string');
    expect(get('decision/next-change/$datatype')).toBe('string');
    expect(get('decision/mode/$settable')).toBeUndefined(); // read-only
  });

  it('says why solar does not start, then that it waits for the enable delay, then follows the surplus', async () => {
    pv = 0;
    await tick(30); // the meter reports before solar is chosen
    let since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set/mode', 'solar');
    await tick(20);
    let d = await decision((x) => x.mode === 'solar' && x.blocked_by === 'surplus below minimum', since);
    expect(await node()).toEqual(expected(d));
    expect((await node())['blocked-by']).toBe('surplus below minimum');
    expect((await node())['target-current']).toBe(String(d.target_current));

    pv = 4000; // 3500 W of surplus
    since = h.rec.mark();
    await tick(20);
    d = await decision((x) => x.blocked_by === 'enable delay', since);
    expect(d.next_change?.action).toBe('start');
    const waiting = await node();
    expect(waiting).toEqual(expected(d));
    expect(waiting['next-change']).toMatch(/^start at \d{4}-\d{2}-\d{2}T/);

    since = h.rec.mark();
    await tick(60);
    d = await decision((x) => (x.target_current ?? 0) > 0, since);
    const charging = await node();
    expect(charging).toEqual(expected(d));
    expect(Number(charging['surplus-power'])).toBeGreaterThan(3000);
    expect(charging['blocked-by']).toBeUndefined(); // nothing blocks it: no value
  });

  it('follows every checkable Homie rule over the whole run, transient values included', () => {
    const homie = h.rec.messages.map((m) => ({ ...m, retain: true }));
    expect(checkHomieDevice(homie, 'evse2mqtt-garage')).toEqual([]);
  });
});
