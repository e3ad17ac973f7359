import type { MeterConfig } from '../config/types.js';
import type { MeterSample, MeterTypeDef } from './types.js';

/** Result of parsing one message of an MQTT meter. */
export type Parsed = { ok: true; sample: MeterSample } | { ok: false; why: string };

/** Reads a dotted key (`power`, `ENERGY.Power`, `emeters.0.power`) from a JSON value. */
export function dotted(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Parses a meter message: a plain number (ESPHome, Shelly Gen1 MQTT, Tasmota topics) or a JSON
 * object with the power at the dotted key `value` (Zigbee2MQTT, Tasmota SENSOR), optional
 * per-phase `current_keys` (A) and a `timestamp` key (ISO 8601 or epoch seconds). Power in W, as
 * the source signs it; `scale` is applied by the runtime.
 */
export function parseMeterMessage(text: string, cfg: MeterConfig): Parsed {
  let doc: unknown;
  if (cfg.value || cfg.current_keys || cfg.timestamp) {
    try {
      doc = JSON.parse(text);
    } catch {
      return {
        ok: false,
        why: `not JSON (expected an object with "${cfg.value ?? 'a value'}"): ${preview(text)}`,
      };
    }
  }
  const raw = cfg.value ? dotted(doc, cfg.value) : doc === undefined ? text : doc;
  const power = toNumber(raw);
  if (power === undefined) {
    return {
      ok: false,
      why: cfg.value ? `no number at "${cfg.value}" in ${preview(text)}` : `not a number: ${preview(text)}`,
    };
  }
  const sample: MeterSample = { power };
  const keys = cfg.current_keys ?? [];
  const phases = ['current_l1', 'current_l2', 'current_l3'] as const;
  keys.slice(0, 3).forEach((k, i) => {
    const c = toNumber(dotted(doc, k));
    sample[phases[i]!] = c ?? null;
  });
  if (cfg.timestamp) {
    const t = dotted(doc, cfg.timestamp);
    const at =
      typeof t === 'number' ? (t > 1e12 ? t : t * 1000) : typeof t === 'string' ? Date.parse(t) : Number.NaN;
    if (Number.isFinite(at)) sample.at = at;
  }
  return { ok: true, sample };
}

/** An availability message: Zigbee2MQTT `{"state":"offline"}`, ESPHome `online`/`offline`, Shelly `true`/`false`. */
export function parseAvailability(text: string): boolean | undefined {
  const t = text.trim();
  let v: unknown = t;
  try {
    v = JSON.parse(t);
  } catch {
    /* plain text */
  }
  if (typeof v === 'object' && v !== null) v = (v as { state?: unknown }).state;
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  if (s === 'online' || s === 'true' || s === 'connected') return true;
  if (s === 'offline' || s === 'false' || s === 'disconnected' || s === 'lost') return false;
  return undefined;
}

function preview(text: string): string {
  const t = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(t);
}

/** The `mqtt` meter type: anything on MQTT (Zigbee2MQTT, Shelly MQTT, ESPHome/Emporia Vue, Tasmota). */
export const mqttMeterType: MeterTypeDef = {
  type: 'mqtt',
  manufacturer: 'MQTT',
  model: 'MQTT meter',
  provides: (cfg) =>
    new Set(['power', ...['current_l1', 'current_l2', 'current_l3'].slice(0, cfg.current_keys?.length ?? 0)]),
};
