import type { ChargerConfig } from '../config/types.js';
import type { ChargerCapabilities } from '../drivers/types.js';
import type { ChargerContext, EntityDef } from './entities.js';
import { type ChargerReading, type Mode, readingStatus, type Scalar, type Targets } from './model.js';

/**
 * A charger's targets, state and command answers as pure functions of what the runtime knows
 * (charger-runtime.ts keeps the knowing; this file the deriving).
 */

/** Effective limits: configuration ∩ device, A. */
export function effectiveLimits(
  cfg: ChargerConfig,
  r: ChargerReading | undefined,
): { min: number; max: number } {
  return {
    min: Math.max(cfg.min_current, r?.deviceMinCurrent ?? 0),
    max: Math.min(cfg.max_current, r?.deviceMaxCurrent ?? Number.POSITIVE_INFINITY),
  };
}

/**
 * The targets in force: the bridge's own, or (while adopting, `targets` null) the device's values,
 * with the current clamped to the configured range, as the bridge never commands more (docs/mqtt-api.md).
 */
export function targetsInForce(
  targets: Targets | null,
  r: ChargerReading | undefined,
  cfg: ChargerConfig,
  caps: ChargerCapabilities,
): Targets {
  if (targets) return targets;
  const phases = r?.values.phases;
  const low = caps.bidirectional ? -cfg.max_discharge_current : cfg.min_current;
  const device = r?.chargeCurrent ?? cfg.min_current;
  const current = caps.bidirectional && device === 0 ? 0 : Math.min(cfg.max_current, Math.max(low, device));
  return {
    enabled: r?.enabled ?? true,
    charge_current: current,
    ...(caps.writable.has('phases') && (phases === 1 || phases === 3) ? { phases } : {}),
    extra: {},
  };
}

/** `next` with a validated `/set`'s values written in (mode aside). */
export function withValues(next: Targets, values: Record<string, Scalar>): Targets {
  const out = { ...next, extra: { ...next.extra } };
  for (const [k, v] of Object.entries(values)) {
    if (k === 'mode') continue;
    if (k === 'enabled') out.enabled = v as boolean;
    else if (k === 'charge_current') out.charge_current = v as number;
    else if (k === 'phases') out.phases = v as 1 | 3;
    else out.extra[k] = v;
  }
  return out;
}

/** What a charger's runtime knows, for its state and its command answers. */
export interface ChargerFacts {
  cfg: ChargerConfig;
  ctx: ChargerContext;
  entities: ReadonlyArray<EntityDef<ChargerContext>>;
  reading: ChargerReading | undefined;
  /** The bridge's targets, null while it adopts the device's values. */
  targets: Targets | null;
  mode: Mode;
}

/** The data of a command's answer: the writable keys with the values in force. */
export function commandResponse(f: ChargerFacts, smartPolicy: object | null): Record<string, Scalar> {
  const t = targetsInForce(f.targets, f.reading, f.cfg, f.ctx.caps);
  const data: Record<string, Scalar> = { enabled: t.enabled, charge_current: t.charge_current, mode: f.mode };
  // the policy is a writable target too (an object; JSON carries it as is)
  if (f.ctx.modes.includes('smart') && smartPolicy) data.smart_charging = smartPolicy as unknown as Scalar;
  for (const e of f.entities) {
    if (!e.writable?.(f.ctx) || e.key in data) continue;
    data[e.key] =
      e.key === 'phases'
        ? (t.phases ?? (f.reading?.values.phases as Scalar) ?? null)
        : (t.extra[e.key] ?? f.reading?.values[e.key] ?? null);
  }
  return data;
}

