/**
 * The smart-charging policy of a charger (`smart_charging`, docs/engine.md#plans): validation of
 * `/set {"smart_charging": {…}}` (a partial object is merged into the policy in force).
 */
import type { SmartChargingConfig } from '../config/types.js';
import { listProblems } from './problems.js';

const KEYS = ['deadline', 'energy', 'minimum_energy'] as const;
/** Largest energy a policy may ask for, kWh (no car battery is larger). */
export const MAX_POLICY_ENERGY = 250;

/** "HH:MM" with 00 ≤ HH ≤ 23, 00 ≤ MM ≤ 59. */
export function isClockTime(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{2}:\d{2}$/.test(v)) return false;
  const [h, m] = v.split(':').map(Number) as [number, number];
  return h <= 23 && m <= 59;
}

/**
 * Merges a `smart_charging` value into `current` and checks it; returns the new policy or an
 * error naming the key and what is allowed. `raw` may be a JSON object or its text (`/set/smart_charging`).
 */
export function mergePolicy(
  raw: unknown,
  current: SmartChargingConfig | null,
): { ok: true; policy: SmartChargingConfig } | { ok: false; error: string } {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, error: 'smart_charging: not a JSON object' };
    }
  }
  const shape = 'an object with deadline ("HH:MM"), energy (kWh) and minimum_energy (kWh)';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: `smart_charging: must be ${shape}` };
  const patch = value as Record<string, unknown>;
  const unknown = Object.keys(patch).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0)
    return { ok: false, error: `smart_charging: unknown key "${unknown[0]}"; allowed: ${KEYS.join(', ')}` };
  const errors: string[] = [];
  if ('deadline' in patch && !isClockTime(patch.deadline))
    errors.push('smart_charging.deadline: must be a local time "HH:MM" (00:00 to 23:59)');
  for (const k of ['energy', 'minimum_energy'] as const) {
    if (!(k in patch)) continue;
    const v = patch[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_POLICY_ENERGY)
      errors.push(`smart_charging.${k}: must be a number of kWh from 0 to ${MAX_POLICY_ENERGY}`);
  }
  if (errors.length > 0) return { ok: false, error: listProblems(errors) };
  const merged = { ...(current ?? {}), ...patch } as Partial<SmartChargingConfig>;
  if (merged.deadline === undefined || merged.energy === undefined)
    return {
      ok: false,
      error: 'smart_charging: no policy yet; send deadline ("HH:MM") and energy (kWh) at least',
    };
  const policy: SmartChargingConfig = {
    deadline: merged.deadline,
    energy: merged.energy,
    minimum_energy: merged.minimum_energy ?? 0,
  };
  if (policy.energy <= 0) return { ok: false, error: 'smart_charging.energy: must be more than 0 kWh' };
  if (policy.minimum_energy > policy.energy)
    return {
      ok: false,
      error: `smart_charging.minimum_energy: must be <= energy (${policy.energy} kWh)`,
    };
  return { ok: true, policy };
}
