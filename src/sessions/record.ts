/** Building session records from an open session (docs/sessions.md). */
import { isoLocal } from '../core/local-time.js';
import type { OpenSession, SessionRecord } from './types.js';

/** What a record depends on beyond the session itself. */
export interface RecordContext {
  /** IANA zone of the record's times (site.timezone). */
  timezone: string;
  /** The tariff currency; null without a tariff (cost null). */
  currency: string | null;
  /** A grid meter is configured (else solar energy and share are null). */
  hasGrid: boolean;
  /** The charger can discharge (the record has `discharged_energy`). */
  bidirectional: boolean;
}

/** Each open session's start as ISO text: formatting a time zone takes ~20 µs, a session is published every minute. */
const startText = new WeakMap<OpenSession, string>();

function startIso(s: OpenSession, tz: string): string {
  let text = startText.get(s);
  if (text === undefined) {
    text = isoLocal(s.start, tz);
    startText.set(s, text);
  }
  return text;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

/** The record of `s`: active, or ended at `endMs`. */
export function toRecord(
  s: OpenSession,
  ctx: RecordContext,
  endMs: number | null,
  now: number,
): SessionRecord {
  const energy = r3(s.energy);
  const solar = ctx.hasGrid ? r3(Math.min(s.solar, s.energy)) : null;
  const cost = ctx.currency !== null ? r4(s.cost) : null;
  const until = endMs ?? Math.max(now, s.start);
  const rec: SessionRecord = {
    id: s.id,
    charger: s.charger,
    state: endMs === null ? 'active' : 'ended',
    start: startIso(s, ctx.timezone),
    end: endMs === null ? null : isoLocal(endMs, ctx.timezone),
    energy,
    ...(ctx.bidirectional ? { discharged_energy: r3(s.discharged) } : {}),
    solar_energy: solar,
    solar_share: solar !== null && s.energy > 0 ? r3(Math.min(1, s.solar / s.energy)) : null,
    cost,
    currency: ctx.currency,
    average_price: cost !== null && s.energy > 0 ? r4(s.cost / s.energy) : null,
    max_power: s.maxPower,
    duration: Math.max(0, Math.round((until - s.start) / 1000)),
    charging_time: Math.round(s.chargingMs / 1000),
    modes: [...s.modes],
  };
  if (s.transactionId !== null) {
    rec.transaction_id = s.transactionId;
    rec.id_tag = s.idTag;
    rec.stop_reason = s.stopReason;
  }
  return rec;
}

/** A new open session of `charger` starting at `at` ms, with its first marks. */
export function newSession(
  charger: string,
  at: number,
  marks: Pick<OpenSession, 'total' | 'sessionEnergy' | 'power' | 'charging'>,
): OpenSession {
  return {
    id: `${charger}-${Math.floor(at / 1000)}`,
    charger,
    start: at,
    lastSeen: at,
    energy: 0,
    discharged: 0,
    solar: 0,
    cost: 0,
    maxPower: null,
    chargingMs: 0,
    modes: [],
    transactionId: null,
    idTag: null,
    stopReason: null,
    hasTransactions: false,
    at,
    total: marks.total,
    sessionEnergy: marks.sessionEnergy,
    power: marks.power,
    charging: marks.charging,
  };
}

/** An open session read back from state.json, or null when it is not one (a hand-edited file). */
export function parseOpenSession(v: unknown): OpenSession | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const num = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]);
  const numOrNull = (k: string) => o[k] === null || num(k);
  if (typeof o.id !== 'string' || typeof o.charger !== 'string') return null;
  for (const k of ['start', 'lastSeen', 'energy', 'discharged', 'solar', 'cost', 'chargingMs', 'at'])
    if (!num(k)) return null;
  for (const k of ['maxPower', 'total', 'sessionEnergy', 'power', 'transactionId'])
    if (!numOrNull(k)) return null;
  if (!Array.isArray(o.modes) || !o.modes.every((m) => typeof m === 'string')) return null;
  return {
    ...(o as unknown as OpenSession),
    idTag: typeof o.idTag === 'string' ? o.idTag : null,
    stopReason: typeof o.stopReason === 'string' ? o.stopReason : null,
    hasTransactions: o.hasTransactions === true,
    charging: o.charging === true,
  };
}