/** The published state object of a charger (one key per entity, plus `decision`). */
export function chargerState(
  f: ChargerFacts,
  r: ChargerReading,
  more: {
    failsafe: string | null;
    /** The bridge's own note (adoption, device cap), shown as `error` when the device has none. */
    note: string | null;
    lastOkAt: number | undefined;
    decision: Record<string, unknown> | null;
  },
): Record<string, unknown> {
  const enabled = r.enabled ?? f.targets?.enabled ?? true;
  const { min, max } = effectiveLimits(f.cfg, r);
  const fixed: Record<string, unknown> = {
    status: readingStatus(r, enabled),
    vehicle_connected: r.vehicleConnected,
    charging: r.charging,
    enabled,
    charge_current: r.chargeCurrent,
    min_current: min,
    max_current: max,
    mode: f.mode,
    failsafe: more.failsafe,
    error: r.fault ?? more.note ?? aboveMax(f, r),
    last_seen: more.lastOkAt === undefined ? null : new Date(more.lastOkAt).toISOString(),
  };
  const state: Record<string, unknown> = {};
  for (const e of f.entities) state[e.key] = e.key in fixed ? fixed[e.key] : (r.values[e.key] ?? null);
  if (more.decision) state.decision = more.decision;
  return state;
}

/** While adopting the device's values: say so when the device runs above the configured maximum. */
function aboveMax(f: ChargerFacts, r: ChargerReading): string | null {
  if (f.targets || r.chargeCurrent <= f.cfg.max_current + f.ctx.caps.resolution / 2) return null;
  return `the device's limit (${r.chargeCurrent} A) is above max_current (${f.cfg.max_current} A); send a charge_current to take control`;
}

/** Where a reading disagrees with the bridge's targets (adoption, docs/mqtt-api.md#command-rules). */
export interface Disagreement {
  /** The device holds charge_current at its own maximum, below the target. */
  capped: boolean;
  /** Keys that differ: control, enabled, charge_current, phases. */
  diffs: string[];
}

/** Compares a reading with the targets; `controlYielded`: the device's own control flag is no news. */
export function disagreement(
  r: ChargerReading,
  t: Targets,
  caps: ChargerCapabilities,
  controlYielded: boolean,
): Disagreement {
  const half = caps.resolution / 2;
  const capped =
    r.deviceMaxCurrent !== undefined &&
    t.charge_current > r.chargeCurrent + half &&
    r.chargeCurrent >= r.deviceMaxCurrent - half;
  const diffs: string[] = [];
  if (r.overridden && !controlYielded) diffs.push('control');
  if (r.enabled !== null && !r.held && r.enabled !== t.enabled) diffs.push('enabled');
  if (!capped && Math.abs(r.chargeCurrent - t.charge_current) > half) diffs.push('charge_current');
  const phases = r.values.phases;
  if (caps.writable.has('phases') && t.phases && typeof phases === 'number' && phases !== t.phases)
    diffs.push('phases');
  return { capped, diffs };
}

/**
 * The targets after adopting the device's values: none when a person holds the device (its own
 * control flag; the next command then writes every key), else the device's enabled, current and
 * phases.
 */
export function adoptedTargets(r: ChargerReading, t: Targets, d: Disagreement): Targets | null {
  if (d.diffs.includes('control')) return null;
  const phases = r.values.phases;
  return {
    ...t,
    enabled: r.enabled ?? t.enabled,
    charge_current: d.capped ? t.charge_current : r.chargeCurrent,
    ...(t.phases && (phases === 1 || phases === 3) ? { phases } : {}),
  };
}

/** Every key of a target set. */
export function allKeys(t: Targets): Set<string> {
  return new Set(['enabled', 'charge_current', ...(t.phases ? ['phases'] : []), ...Object.keys(t.extra)]);
}

/** Keys whose value differs between two target sets. */
export function changedKeys(a: Targets, b: Targets): Set<string> {
  const out = new Set<string>();
  if (a.enabled !== b.enabled) out.add('enabled');
  if (Math.abs(a.charge_current - b.charge_current) > 1e-6) out.add('charge_current');
  if (b.phases !== undefined && a.phases !== b.phases) out.add('phases');
  for (const [k, v] of Object.entries(b.extra)) if (a.extra[k] !== v) out.add(k);
  return out;
}

/** Equal state values: scalars by value, objects (the decision) by their JSON. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
