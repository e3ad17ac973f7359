/** Charging sessions from a synthetic stream of charger readings: start, energy, split, cost, transactions, persistence and requests. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { TariffConfig } from '../../src/config/types.js';
import { EventBus } from '../../src/core/bus.js';
import type { ChargerReading, TransactionInfo } from '../../src/core/model.js';
import { StateStore } from '../../src/core/state-store.js';
import { type SessionCharger, Sessions } from '../../src/sessions/service.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { Tariff } from '../../src/tariff/tariff.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

const TZ = 'Europe/Paris';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function charger(id: string, extra: Partial<SessionCharger> = {}): SessionCharger & { mode: string } {
  return {
    id,
    mode: 'manual',
    caps: { bidirectional: false },
    cfg: { poll_interval: 5 },
    session: null,
    ...extra,
  };
}

function reading(
  connected: boolean,
  values: Record<string, number | null>,
  tx?: TransactionInfo,
): ChargerReading {
  const power = values.power ?? 0;
  return {
    vehicleConnected: connected,
    charging: power !== 0,
    enabled: true,
    chargeCurrent: 16,
    fault: null,
    values,
    ...(tx ? { transaction: tx } : {}),
  };
}

interface Rig {
  bus: EventBus;
  clock: ManualClock;
  logs: MemoryLog;
  dir: string;
  sessions: Sessions;
  published: Array<{ id: string; session: SessionRecord | null; fileLines: number }>;
  grid: { power: number | null; stale: boolean };
  chargers: Array<SessionCharger & { mode: string }>;
}

const TARIFF: TariffConfig = { currency: 'EUR', zones: [], default_price: 0.3, feed_in_price: 0.1 };

function rig(
  chargers: Array<SessionCharger & { mode: string }>,
  opts: { dir?: string; clock?: ManualClock; grid?: boolean; tariff?: boolean } = {},
): Rig {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'evse2mqtt-sessions-'));
  if (!opts.dir) dirs.push(dir);
  const clock = opts.clock ?? new ManualClock(Date.parse('2026-06-01T10:00:00+02:00'));
  const logs = new MemoryLog();
  const log = logs.bundle.log;
  const store = new StateStore(dir, log);
  store.load();
  const bus = new EventBus();
  const grid = { power: 0 as number | null, stale: false };
  const sessions = new Sessions({
    dataDir: dir,
    timezone: TZ,
    clock,
    log,
    bus,
    store,
    chargers: () => chargers,
    ...(opts.grid === false ? {} : { grid: { value: () => ({ value: grid.power, stale: grid.stale }) } }),
    ...(opts.tariff === false ? {} : { tariff: new Tariff(TARIFF, TZ, clock, log) }),
    feedIn: 0.1,
  });
  const published: Rig['published'] = [];
  const fileLines = () => {
    try {
      return readFileSync(path.join(dir, 'sessions.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  bus.on({}, 'device.session', ({ id, session }) =>
    published.push({ id, session: session as SessionRecord | null, fileLines: fileLines() }),
  );
  sessions.load();
  return { bus, clock, logs, dir, sessions, published, grid, chargers };
}

/** Feeds one reading to every charger in `values` (by id), then advances the clock by `stepMs`. */
async function tick(r: Rig, byId: Record<string, ChargerReading>, stepMs = 5000): Promise<void> {
  for (const c of r.chargers) {
    const rd = byId[c.id];
    if (rd) r.sessions.onReading(c, rd);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
  await r.clock.advance(stepMs);
}

/** Waits until `id`'s ended session is published (its line is flushed to disk first). */
async function untilEnded(r: Rig, id: string): Promise<void> {
  for (let t = 0; last(r, id)?.state !== 'ended'; t += 10) {
    if (t > 5000) throw new Error(`no ended session published for ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const last = (r: Rig, id: string) => [...r.published].reverse().find((p) => p.id === id)?.session ?? null;

describe('a session from plug-in to unplug', () => {
  it('starts at plug-in, counts the lifetime counter, and is stored before /session says ended', async () => {
    const c = charger('garage');
    const r = rig([c]);
    r.grid.power = 8000; // more than the charger draws: all from the grid
    await tick(r, { garage: reading(false, { power: 0, total_energy: 100 }) });
    expect(r.published).toHaveLength(0);
    await tick(r, { garage: reading(true, { power: 0, total_energy: 100 }) });
    expect(last(r, 'garage')).toMatchObject({ state: 'active', energy: 0, end: null, charger: 'garage' });
    const start = last(r, 'garage')!.start;
    expect(last(r, 'garage')!.id).toBe(`garage-${Date.parse(start) / 1000}`);
    c.mode = 'solar';
    for (let i = 0; i < 12; i++)
      await tick(r, { garage: reading(true, { power: 7200, total_energy: 100 + 0.01 * (i + 1) }) });
    await tick(r, { garage: reading(false, { power: 0, total_energy: 100.12 }) });
    await untilEnded(r, 'garage');
    const ended = last(r, 'garage')!;
    expect(ended).toMatchObject({
      state: 'ended',
      energy: 0.12,
      solar_energy: 0,
      solar_share: 0,
      currency: 'EUR',
      max_power: 7200,
      modes: ['manual', 'solar'],
      duration: 65,
    });
    expect(ended.cost).toBeCloseTo(0.12 * 0.3, 6);
    expect(ended.average_price).toBeCloseTo(0.3, 6);
    expect(ended.charging_time).toBe(65);
    expect(ended.end).toMatch(/\+02:00$/);
    expect(ended.discharged_energy).toBeUndefined();
    // the line was on disk when the ended record went out
    expect(r.published.find((p) => p.session?.state === 'ended')!.fileLines).toBe(1);
    const stored = JSON.parse(readFileSync(path.join(r.dir, 'sessions.jsonl'), 'utf8')) as SessionRecord;
    expect(stored).toEqual(ended);
  });

  it('publishes at least every 60 s while energy flows', async () => {
    const c = charger('garage');
    const r = rig([c]);
    await tick(r, { garage: reading(false, { power: 0, session_energy: 0 }) });
    for (let i = 0; i <= 30; i++)
      await tick(r, { garage: reading(true, { power: 3600, session_energy: i * 0.005 }) });
    const times = r.published.map((p) => p.session!.energy);
    // 150 s of readings: the start, then after 60 s and 120 s
    expect(times.length).toBe(3);
    expect(times[2]).toBeGreaterThan(times[1]!);
  });

  it('integrates power when the charger has no energy counter, and counts discharged energy on a bidirectional charger', async () => {
    const c = charger('quasar', { caps: { bidirectional: true } });
    const r = rig([c], { grid: false, tariff: false });
    await tick(r, { quasar: reading(false, { power: 0 }) });
    await tick(r, { quasar: reading(true, { power: 0 }) }, 60_000 - 5000);
    for (let i = 0; i < 6; i++) await tick(r, { quasar: reading(true, { power: 3600 }) }, 10_000); // 0.06 kWh
    for (let i = 0; i < 6; i++) await tick(r, { quasar: reading(true, { power: -1800 }) }, 10_000);
    await tick(r, { quasar: reading(false, { power: 0 }) });
    await untilEnded(r, 'quasar');
    const ended = last(r, 'quasar')!;
    expect(ended.energy).toBeCloseTo(0.06, 3);
    expect(ended.discharged_energy).toBeCloseTo(0.03, 3);
    expect(ended.solar_energy).toBeNull();
    expect(ended.solar_share).toBeNull();
    expect(ended.cost).toBeNull();
    expect(ended.average_price).toBeNull();
  });

  it('splits two chargers charging at once by their power and counts a stale grid meter as grid', async () => {
    const a = charger('a');
    const b = charger('b');
    const r = rig([a, b]);
    await tick(r, {
      a: reading(false, { power: 0, total_energy: 0 }),
      b: reading(false, { power: 0, total_energy: 0 }),
    });
    await tick(r, {
      a: reading(true, { power: 7000, total_energy: 0 }),
      b: reading(true, { power: 3000, total_energy: 0 }),
    });
    r.grid.power = 5000; // half of the 10 kW comes from the grid
    await tick(r, {
      a: reading(true, { power: 7000, total_energy: 0.7 }),
      b: reading(true, { power: 3000, total_energy: 0.3 }),
    });
    r.grid.stale = true; // the next interval counts as grid
    await tick(r, {
      a: reading(true, { power: 7000, total_energy: 1.4 }),
      b: reading(true, { power: 3000, total_energy: 0.6 }),
    });
    await tick(r, {
      a: reading(false, { power: 0, total_energy: 1.4 }),
      b: reading(false, { power: 0, total_energy: 0.6 }),
    });
    await untilEnded(r, 'a');
    await untilEnded(r, 'b');
    expect(last(r, 'a')).toMatchObject({ energy: 1.4, solar_energy: 0.35, solar_share: 0.25 });
    expect(last(r, 'b')).toMatchObject({ energy: 0.6, solar_energy: 0.15, solar_share: 0.25 });
    // cost: grid 1.05 kWh × 0.3 + solar 0.35 kWh × 0.1 (feed-in)
    expect(last(r, 'a')!.cost).toBeCloseTo(1.05 * 0.3 + 0.35 * 0.1, 4);
  });

  it('stops counting an offline charger in the site charging power', async () => {
    const a = charger('a');
    const b = charger('b');
    const r = rig([a, b]);
    await tick(r, {
      a: reading(false, { power: 0, total_energy: 0 }),
      b: reading(false, { power: 0, total_energy: 0 }),
    });
    await tick(r, {
      a: reading(true, { power: 7000, total_energy: 0 }),
      b: reading(true, { power: 3000, total_energy: 0 }),
    });
    // b goes offline while its last reading said 3000 W; 7000 W of import is then all a's
    r.bus.emit('device.availability', { id: 'b', online: false });
    r.grid.power = 7000;
    await tick(r, { a: reading(true, { power: 7000, total_energy: 0.7 }) });
    await tick(r, { a: reading(false, { power: 0, total_energy: 0.7 }) });
    await untilEnded(r, 'a');
    expect(last(r, 'a')).toMatchObject({ energy: 0.7, solar_energy: 0, solar_share: 0 });
  });
});

describe('sessions of a charger with transactions (OCPP)', () => {
  const tx = (
    id: number | null,
    idTag: string | null,
    stopReason: string | null = null,
  ): TransactionInfo => ({
    id,
    idTag,
    stopReason,
  });

  it('carries the first accepted transaction and its stop reason; a refused one is no session', async () => {
    const c = charger('carport');
    const r = rig([c]);
    await tick(r, { carport: reading(false, { power: 0, total_energy: 10 }) });
    // a refused tag: plugged, no transaction id, no energy, unplugged
    await tick(r, { carport: reading(true, { power: 0, total_energy: 10 }, tx(null, 'BAD')) });
    await tick(r, { carport: reading(false, { power: 0, total_energy: 10 }, tx(null, 'BAD')) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(last(r, 'carport')).toBeNull();
    // accepted: transaction 7
    await tick(r, { carport: reading(true, { power: 0, total_energy: 10 }) });
    await tick(r, { carport: reading(true, { power: 7000, total_energy: 10 }, tx(7, 'ABC123')) });
    expect(last(r, 'carport')).toMatchObject({ transaction_id: 7, id_tag: 'ABC123', stop_reason: null });
    await tick(r, { carport: reading(true, { power: 7000, total_energy: 11 }, tx(7, 'ABC123')) });
    await tick(r, {
      carport: reading(true, { power: 0, total_energy: 11 }, tx(7, 'ABC123', 'EVDisconnected')),
    });
    await tick(r, {
      carport: reading(false, { power: 0, total_energy: 11 }, tx(7, 'ABC123', 'EVDisconnected')),
    });
    await untilEnded(r, 'carport');
    expect(last(r, 'carport')).toMatchObject({
      state: 'ended',
      energy: 1,
      transaction_id: 7,
      id_tag: 'ABC123',
      stop_reason: 'EVDisconnected',
    });
    const lines = readFileSync(path.join(r.dir, 'sessions.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
  });
});

describe('sessions across a restart', () => {
  async function plugAndCharge(): Promise<{ r: Rig; c: SessionCharger & { mode: string } }> {
    const c = charger('garage');
    const r = rig([c]);
    await tick(r, { garage: reading(false, { power: 0, total_energy: 50 }) });
    await tick(r, { garage: reading(true, { power: 7000, total_energy: 50 }) });
    await tick(r, { garage: reading(true, { power: 7000, total_energy: 50.5 }) }, 40_000); // saved within 30 s
    return { r, c };
  }

  it('goes on after a restart while the car stays plugged, counting the energy charged meanwhile', async () => {
    const { r } = await plugAndCharge();
    const id = last(r, 'garage')!.id;
    // "restart": a new service on the same data_dir, 10 minutes later
    const c2 = charger('garage');
    await r.clock.advance(600_000);
    const r2 = rig([c2], { dir: r.dir, clock: r.clock });
    expect(c2.session).toMatchObject({ id, state: 'active', energy: 0.5 });
    await tick(r2, { garage: reading(true, { power: 7000, total_energy: 51.7 }) });
    await tick(r2, { garage: reading(false, { power: 0, total_energy: 51.7 }) });
    await untilEnded(r2, 'garage');
    expect(last(r2, 'garage')).toMatchObject({ id, state: 'ended', energy: 1.7 });
  });

  it('ends a restored session at its last-seen time when the car left meanwhile', async () => {
    const { r } = await plugAndCharge();
    const saved = JSON.parse(readFileSync(path.join(r.dir, 'state.json'), 'utf8')) as {
      sessions: Record<string, { lastSeen: number }>;
    };
    const lastSeen = saved.sessions.garage!.lastSeen;
    await r.clock.advance(3_600_000);
    const c2 = charger('garage');
    const r2 = rig([c2], { dir: r.dir, clock: r.clock });
    await tick(r2, { garage: reading(false, { power: 0, total_energy: 58 }) });
    await untilEnded(r2, 'garage');
    const ended = last(r2, 'garage')!;
    expect(ended).toMatchObject({ state: 'ended', energy: 0.5 });
    expect(Date.parse(ended.end!)).toBe(Math.floor(lastSeen / 1000) * 1000);
  });

  it('sets a torn last line aside with a warning and keeps every complete session', async () => {
    const c = charger('garage');
    const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-sessions-'));
    dirs.push(dir);
    const good = (n: number) =>
      JSON.stringify({
        id: `garage-${n}`,
        charger: 'garage',
        state: 'ended',
        start: new Date(n * 1000).toISOString(),
        energy: 1,
      });
    writeFileSync(
      path.join(dir, 'sessions.jsonl'),
      `${good(1000)}\n${good(2000)}\n{"id":"garage-3000","charger":"gar`,
    );
    const r = rig([c], { dir });
    expect(c.session).toMatchObject({ id: 'garage-2000' });
    await r.sessions.announce();
    expect(r.logs.find('was torn')).toHaveLength(1);
    expect(r.logs.find('was torn')[0]!.level).toBe('warn');
    expect(readFileSync(path.join(dir, 'sessions.jsonl'), 'utf8')).toBe(`${good(1000)}\n${good(2000)}\n`);
    const aside = readdirSync(dir).find((f) => f.startsWith('sessions.jsonl.torn-'))!;
    expect(readFileSync(path.join(dir, aside), 'utf8')).toBe('{"id":"garage-3000","charger":"gar');
    const answer = await r.sessions.request({});
    expect((answer.data.totals as { count: number }).count).toBe(2);
  });
});

