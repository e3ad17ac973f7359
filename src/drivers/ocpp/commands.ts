import type { OnExit } from '../../core/model.js';
import type { ChargePoint } from './charge-point.js';
import type { AcceptedTarget } from './connector.js';
import { buildProfile, ladder, profileId } from './profiles.js';
import { record, text } from './wire.js';

/** ms for a whole command, fallback ladder included (`ok` only on Accepted within it). */
export const COMMAND_TIMEOUT_MS = 10_000;

/** The calls `bridge/request/ocpp` forwards; the others could end transactions or the bridge's control. */
export const FORWARDED_ACTIONS: ReadonlySet<string> = new Set([
  'GetConfiguration',
  'ChangeConfiguration',
  'TriggerMessage',
  'Reset',
  'ClearChargingProfile',
  'GetCompositeSchedule',
  'UnlockConnector',
]);

function refusal(status: string): string {
  if (status === 'NotSupported') return 'charger answered NotSupported: it does not do smart charging';
  // Schneider EVlink says plain Rejected when its external energy management is off (lbbrhzn/ocpp#877)
  return `charger answered ${status}`;
}

/**
 * Sends the target as a charging profile (limit 0 pauses: the transaction stays open; never
 * RemoteStopTransaction, after which many chargers want a re-plug: evcc-io/evcc#14348). A Rejected
 * profile climbs the ladder (profiles.ts); the variant that worked is remembered. Resolves only on
 * Accepted within COMMAND_TIMEOUT_MS; throws an Error whose message is fit for the user.
 */
export async function applyTarget(cp: ChargePoint, t: AcceptedTarget): Promise<void> {
  if (!cp.queue.connected) throw new Error('charger offline');
  const { clock, store } = cp.deps;
  const deadline = clock.now() + COMMAND_TIMEOUT_MS;
  const tx = cp.cfg.profile === 'tx' ? cp.connector.transactionId : null;
  let last = 'Rejected';
  for (const variant of ladder(store.variant(cp.cfg.id), cp.maxStackLevel)) {
    const payload = buildProfile(
      {
        connector: cp.cfg.connector,
        limitA: t.enabled ? t.current : 0,
        unit: cp.rateUnit,
        voltage: cp.connector.voltage ?? cp.cfg.voltage,
        phases: cp.cfg.phases,
        maxStackLevel: cp.maxStackLevel,
        transactionId: tx,
        now: clock.now(),
      },
      variant,
    );
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw new Error('charger did not answer');
    const answer = await cp.queue.call('SetChargingProfile', payload, {
      timeoutMs: remaining,
      key: 'target',
    });
    const status = text(record(answer).status) ?? 'no status';
    if (status === 'Accepted') {
      store.setVariant(cp.cfg.id, variant);
      cp.accepted = { ...t };
      cp.stackLevel = payload.csChargingProfiles.stackLevel;
      cp.log.info(
        { variant, limit: payload.csChargingProfiles.chargingSchedule },
        'charging profile accepted',
      );
      if (t.enabled) remoteStartIfWanted(cp);
      return;
    }
    last = status;
    cp.log.info({ variant, status }, `charging profile ${status}`);
    if (status !== 'Rejected') break; // NotSupported: another shape will not help
  }
  throw new Error(refusal(last));
}

/**
 * `remote_start`: a charger that cannot start a session by itself (Autel, Wallbox FW5) gets
 * RemoteStartTransaction when a vehicle is plugged in without a transaction and the bridge lets it charge.
 */
export function remoteStartIfWanted(cp: ChargePoint): void {
  const c = cp.connector;
  if (c.status === 'Available') cp.remoteStartSent = false;
  if (!cp.cfg.remote_start || cp.remoteStartSent || !cp.online) return;
  if (c.status !== 'Preparing' || c.transactionId !== null || cp.accepted?.enabled === false) return;
  cp.remoteStartSent = true;
  cp.queue
    .call(
      'RemoteStartTransaction',
      { connectorId: cp.cfg.connector, idTag: remoteIdTag(cp) },
      { timeoutMs: COMMAND_TIMEOUT_MS },
    )
    .then(
      (r) => cp.log.info({ status: text(record(r).status) }, 'RemoteStartTransaction answered'),
      (e: Error) => cp.log.warn({ err: e.message }, `RemoteStartTransaction failed: ${e.message}`),
    );
}

/** Default of `id_tag` in meta.ts. */
const DEFAULT_ID_TAG = 'evse2mqtt';

/**
 * The idTag of a remote start: the configured one; with the default, Alfen's own
 * `PlugAndChargeIdentifier` when the charger has one (it rejects other tags: lbbrhzn/ocpp#514, evcc PR #5021).
 */
export function remoteIdTag(cp: ChargePoint): string {
  const alfen = cp.config.get('PlugAndChargeIdentifier');
  if (cp.cfg.id_tag === DEFAULT_ID_TAG && alfen && alfen.length <= 20) return alfen;
  return cp.cfg.id_tag;
}

/** `on_exit`: release = clear the bridge's profiles; pause = the limit-0 profile stays; keep = nothing. */
export async function exitAction(cp: ChargePoint, action: OnExit): Promise<void> {
  if (action === 'keep') return;
  if (action === 'pause') {
    await applyTarget(cp, { enabled: false, current: cp.accepted?.current ?? cp.cfg.max_current });
    return;
  }
  for (const purpose of ['TxDefaultProfile', 'TxProfile'] as const) {
    await cp.queue.call(
      'ClearChargingProfile',
      { id: profileId(purpose, cp.cfg.connector) },
      { timeoutMs: 3_000 },
    );
  }
}

/** `bridge/request/ocpp`: one call forwarded as is; the charger's reply. */
export async function forward(
  cp: ChargePoint,
  action: string,
  payload: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (!FORWARDED_ACTIONS.has(action))
    throw new Error(
      `action: expected one of ${[...FORWARDED_ACTIONS].join(', ')}, got ${JSON.stringify(action)}`,
    );
  return record(await cp.queue.call(action, payload, { timeoutMs: COMMAND_TIMEOUT_MS }));
}
