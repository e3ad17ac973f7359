import { CHARGER_ENTITY, type ChargerContext, type EntityDef } from './entities.js';
import { AUTOMATIC_MODES, type ChargerReading, MODES, type Mode, type Scalar } from './model.js';
import { listProblems } from './problems.js';
import { coerceValue } from './values.js';

/** Where a command came from. */
export type CommandSource = 'mqtt' | 'homie' | 'engine' | 'ui';

/** Options of a `/set`. */
export interface SetOptions {
  source: CommandSource;
  /** The value came on `/set/<key>` as raw text (numeric text is then a number). */
  rawTopic: boolean;
  /** Merged commands: the keys whose value came as raw text (`rawTopic` applies to the rest). */
  rawKeys?: ReadonlySet<string>;
}

/** The answer to a command (`<id>/response`, docs/mqtt-api.md#command-rules). */
export type CommandResult =
  | { status: 'ok'; data: Record<string, Scalar> }
  | { status: 'error'; error: string };

/** What validation needs to know about the charger. */
export interface SetContext {
  ctx: ChargerContext;
  entities: ReadonlyArray<EntityDef<ChargerContext>>;
  mode: Mode;
  reading: ChargerReading;
  /** Null when the mode is usable, else what it needs. */
  checkMode(mode: Mode): string | null;
}

const CONTROL_KEYS = ['enabled', 'charge_current', 'phases'] as const;

/**
 * Validates a `/set` against the catalog and the command rules of docs/mqtt-api.md; returns the coerced
 * values and the mode that results, or an error naming the key and the allowed values.
 */
export function validateSet(
  raw: Record<string, unknown>,
  opts: SetOptions,
  s: SetContext,
):
  | { status: 'ok'; values: Record<string, Scalar>; mode: Mode; chargeNow: boolean }
  | { status: 'error'; error: string } {
  const writable = s.entities.filter((e) => e.writable?.(s.ctx)).map((e) => e.key);
  const list = writable.join(', ');
  const errors: string[] = [];
  const values: Record<string, Scalar> = {};
  for (const [key, v] of Object.entries(raw)) {
    const e = CHARGER_ENTITY.get(key);
    if (!e) errors.push(`unknown key "${key}"; writable keys: ${list}`);
    else if (!e.has(s.ctx))
      errors.push(`"${key}" is not available on this charger (${s.ctx.cfg.type}); writable keys: ${list}`);
    else if (!e.writable?.(s.ctx)) errors.push(`"${key}" is read-only; writable keys: ${list}`);
    else if (key === 'mode' && unavailableMode(v, s)) errors.push(unavailableMode(v, s)!);
    else {
      const c = coerceValue(e, s.ctx, v, opts.rawTopic || opts.rawKeys?.has(key) === true);
      if (c.ok) values[key] = c.value;
      else errors.push(c.error);
    }
  }
  if (errors.length > 0) return { status: 'error', error: listProblems(errors) };

  const cc = values.charge_current;
  if (typeof cc === 'number') {
    const err = checkSetpoint(cc, s);
    if (err) return { status: 'error', error: err };
  }

  const control = CONTROL_KEYS.filter((k) => k in values);
  let mode = s.mode;
  if (typeof values.mode === 'string') {
    const m = values.mode as Mode;
    const why = unavailableMode(m, s);
    if (why) return { status: 'error', error: why };
    const bad = contradiction(m, values, s.ctx.cfg.max_current, control);
    if (bad) return { status: 'error', error: bad };
    mode = m;
  } else if (AUTOMATIC_MODES.has(mode) && control.length > 0) {
    // in smart, `enabled: true` alone is "charge now": the plan is overridden, the mode stays
    if (mode === 'smart' && control.length === 1 && values.enabled === true)
      return { status: 'ok', values, mode, chargeNow: true };
    // people win over the engine: a manual value switches the charger to manual (docs/mqtt-api.md)
    mode = 'manual';
  }
  return { status: 'ok', values, mode, chargeNow: false };
}

/**
 * A known mode this charger cannot use, answered with what is missing (docs/mqtt-api.md, command
 * rules): `mode: solar needs a grid meter (meters[].role: grid); modes available here: …`.
 */
function unavailableMode(raw: unknown, s: SetContext): string | null {
  const m = typeof raw === 'string' ? raw.trim() : undefined;
  if (m === undefined || !(MODES as readonly string[]).includes(m)) return null;
  const why =
    s.checkMode(m as Mode) ?? (s.ctx.modes.includes(m as Mode) ? null : `${m} is not available here`);
  return why ? `mode: ${why}; modes available here: ${s.ctx.modes.join(', ')}` : null;
}

/** Bidirectional setpoint rules: no magnitude between 0 and min_current; discharge needs a known, high enough SoC. */
function checkSetpoint(cc: number, s: SetContext): string | null {
  const { cfg, caps } = s.ctx;
  if (!caps.bidirectional) return null;
  if (cc !== 0 && Math.abs(cc) < cfg.min_current) {
    return `charge_current: ${cc} is too small; use 0 (idle) or a magnitude of at least ${cfg.min_current} A`;
  }
  if (cc < 0) {
    const soc = s.reading.values.state_of_charge;
    if (typeof soc !== 'number')
      return 'charge_current: cannot discharge while the state of charge is unknown';
    if (soc <= cfg.min_state_of_charge) {
      return `charge_current: cannot discharge: state of charge ${soc} % is not above min_state_of_charge (${cfg.min_state_of_charge} %)`;
    }
  }
  return null;
}

/** A `/set` that asks for a mode and contradicts it is rejected whole. */
function contradiction(
  mode: Mode,
  values: Record<string, Scalar>,
  maxCurrent: number,
  control: readonly string[],
): string | null {
  if (mode === 'manual' || control.length === 0) return null;
  if (mode === 'off') {
    if (values.enabled === true) return 'mode off contradicts enabled: true; send one or the other';
    return null;
  }
  if (mode === 'fast') {
    if (values.enabled === false) return 'mode fast contradicts enabled: false; send one or the other';
    if ('charge_current' in values && values.charge_current !== maxCurrent) {
      return `mode fast charges at max_current (${maxCurrent} A); it contradicts charge_current ${values.charge_current}`;
    }
    return null;
  }
  return `mode ${mode} sets ${control.join(', ')} itself; send the mode alone, or use mode manual`;
}