describe('bridge/request/sessions', () => {
  async function withHistory(): Promise<Rig> {
    const a = charger('a');
    const b = charger('b');
    const r = rig([a, b]);
    const lines = [];
    for (let i = 0; i < 5; i++)
      lines.push(
        JSON.stringify({
          id: `${i % 2 ? 'b' : 'a'}-${1764547200 + i * 86400}`,
          charger: i % 2 ? 'b' : 'a',
          state: 'ended',
          start: new Date((1764547200 + i * 86400) * 1000).toISOString(),
          end: new Date((1764547200 + i * 86400 + 3600) * 1000).toISOString(),
          energy: i + 1,
          solar_energy: 0.5,
          solar_share: 0.5 / (i + 1),
          cost: 0.25 * (i + 1),
          currency: 'EUR',
          average_price: 0.25,
          max_power: 7000,
          duration: 3600,
          charging_time: 1800,
          modes: ['solar', 'manual'],
        }),
      );
    writeFileSync(path.join(r.dir, 'sessions.jsonl'), `${lines.join('\n')}\n`);
    return r;
  }

  it('lists sessions newest first with totals over the whole selection, before the limit', async () => {
    const r = await withHistory();
    const res = await r.sessions.request({ limit: 2, transaction: 'q1' });
    expect(res.status).toBe('ok');
    expect(res.transaction).toBe('q1');
    const data = res.data as { sessions: SessionRecord[]; totals: Record<string, number> };
    expect(data.sessions.map((s) => s.energy)).toEqual([5, 4]);
    expect(data.totals).toEqual({ count: 5, energy: 15, solar_energy: 2.5, cost: 3.75 });
  });

  it('filters by charger and by start, from inclusive and to exclusive', async () => {
    const r = await withHistory();
    const res = await r.sessions.request({
      charger: 'a',
      from: new Date(1764547200 * 1000).toISOString(),
      to: new Date((1764547200 + 4 * 86400) * 1000).toISOString(),
    });
    const data = res.data as { sessions: SessionRecord[] };
    expect(data.sessions.map((s) => s.id)).toEqual(['a-1764720000', 'a-1764547200']);
  });

  it('includes the active session', async () => {
    const r = await withHistory();
    const a = r.chargers[0]!;
    r.sessions.onReading(a, reading(false, { power: 0 }));
    r.sessions.onReading(a, reading(true, { power: 0 }));
    const data = (await r.sessions.request({ limit: 1 })).data as { sessions: SessionRecord[] };
    expect(data.sessions[0]).toMatchObject({ charger: 'a', state: 'active' });
  });

  it('answers CSV with the documented header, RFC 4180 quoting and modes joined with ;', async () => {
    const r = await withHistory();
    const res = await r.sessions.request({ format: 'csv', charger: 'b', limit: 1 });
    const csv = (res.data as { csv: string }).csv;
    expect(csv).toBe(
      'id,charger,start,end,energy,discharged_energy,solar_energy,cost,currency,max_power,duration,charging_time,modes\n' +
        'b-1764806400,b,2025-12-04T00:00:00.000Z,2025-12-04T01:00:00.000Z,4,,0.5,1,EUR,7000,3600,1800,solar;manual\n',
    );
  });

  it.each([
    [{ charger: 'nope' }, 'charger: unknown charger "nope"'],
    [{ from: 'yesterday' }, 'from: not an ISO 8601 date-time'],
    [{ to: 5 }, 'to: not an ISO 8601 date-time'],
    [{ limit: 10001 }, 'limit: must be an integer from 1 to 10000'],
    [{ limit: 'ten' }, 'limit: must be an integer'],
    [{ format: 'xml' }, 'format: must be "json" or "csv"'],
  ])('refuses %j naming the field', async (body, error) => {
    const r = await withHistory();
    const res = await r.sessions.request({ ...body, transaction: 7 });
    expect(res.status).toBe('error');
    expect(res.error).toContain(error);
    expect(res.transaction).toBe(7);
  });

  it('names every malformed field at once', async () => {
    const r = await withHistory();
    const res = await r.sessions.request({ limit: 0, format: 'pdf', from: 'x' });
    expect(res.error).toMatch(/from: .*limit: .*format: /);
  });
});
