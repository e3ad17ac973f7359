/**
 * Wall-clock arithmetic in an IANA time zone (site.timezone), DST-correct, on top of luxon.
 * All instants are ms since the epoch; local times are "HH:MM" strings. Two rules for the days
 * a clock change happens on: a local time that does not exist (spring forward, 02:30 in Paris
 * on the last Sunday of March) moves forward by the gap (03:30); a local time that exists twice
 * (fall back) is its first occurrence.
 */
import { DateTime, IANAZone } from 'luxon';

/** A local date: year, month (1–12), day (1–31). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const HOUR = 3_600_000;

/** Hours and minutes of an "HH:MM" string; throws on anything else. */
export function parseHhmm(hhmm: string): { hour: number; minute: number } {
  const m = HHMM.exec(hhmm);
  if (!m) throw new Error(`not a local time "HH:MM": ${JSON.stringify(hhmm)}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** Whether `tz` is an IANA zone luxon (and Intl) know. */
export function isValidZone(tz: string): boolean {
  return IANAZone.isValidZone(tz);
}

/** The local date of instant `ms` in `tz`. */
export function localDate(ms: number, tz: string): LocalDate {
  const d = DateTime.fromMillis(ms, { zone: tz });
  return { year: d.year, month: d.month, day: d.day };
}

/** The local date `days` days after `date` (calendar arithmetic, no time zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The instant (ms) of local time `hhmm` on local date `date` in `tz`: a nonexistent time moves
 * forward by the DST gap, an ambiguous one is its first occurrence.
 */
export function localInstant(date: LocalDate, hhmm: string, tz: string): number {
  const { hour, minute } = parseHhmm(hhmm);
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const zone = IANAZone.create(tz);
  // the offsets in force around that wall time; each one that renders back to the same wall time
  // is a real occurrence (two on a fall-back day, none in a spring-forward gap)
  const offsets = new Set([zone.offset(wall - 12 * HOUR), zone.offset(wall), zone.offset(wall + 12 * HOUR)]);
  const hits = [...offsets].map((o) => wall - o * 60_000).filter((t) => matches(t, wall, zone));
  if (hits.length > 0) return Math.min(...hits);
  // in the gap: luxon shifts forward by the gap (02:30 → 03:30)
  return DateTime.fromObject({ ...date, hour, minute }, { zone: tz }).toMillis();
}

/** Whether instant `t` shows wall time `wall` (as a UTC-encoded ms) in `zone`. */
function matches(t: number, wall: number, zone: IANAZone): boolean {
  return t + zone.offset(t) * 60_000 === wall;
}

/** The instant (ms) of local `hhmm` on the local date that contains `ms`. */
export function localTimeOn(ms: number, hhmm: string, tz: string): number {
  return localInstant(localDate(ms, tz), hhmm, tz);
}

/** The next instant (ms) strictly after `now` at which the local clock in `tz` shows `hhmm`: today if not yet past, else tomorrow. */
export function nextOccurrence(hhmm: string, now: number, tz: string): number {
  const today = localDate(now, tz);
  for (let i = 0; i < 3; i++) {
    const t = localInstant(addDays(today, i), hhmm, tz);
    if (t > now) return t;
  }
  // unreachable: a local time occurs at least once every calendar day
  throw new Error(`no next occurrence of ${hhmm} in ${tz}`);
}

/** The instant (ms) at which the local day containing `ms` begins in `tz`. */
export function startOfLocalDay(ms: number, tz: string): number {
  return DateTime.fromMillis(ms, { zone: tz }).startOf('day').toMillis();
}

/**
 * The starts (ms) of every local day in `tz` that overlaps [from, to): the start of the day that
 * contains `from`, then each following midnight before `to`. Days are 23, 24 or 25 h long.
 */
export function localMidnights(from: number, to: number, tz: string): number[] {
  const out: number[] = [];
  let d = DateTime.fromMillis(from, { zone: tz }).startOf('day');
  while (d.toMillis() < to || out.length === 0) {
    out.push(d.toMillis());
    d = d.plus({ days: 1 }).startOf('day');
  }
  return out;
}

/** Instant `ms` as ISO 8601 in `tz` with its offset, to the second: `2026-03-29T07:00:00+02:00`. */
export function isoLocal(ms: number, tz: string): string {
  return DateTime.fromMillis(Math.floor(ms / 1000) * 1000, { zone: tz }).toISO({
    suppressMilliseconds: true,
  })!;
}

/**
 * Parses an ISO 8601 date-time to ms. With an offset or `Z` it is that instant; without one it is
 * a local time in `tz`. NaN when it is not ISO 8601.
 */
export function parseIso(text: string, tz: string): number {
  const d = DateTime.fromISO(text, { zone: tz });
  return d.isValid ? d.toMillis() : Number.NaN;
}
