import type { Logger } from 'pino';
import type { ChargerConfig, SmartChargingConfig } from '../config/types.js';
import type { ChargerDriver } from '../drivers/types.js';
import { type Clock, withTimeout } from './clock.js';
import type { ChargerReading, Mode, Scalar, Targets } from './model.js';
import { type CommandResult, type SetContext, type SetOptions, validateSet } from './set-command.js';
import { mergePolicy } from './smart-policy.js';

/** A person's `/set` checked and ready to run: the values, the resulting mode and a new policy, if any. */
export interface PreparedSet {
  status: 'ok';
  values: Record<string, Scalar>;
  mode: Mode;
  chargeNow: boolean;
  /** A new smart-charging policy sent with the command, else null. */
  policy: SmartChargingConfig | null;
}

/**
 * Checks a person's `/set` (docs in README, "Charger entities"): `smart_charging` merged into the
 * policy in force, the other keys validated with the mode rules, and `mode: smart` only with a policy.
 */
export function prepareSet(
  raw: Record<string, unknown>,
  opts: SetOptions,
  s: SetContext,
  policyInForce: SmartChargingConfig | null,
): PreparedSet | Extract<CommandResult, { status: 'error' }> {
  let policy: SmartChargingConfig | null = null;
  let body = raw;
  if ('smart_charging' in raw) {
    if (!s.ctx.modes.includes('smart'))
      return { status: 'error', error: 'smart_charging: smart charging is not available here' };
    const merged = mergePolicy(raw.smart_charging, policyInForce);
    if (!merged.ok) return { status: 'error', error: merged.error };
    policy = merged.policy;
    const { smart_charging: _, ...rest } = raw;
    body = rest;
  }
  const checked = validateSet(body, opts, s);
  if (checked.status === 'error') return checked;
  if (checked.mode === 'smart' && !(policy ?? policyInForce))
    return {
      status: 'error',
      error:
        'mode: smart needs a policy; send smart_charging {"deadline":"HH:MM","energy":kWh} with it, or configure chargers[].smart_charging',
    };
  return { ...checked, policy };
}

/**
 * Writes `next` (the `changed` keys) within `timeoutMs`; resolves with the targets the device now
 * holds: `next` plus keys the device changed as a side effect. Rejects with a user-fit message.
 */
export async function applyToDevice(
  driver: ChargerDriver,
  next: Targets,
  changed: ReadonlySet<string>,
  clock: Clock,
  timeoutMs: number,
): Promise<Targets> {
  const side = await withTimeout(
    clock,
    driver.apply(next, changed),
    timeoutMs,
    `the charger did not answer within ${timeoutMs / 1000} s`,
  );
  return side && Object.keys(side).length > 0 ? { ...next, extra: { ...next.extra, ...side } } : next;
}

/** `reading` showing accepted targets (enabled, limit, phases, extra keys) until the device is read again. */
export function withAcceptedTargets(reading: ChargerReading, next: Targets): ChargerReading {
  return {
    ...reading,
    enabled: reading.enabled === null ? null : next.enabled,
    chargeCurrent: next.charge_current,
    values: { ...reading.values, ...(next.phases ? { phases: next.phases } : {}), ...next.extra },
  };
}

/** Leaves a charger as `on_exit` says, within `timeoutMs` (skipped while offline: no driver); failures are logged, never thrown. */
export async function leaveCharger(
  driver: ChargerDriver | undefined,
  cfg: ChargerConfig,
  deps: { clock: Clock; log: Logger },
  timeoutMs: number,
): Promise<void> {
  if (!driver) {
    deps.log.info('offline at shutdown; on_exit skipped');
    return;
  }
  try {
    await withTimeout(
      deps.clock,
      driver.exit(cfg.on_exit),
      timeoutMs,
      `no answer within ${timeoutMs / 1000} s`,
    );
    deps.log.info({ on_exit: cfg.on_exit }, 'left the charger as on_exit says');
  } catch (e) {
    deps.log.error({ on_exit: cfg.on_exit, err: (e as Error).message }, 'on_exit failed');
  }
}
