/** The tariff: local time-of-use zones (DST-aware), the default price, and the topic price list that wins while it covers now. */
import { describe, expect, it } from '@jest/globals';
import type { TariffConfig } from '../../src/config/types.js';
import { type PriceSlot, Tariff } from '../../src/tariff/tariff.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

const PARIS = 'Europe/Paris';
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

const CFG: TariffConfig = {
  currency: 'EUR',
  zones: [
    { from: '02:00', to: '05:00', price: 0.15 },
    { from: '16:00', to: '19:00', price: 0.38 },
    { from: '22:00', to: '01:00', price: 0.1 },
  ],
  default_price: 0.25,
  topic: 'energy/prices',
};

function make(now = '2026-06-01T10:00:00+02:00', cfg: TariffConfig = CFG) {
  const clock = new ManualClock(at(now));
  const logs = new MemoryLog();
  const tariff = new Tariff(cfg, PARIS, clock, logs.bundle.log.child({ module: 'tariff' }));
  return { clock, logs, tariff };
}

const send = (t: Tariff, v: unknown, retained = false) =>
  t.handleMessage(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), retained);

/** Slots as local ISO strings, for readable expectations. */
const local = (slots: PriceSlot[]) =>
  slots.map((s) => [
    new Date(s.start).toLocaleString('sv', { timeZone: PARIS }),
    new Date(s.end).toLocaleString('sv', { timeZone: PARIS }),
    s.price,
  ]);

function expectContiguous(slots: PriceSlot[], from: number, to: number) {
  expect(slots[0]!.start).toBe(from);
  expect(slots[slots.length - 1]!.end).toBe(to);
  for (let i = 1; i < slots.length; i++) expect(slots[i]!.start).toBe(slots[i - 1]!.end);
  for (const s of slots) expect(s.end).toBeGreaterThan(s.start);
}

describe('tariff zones', () => {
  it('prices each zone in local time, gaps at the default price, a zone wrapping past midnight on both sides', () => {
    const { tariff } = make();
    expect(tariff.currency).toBe('EUR');
    const p = (iso: string) => tariff.priceAt(at(iso));
    expect(p('2026-06-01T01:59:59+02:00')).toBe(0.25);
    expect(p('2026-06-01T02:00:00+02:00')).toBe(0.15);
    expect(p('2026-06-01T04:59:59+02:00')).toBe(0.15);
    expect(p('2026-06-01T05:00:00+02:00')).toBe(0.25);
    expect(p('2026-06-01T17:00:00+02:00')).toBe(0.38);
    expect(p('2026-06-01T19:00:00+02:00')).toBe(0.25);
    expect(p('2026-06-01T22:00:00+02:00')).toBe(0.1);
    expect(p('2026-06-01T23:59:00+02:00')).toBe(0.1);
    expect(p('2026-06-02T00:30:00+02:00')).toBe(0.1);
    expect(p('2026-06-02T01:00:00+02:00')).toBe(0.25);
    expect(p('2026-06-01T00:30:00+02:00')).toBe(0.1); // from the previous day's 22:00
  });

  it('uses the default price alone without zones', () => {
    const { tariff } = make(undefined, { currency: 'CHF', zones: [], default_price: 0.3 });
    expect(tariff.priceAt(at('2026-06-01T03:00:00+02:00'))).toBe(0.3);
    const from = at('2026-06-01T10:00:00Z');
    expect(tariff.segments(from, from + 30 * HOUR)).toEqual([
      { start: from, end: from + 30 * HOUR, price: 0.3 },
    ]);
    expect(tariff.nextChange(from)).toBeNull();
  });

  it('cuts segments at every zone boundary and covers [from, to) exactly', () => {
    const { tariff } = make();
    const from = at('2026-06-01T10:30:00+02:00');
    const to = at('2026-06-02T12:15:00+02:00');
    const slots = tariff.segments(from, to);
    expectContiguous(slots, from, to);
    expect(local(slots)).toEqual([
      ['2026-06-01 10:30:00', '2026-06-01 16:00:00', 0.25],
      ['2026-06-01 16:00:00', '2026-06-01 19:00:00', 0.38],
      ['2026-06-01 19:00:00', '2026-06-01 22:00:00', 0.25],
      ['2026-06-01 22:00:00', '2026-06-02 01:00:00', 0.1],
      ['2026-06-02 01:00:00', '2026-06-02 02:00:00', 0.25],
      ['2026-06-02 02:00:00', '2026-06-02 05:00:00', 0.15],
      ['2026-06-02 05:00:00', '2026-06-02 12:15:00', 0.25],
    ]);
    // inside one zone: one slot; an empty range: none
    expect(tariff.segments(at('2026-06-01T02:30:00+02:00'), at('2026-06-01T03:00:00+02:00'))).toHaveLength(1);
    expect(tariff.segments(from, from)).toEqual([]);
    expect(tariff.nextChange(from)).toBe(at('2026-06-01T16:00:00+02:00'));
  });

  it('merges neighbouring zones of the same price', () => {
    const { tariff } = make(undefined, {
      currency: 'EUR',
      zones: [
        { from: '00:00', to: '06:00', price: 0.2 },
        { from: '06:00', to: '12:00', price: 0.2 },
      ],
      default_price: 0.3,
    });
    const from = at('2026-06-01T00:00:00+02:00');
    expect(local(tariff.segments(from, from + 24 * HOUR))).toEqual([
      ['2026-06-01 00:00:00', '2026-06-01 12:00:00', 0.2],
      ['2026-06-01 12:00:00', '2026-06-02 00:00:00', 0.3],
    ]);
  });

  it('gives the 02:00–05:00 zone 2 h on the 23 h spring-forward day and 4 h on the 25 h fall-back day', () => {
    const { tariff } = make('2026-03-28T12:00:00+01:00');
    const zone = (slots: PriceSlot[]) => slots.find((s) => s.price === 0.15)!;
    const springDay = at('2026-03-29T00:00:00+01:00');
    const spring = tariff.segments(springDay, springDay + 23 * HOUR);
    expectContiguous(spring, springDay, springDay + 23 * HOUR);
    expect(zone(spring).start).toBe(at('2026-03-29T03:00:00+02:00'));
    expect(zone(spring).end - zone(spring).start).toBe(2 * HOUR);
    expect(spring.find((s) => s.price === 0.38)!.start).toBe(at('2026-03-29T16:00:00+02:00'));

    const fallDay = at('2026-10-25T00:00:00+02:00');
    const fall = tariff.segments(fallDay, fallDay + 25 * HOUR);
    expectContiguous(fall, fallDay, fallDay + 25 * HOUR);
    expect(zone(fall).start).toBe(at('2026-10-25T02:00:00+02:00'));
    expect(zone(fall).end).toBe(at('2026-10-25T05:00:00+01:00'));
    expect(zone(fall).end - zone(fall).start).toBe(4 * HOUR);
    expect(fall.find((s) => s.price === 0.38)!.end).toBe(at('2026-10-25T19:00:00+01:00'));
    // the evening zone of the fall-back day wraps into the next day at 01:00 local
    expect(tariff.priceAt(at('2026-10-26T00:59:00+01:00'))).toBe(0.1);
  });
});

