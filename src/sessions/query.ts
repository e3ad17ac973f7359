/**
 * `bridge/request/sessions` (docs/sessions.md): the request's fields checked one by one, the
 * selection (newest first by start; `from` inclusive, `to` exclusive; totals before `limit`) and
 * the CSV form (RFC 4180 with `\n` line ends, modes joined with `;`, null as an empty field).
 */
import { parseIso } from '../core/local-time.js';
import type { SessionRecord } from './types.js';

/** Default and largest `limit`. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

/** A checked request. */
export interface SessionQuery {
  charger: string | null;
  /** ms, inclusive; null = no bound. */
  from: number | null;
  /** ms, exclusive; null = no bound. */
  to: number | null;
  limit: number;
  format: 'json' | 'csv';
}

/** Checks a request body; every malformed field is named in `problems`. */
export function parseQuery(
  body: Record<string, unknown>,
  chargers: readonly string[],
  timezone: string,
): { query: SessionQuery; problems: [] } | { query: null; problems: string[] } {
  const problems: string[] = [];
  let charger: string | null = null;
  if (body.charger !== undefined && body.charger !== null) {
    if (typeof body.charger !== 'string' || !chargers.includes(body.charger))
      problems.push(
        `charger: unknown charger ${JSON.stringify(body.charger)}; known: ${chargers.join(', ') || '(none)'}`,
      );
    else charger = body.charger;
  }
  const time = (key: 'from' | 'to'): number | null => {
    const v = body[key];
    if (v === undefined || v === null) return null;
    const t = typeof v === 'string' ? parseIso(v, timezone) : Number.NaN;
    if (!Number.isFinite(t)) {
      problems.push(
        `${key}: not an ISO 8601 date-time: ${JSON.stringify(v)} (e.g. "2026-12-01T00:00:00+01:00")`,
      );
      return null;
    }
    return t;
  };
  const from = time('from');
  const to = time('to');
  let limit = DEFAULT_LIMIT;
  if (body.limit !== undefined && body.limit !== null) {
    const l = body.limit;
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_LIMIT)
      problems.push(`limit: must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(l)}`);
    else limit = l;
  }
  let format: 'json' | 'csv' = 'json';
  if (body.format !== undefined && body.format !== null) {
    if (body.format !== 'json' && body.format !== 'csv')
      problems.push(`format: must be "json" or "csv", got ${JSON.stringify(body.format)}`);
    else format = body.format;
  }
  if (problems.length > 0) return { query: null, problems };
  return { query: { charger, from, to, limit, format }, problems: [] };
}

/** Totals of a selection: count, kWh, kWh, currency (null when no session has the value). */
export interface SessionTotals {
  count: number;
  energy: number;
  solar_energy: number | null;
  cost: number | null;
}

/** The sessions a query selects (newest first by start), cut to `limit`, with totals over the whole selection. */
export function selectSessions(
  all: readonly SessionRecord[],
  q: SessionQuery,
): { sessions: SessionRecord[]; totals: SessionTotals } {
  const picked: Array<{ r: SessionRecord; t: number }> = [];
  let energy = 0;
  let solar: number | null = null;
  let cost: number | null = null;
  for (const r of all) {
    if (q.charger !== null && r.charger !== q.charger) continue;
    const t = Date.parse(r.start);
    if (q.from !== null && !(t >= q.from)) continue;
    if (q.to !== null && !(t < q.to)) continue;
    picked.push({ r, t });
    energy += r.energy ?? 0;
    if (typeof r.solar_energy === 'number') solar = (solar ?? 0) + r.solar_energy;
    if (typeof r.cost === 'number') cost = (cost ?? 0) + r.cost;
  }
  picked.sort((a, b) => b.t - a.t);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    sessions: picked.slice(0, q.limit).map((p) => p.r),
    totals: {
      count: picked.length,
      energy: r3(energy),
      solar_energy: solar === null ? null : r3(solar),
      cost: cost === null ? null : Math.round(cost * 10_000) / 10_000,
    },
  };
}

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  'id',
  'charger',
  'start',
  'end',
  'energy',
  'discharged_energy',
  'solar_energy',
  'cost',
  'currency',
  'max_power',
  'duration',
  'charging_time',
  'modes',
] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; null/absent empty. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(';') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The sessions as CSV: the header line, then one line per session, each ended by `\n`. */
export function toCsv(sessions: readonly SessionRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of sessions) {
    const r = s as unknown as Record<string, unknown>;
    lines.push(CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Where a request's sessions come from: the configured charger ids, site.timezone, the stored sessions and the active ones. */
export interface QuerySources {
  chargers: readonly string[];
  timezone: string;
  stored: () => Promise<SessionRecord[]>;
  active: () => SessionRecord[];
}

/** The data of a sessions request (JSON with totals, or CSV); throws an Error naming every malformed field. */
export async function answerQuery(
  body: Record<string, unknown>,
  src: QuerySources,
): Promise<Record<string, unknown>> {
  const parsed = parseQuery(body, src.chargers, src.timezone);
  if (!parsed.query) throw new Error(parsed.problems.join('; '));
  const stored = await src.stored();
  const active = src.active();
  const seen = new Set(active.map((r) => r.id));
  const all = seen.size > 0 ? [...stored.filter((r) => !seen.has(r.id)), ...active] : stored;
  const { sessions, totals } = selectSessions(all, parsed.query);
  return parsed.query.format === 'csv' ? { csv: toCsv(sessions) } : { sessions, totals };
}
