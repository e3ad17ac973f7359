import type { EntityDef } from './entities.js';
import type { Scalar } from './model.js';

/** Result of coercing one command value. */
export type Coerced = { ok: true; value: Scalar } | { ok: false; error: string };

const TRUE = new Set(['true', 'on', '1']);
const FALSE = new Set(['false', 'off', '0']);

/**
 * Coerces a command value for `entity` (docs/mqtt-api.md#command-rules): booleans from true/false,
 * "ON"/"OFF", "true"/"false", 1/0; numbers must be JSON numbers (or numeric text on a raw
 * `/set/<key>` topic) inside the range and on the resolution grid; enums must be an option.
 */
export function coerceValue<C>(entity: EntityDef<C>, ctx: C, raw: unknown, rawTopic: boolean): Coerced {
  const key = entity.key;
  switch (entity.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 1 || raw === 0) return { ok: true, value: raw === 1 };
      if (typeof raw === 'string') {
        const t = raw.trim().toLowerCase();
        if (TRUE.has(t)) return { ok: true, value: true };
        if (FALSE.has(t)) return { ok: true, value: false };
        if (t === 'toggle')
          return { ok: false, error: `${key}: TOGGLE is not supported; send ON or OFF (true/false)` };
      }
      return { ok: false, error: `${key}: expected ON/OFF or true/false, got ${show(raw)}` };
    }
    case 'number': {
      let n: number | undefined;
      if (typeof raw === 'number') n = raw;
      else if (rawTopic && typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)))
        n = Number(raw);
      const r = entity.range?.(ctx);
      const allowed = r ? describeRange(r.min, r.max, r.step, entity.unit) : 'a number';
      if (n === undefined || !Number.isFinite(n))
        return { ok: false, error: `${key}: expected a number (${allowed}), got ${show(raw)}` };
      if (r) {
        if (n < r.min - 1e-9 || n > r.max + 1e-9)
          return { ok: false, error: `${key}: ${n} is out of range; allowed ${allowed}` };
        const steps = (n - r.min) / r.step;
        if (Math.abs(steps - Math.round(steps)) > 1e-6) {
          return {
            ok: false,
            error: `${key}: ${n} is off the ${r.step} ${entity.unit ?? ''} grid; allowed ${allowed}`.replace(
              '  ',
              ' ',
            ),
          };
        }
        n = Math.round(n / r.step) * r.step;
        n = Math.round(n * 1000) / 1000;
      }
      return { ok: true, value: n };
    }
    case 'enum': {
      const options = entity.options?.(ctx) ?? [];
      const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
      if (s !== undefined && options.includes(s)) return { ok: true, value: /^\d+$/.test(s) ? Number(s) : s };
      return { ok: false, error: `${key}: expected one of ${options.join(', ')}, got ${show(raw)}` };
    }
    case 'string':
    case 'timestamp':
      if (typeof raw === 'string') return { ok: true, value: raw };
      return { ok: false, error: `${key}: expected a string, got ${show(raw)}` };
  }
}

/** "6 to 32 A in steps of 1". */
export function describeRange(min: number, max: number, step: number, unit?: string): string {
  const u = unit ? ` ${unit}` : '';
  return `${min} to ${max}${u}${step !== 1 ? ` in steps of ${step}` : ''}`;
}

/** How a received value is quoted in an error. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
