/**
 * Parses the tariff topic's payload (`tariff.topic`, docs/engine.md#tariff): a JSON array of
 * `{"start": ISO 8601, "end": ISO 8601, "price": number}`, in any order, without overlaps.
 * `value` is accepted for `price`, so the `raw_today` / `raw_tomorrow` lists of the Home Assistant
 * Nord Pool integration can be forwarded as they are. Times without an offset are local times in
 * site.timezone.
 */
import { parseIso } from '../core/local-time.js';
import type { PriceSlot } from './tariff.js';

/** A parsed price list, sorted by start, or why it was rejected. */
export type ParsedPrices = { ok: true; slots: PriceSlot[] } | { ok: false; why: string };

/** At most this many entries (a year of quarter hours is 35 040). */
const MAX_ENTRIES = 50_000;

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** Parses one price list payload; `tz` is site.timezone. */
export function parsePriceList(text: string, tz: string): ParsedPrices {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, why: `not JSON (expected [{"start","end","price"}, …]): ${preview(text)}` };
  }
  if (!Array.isArray(doc))
    return { ok: false, why: `not a JSON array (expected [{"start","end","price"}, …]): ${preview(text)}` };
  if (doc.length > MAX_ENTRIES) return { ok: false, why: `${doc.length} entries, more than ${MAX_ENTRIES}` };
  const slots: PriceSlot[] = [];
  for (const [i, raw] of doc.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      return { ok: false, why: `entry ${i} is not an object {"start","end","price"}` };
    const e = raw as Record<string, unknown>;
    const start = typeof e.start === 'string' ? parseIso(e.start, tz) : Number.NaN;
    const end = typeof e.end === 'string' ? parseIso(e.end, tz) : Number.NaN;
    const price = e.price ?? e.value;
    if (!Number.isFinite(start))
      return {
        ok: false,
        why: `entry ${i}: "start" is not an ISO 8601 date-time: ${JSON.stringify(e.start)}`,
      };
    if (!Number.isFinite(end))
      return { ok: false, why: `entry ${i}: "end" is not an ISO 8601 date-time: ${JSON.stringify(e.end)}` };
    if (end <= start) return { ok: false, why: `entry ${i}: "end" ${e.end} is not after "start" ${e.start}` };
    if (typeof price !== 'number' || !Number.isFinite(price))
      return {
        ok: false,
        why: `entry ${i}: "price" is not a finite number: ${JSON.stringify(price ?? null)}`,
      };
    slots.push({ start, end, price });
  }
  const order = slots.map((s, i) => ({ s, i })).sort((a, b) => a.s.start - b.s.start);
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1]!;
    const cur = order[k]!;
    if (cur.s.start < prev.s.end) return { ok: false, why: `entries ${prev.i} and ${cur.i} overlap` };
  }
  return { ok: true, slots: order.map((o) => o.s) };
}