describe('tariff topic price list', () => {
  const LIST = [
    { start: '2026-06-01T11:00:00+02:00', end: '2026-06-01T12:00:00+02:00', price: 0.05 },
    { start: '2026-06-01T07:00:00Z', end: '2026-06-01T09:00:00Z', price: 0.5 }, // 09:00–11:00 local, unsorted
    { start: '2026-06-01T12:00:00+02:00', end: '2026-06-01T18:00:00+02:00', price: -0.01 },
  ];

  it('wins where it has entries while it covers now; zones fill the rest', () => {
    const { tariff, logs } = make('2026-06-01T10:00:00+02:00');
    expect(tariff.hasTopicPrices(at('2026-06-01T10:00:00+02:00'))).toBe(false);
    send(tariff, LIST, true);
    const now = at('2026-06-01T10:00:00+02:00');
    expect(tariff.hasTopicPrices(now)).toBe(true);
    expect(tariff.priceAt(now)).toBe(0.5);
    expect(tariff.priceAt(at('2026-06-01T17:30:00+02:00'))).toBe(-0.01); // the list beats the 16:00 zone
    expect(tariff.priceAt(at('2026-06-01T18:30:00+02:00'))).toBe(0.38); // after the list: the zone
    const slots = tariff.segments(now, at('2026-06-01T23:00:00+02:00'));
    expect(local(slots)).toEqual([
      ['2026-06-01 10:00:00', '2026-06-01 11:00:00', 0.5],
      ['2026-06-01 11:00:00', '2026-06-01 12:00:00', 0.05],
      ['2026-06-01 12:00:00', '2026-06-01 18:00:00', -0.01],
      ['2026-06-01 18:00:00', '2026-06-01 19:00:00', 0.38],
      ['2026-06-01 19:00:00', '2026-06-01 22:00:00', 0.25],
      ['2026-06-01 22:00:00', '2026-06-01 23:00:00', 0.1],
    ]);
    expect(logs.find('tariff prices from energy/prices in use (3 entries)')).toHaveLength(1);
  });

  it('falls back to zones when the list has expired, and ignores a list that only covers the future', async () => {
    const { tariff, clock } = make('2026-06-01T10:00:00+02:00');
    let changes = 0;
    tariff.onChange(() => changes++);
    send(tariff, LIST);
    expect(changes).toBe(1);
    await clock.advance(8 * HOUR, 0); // 18:00 local: the list has ended
    expect(changes).toBe(2); // the list stopped covering now
    expect(tariff.hasTopicPrices(clock.now())).toBe(false);
    expect(tariff.priceAt(clock.now())).toBe(0.38);
    expect(tariff.priceAt(at('2026-06-01T11:30:00+02:00'))).toBe(0.25); // zones only now

    send(tariff, [{ start: '2026-06-02T00:00:00+02:00', end: '2026-06-02T06:00:00+02:00', price: 0.01 }]);
    expect(changes).toBe(3);
    expect(tariff.hasTopicPrices(clock.now())).toBe(false);
    expect(tariff.priceAt(at('2026-06-02T03:00:00+02:00'))).toBe(0.15);
    await clock.advance(6 * HOUR, 0); // midnight: the list starts covering now
    expect(changes).toBe(4);
    expect(tariff.hasTopicPrices(clock.now())).toBe(true);
    expect(tariff.priceAt(at('2026-06-02T03:00:00+02:00'))).toBe(0.01);
  });

  it('accepts Nord Pool style entries with "value" and local times without an offset', () => {
    const { tariff } = make('2026-06-01T10:00:00+02:00');
    send(tariff, [{ start: '2026-06-01T10:00:00', end: '2026-06-01T11:00:00', value: 0.42 }]);
    expect(tariff.topicPrices()).toEqual([
      { start: at('2026-06-01T10:00:00+02:00'), end: at('2026-06-01T11:00:00+02:00'), price: 0.42 },
    ]);
    expect(tariff.priceAt(at('2026-06-01T10:30:00+02:00'))).toBe(0.42);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"start":"2026-06-01T10:00:00Z"}', 'not a JSON array'],
    ['[1]', 'entry 0 is not an object'],
    [
      '[{"start":"soon","end":"2026-06-01T12:00:00Z","price":1}]',
      'entry 0: "start" is not an ISO 8601 date-time',
    ],
    ['[{"start":"2026-06-01T10:00:00Z","price":1}]', 'entry 0: "end" is not an ISO 8601 date-time'],
    ['[{"start":"2026-06-01T10:00:00Z","end":"2026-06-01T10:00:00Z","price":1}]', 'entry 0: "end"'],
    [
      '[{"start":"2026-06-01T10:00:00Z","end":"2026-06-01T11:00:00Z","price":"0.2"}]',
      '"price" is not a finite number',
    ],
    [
      '[{"start":"2026-06-01T10:00:00Z","end":"2026-06-01T11:00:00Z"}]',
      '"price" is not a finite number: null',
    ],
    [
      '[{"start":"2026-06-01T10:00:00Z","end":"2026-06-01T12:00:00Z","price":1},{"start":"2026-06-01T11:00:00Z","end":"2026-06-01T13:00:00Z","price":2}]',
      'entries 0 and 1 overlap',
    ],
  ])('rejects %s with one warning and keeps the previous list', (payload, why) => {
    const { tariff, logs } = make('2026-06-01T10:00:00+02:00');
    send(tariff, LIST);
    let changes = 0;
    tariff.onChange(() => changes++);
    send(tariff, payload);
    const warns = logs.records().filter((r) => r.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toContain('ignored the price list on energy/prices: ');
    expect(warns[0]!.msg).toContain(why);
    expect(warns[0]!.msg).toContain('keeping the previous list');
    expect(tariff.topicPrices()).toHaveLength(3);
    expect(tariff.priceAt(at('2026-06-01T10:00:00+02:00'))).toBe(0.5);
    expect(changes).toBe(0);
  });

  it('notifies on change only, and stops notifying after unsubscribe', () => {
    const { tariff } = make('2026-06-01T10:00:00+02:00');
    let a = 0;
    let b = 0;
    const offA = tariff.onChange(() => a++);
    tariff.onChange(() => b++);
    send(tariff, LIST);
    send(tariff, LIST); // the same list again: nothing new
    expect([a, b]).toEqual([1, 1]);
    offA();
    send(tariff, [{ start: '2026-06-01T08:00:00Z', end: '2026-06-01T09:00:00Z', price: 0.3 }]);
    expect([a, b]).toEqual([1, 2]);
    send(tariff, []); // an empty list is valid: zones only
    expect(b).toBe(3);
    expect(tariff.hasTopicPrices(at('2026-06-01T10:30:00+02:00'))).toBe(false);
    tariff.stop();
  });
});
