import type { ChargePoint } from './charge-point.js';
import { applyTarget } from './commands.js';
import { rateUnit } from './profiles.js';
import { numeric, record, text } from './wire.js';

/** ms each set-up call may take. */
const STEP_TIMEOUT_MS = 10_000;

/** The measurands the bridge asks for (those the charger refuses are left out). */
export const WANTED_MEASURANDS = [
  'Energy.Active.Import.Register',
  'Power.Active.Import',
  'Current.Import',
  'Voltage',
  'SoC',
  'Current.Offered',
];

const call = (cp: ChargePoint, method: string, params: unknown) =>
  cp.queue.call(method, params, { timeoutMs: STEP_TIMEOUT_MS });

/** ChangeConfiguration; true when Accepted or RebootRequired (applies later; lbbrhzn `cfg_ok`). */
async function change(cp: ChargePoint, key: string, value: string): Promise<boolean> {
  const status = text(record(await call(cp, 'ChangeConfiguration', { key, value })).status);
  return status === 'Accepted' || status === 'RebootRequired';
}

/** One step: a refusal, a CALLERROR or a time-out is logged and the set-up goes on. */
async function step(cp: ChargePoint, name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!cp.queue.connected) throw e; // the socket closed: the next boot starts over
    cp.log.info({ err: (e as Error).message }, `${name} failed; set-up goes on`);
  }
}

/**
 * The set-up after each boot (README.md in this folder, "Connection"): read the configuration,
 * ask for the measurands and their interval, the connector's status, and re-apply the last
 * target answered `ok`.
 */
export async function runSetup(cp: ChargePoint): Promise<void> {
  try {
    await step(cp, 'GetConfiguration', async () => {
      const keys = record(await call(cp, 'GetConfiguration', {})).configurationKey;
      cp.config = new Map();
      for (const k of Array.isArray(keys) ? keys : []) {
        const key = text(record(k).key);
        const value = text(record(k).value);
        if (key && value !== undefined) cp.config.set(key, value);
      }
    });
    cp.rateUnit = rateUnit(cp.config.get('ChargingScheduleAllowedChargingRateUnit'));
    const stack = numeric(cp.config.get('ChargeProfileMaxStackLevel'));
    cp.maxStackLevel = stack !== undefined && stack >= 0 ? Math.floor(stack) : 0;
    await step(cp, 'MeterValuesSampledData', () => setMeasurands(cp));
    await step(cp, 'MeterValueSampleInterval', () =>
      change(cp, 'MeterValueSampleInterval', String(cp.cfg.meter_interval)),
    );
    await step(cp, 'TriggerMessage(StatusNotification)', () =>
      call(cp, 'TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: cp.cfg.connector }),
    );
    const target = cp.accepted;
    if (target) await step(cp, 'the target re-applied', () => applyTarget(cp, target));
    cp.log.info({ rate_unit: cp.rateUnit, max_stack_level: cp.maxStackLevel }, 'set-up done');
    cp.publish();
  } catch {
    cp.log.info('the charger disconnected during set-up');
  }
}

/**
 * MeterValuesSampledData as one list; if refused, each measurand alone, then the accepted ones
 * together (within MeterValuesSampledDataMaxLength). Measurand autodetection reboots some ABB
 * Terra AC firmwares (lbbrhzn/ocpp supported-devices), hence one list first.
 */
async function setMeasurands(cp: ChargePoint): Promise<void> {
  const max = numeric(cp.config.get('MeterValuesSampledDataMaxLength'));
  const limit = (list: string[]) => (max !== undefined && max > 0 ? list.slice(0, max) : list);
  if (await change(cp, 'MeterValuesSampledData', limit(WANTED_MEASURANDS).join(','))) return;
  const accepted: string[] = [];
  for (const m of WANTED_MEASURANDS) if (await change(cp, 'MeterValuesSampledData', m)) accepted.push(m);
  const kept = limit(accepted);
  if (kept.length > 1) await change(cp, 'MeterValuesSampledData', kept.join(','));
  cp.log.info({ measurands: kept }, 'measurands the charger accepted');
}
