/** Wall-clock arithmetic in an IANA zone: next occurrences, DST days, ISO 8601 with offsets. */
import { describe, expect, it } from '@jest/globals';
import {
  isoLocal,
  localInstant,
  localMidnights,
  localTimeOn,
  nextOccurrence,
  parseHhmm,
  parseIso,
  startOfLocalDay,
} from '../../src/core/local-time.js';

const PARIS = 'Europe/Paris';
const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('nextOccurrence', () => {
  it('is today when the time is still ahead', () => {
    expect(nextOccurrence('18:30', at('2026-06-01T10:00:00Z'), PARIS)).toBe(at('2026-06-01T18:30:00+02:00'));
  });

  it('is tomorrow when the time has passed, and strictly after now', () => {
    expect(nextOccurrence('07:00', at('2026-06-01T10:00:00Z'), PARIS)).toBe(at('2026-06-02T07:00:00+02:00'));
    expect(nextOccurrence('12:00', at('2026-06-01T10:00:00Z'), PARIS)).toBe(at('2026-06-02T12:00:00+02:00'));
  });

  it('crosses midnight, month and year ends', () => {
    expect(nextOccurrence('00:15', at('2026-06-30T21:30:00Z'), PARIS)).toBe(at('2026-07-01T00:15:00+02:00'));
    expect(nextOccurrence('06:00', at('2026-12-31T22:00:00Z'), PARIS)).toBe(at('2027-01-01T06:00:00+01:00'));
    expect(nextOccurrence('23:59', at('2026-06-01T21:58:00Z'), PARIS)).toBe(at('2026-06-01T23:59:00+02:00'));
  });

  it('moves a time that does not exist on the spring-forward day forward by the gap (02:30 → 03:30)', () => {
    const t = nextOccurrence('02:30', at('2026-03-28T23:00:00Z'), PARIS);
    expect(t).toBe(at('2026-03-29T03:30:00+02:00'));
    expect(isoLocal(t, PARIS)).toBe('2026-03-29T03:30:00+02:00');
    // the day after, 02:30 exists again
    expect(nextOccurrence('02:30', t, PARIS)).toBe(at('2026-03-30T02:30:00+02:00'));
  });

  it('takes the first occurrence of a time that exists twice on the fall-back day', () => {
    const t = nextOccurrence('02:30', at('2026-10-24T22:00:00Z'), PARIS);
    expect(t).toBe(at('2026-10-25T02:30:00+02:00'));
    // between the two occurrences the next one is tomorrow, not the repeat
    expect(nextOccurrence('02:30', at('2026-10-25T01:00:00Z'), PARIS)).toBe(at('2026-10-26T02:30:00+01:00'));
  });

  it('keeps a deadline like 07:00 at 07:00 local across both DST changes', () => {
    expect(nextOccurrence('07:00', at('2026-03-28T20:00:00Z'), PARIS)).toBe(at('2026-03-29T07:00:00+02:00'));
    expect(nextOccurrence('07:00', at('2026-10-24T20:00:00Z'), PARIS)).toBe(at('2026-10-25T07:00:00+01:00'));
  });

  it('works in other zones, including UTC and half-hour offsets', () => {
    expect(nextOccurrence('07:00', at('2026-06-01T10:00:00Z'), 'UTC')).toBe(at('2026-06-02T07:00:00Z'));
    expect(nextOccurrence('07:00', at('2026-06-01T00:00:00Z'), 'Asia/Kolkata')).toBe(
      at('2026-06-01T07:00:00+05:30'),
    );
    expect(nextOccurrence('02:30', at('2026-03-08T00:00:00Z'), 'America/New_York')).toBe(
      at('2026-03-08T03:30:00-04:00'),
    );
  });
});

describe('local days', () => {
  it('gives local midnights of 23, 24 and 25 h days', () => {
    const spring = localMidnights(at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'), PARIS);
    expect(spring.map((t) => isoLocal(t, PARIS))).toEqual([
      '2026-03-28T00:00:00+01:00',
      '2026-03-29T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ]);
    expect(spring[2]! - spring[1]!).toBe(23 * HOUR);
    const fall = localMidnights(at('2026-10-25T00:30:00+02:00'), at('2026-10-26T00:00:00+01:00'), PARIS);
    expect(fall).toHaveLength(1);
    expect(localMidnights(fall[0]!, fall[0]! + 26 * HOUR, PARIS)[1]! - fall[0]!).toBe(25 * HOUR);
    expect(startOfLocalDay(at('2026-10-25T23:00:00+01:00'), PARIS)).toBe(fall[0]);
  });

  it('places a local time on a given date', () => {
    expect(localInstant({ year: 2026, month: 10, day: 25 }, '02:00', PARIS)).toBe(at('2026-10-25T00:00:00Z'));
    expect(localInstant({ year: 2026, month: 3, day: 29 }, '02:00', PARIS)).toBe(at('2026-03-29T01:00:00Z'));
    expect(localTimeOn(at('2026-06-01T21:59:00Z'), '07:00', PARIS)).toBe(at('2026-06-01T07:00:00+02:00'));
  });

  it('rejects malformed local times', () => {
    expect(() => parseHhmm('7:00')).toThrow('not a local time');
    expect(() => parseHhmm('24:00')).toThrow();
    expect(parseHhmm('23:59')).toEqual({ hour: 23, minute: 59 });
  });
});

describe('ISO 8601', () => {
  it('prints local time with the offset in force, to the second', () => {
    expect(isoLocal(at('2026-03-29T05:00:00Z'), PARIS)).toBe('2026-03-29T07:00:00+02:00');
    expect(isoLocal(at('2026-01-15T06:00:00.789Z'), PARIS)).toBe('2026-01-15T07:00:00+01:00');
    expect(isoLocal(at('2026-10-25T00:30:00Z'), PARIS)).toBe('2026-10-25T02:30:00+02:00');
    expect(isoLocal(at('2026-10-25T01:30:00Z'), PARIS)).toBe('2026-10-25T02:30:00+01:00');
    expect(isoLocal(at('2026-06-01T10:00:00Z'), 'UTC')).toBe('2026-06-01T10:00:00Z');
  });

  it('parses instants with an offset or Z, and local times in the zone', () => {
    expect(parseIso('2026-06-01T10:00:00Z', PARIS)).toBe(at('2026-06-01T10:00:00Z'));
    expect(parseIso('2026-06-01T12:00:00+02:00', PARIS)).toBe(at('2026-06-01T10:00:00Z'));
    expect(parseIso('2026-06-01T12:00', PARIS)).toBe(at('2026-06-01T10:00:00Z'));
    expect(parseIso('tomorrow', PARIS)).toBeNaN();
  });
});
