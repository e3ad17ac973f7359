/**
 * The OCPP 1.6J messages the central system reads and sends (OCPP 1.6 edition 2, JSON schemas of
 * ocpp-rpc). Inbound payloads are untrusted: read them through the lenient helpers below, never
 * by casting (chargers send numbers as strings, unknown enum values, extra fields).
 */

/** ChargePointStatus (StatusNotification.status). */
export type ConnectorStatus =
  | 'Available'
  | 'Preparing'
  | 'Charging'
  | 'SuspendedEVSE'
  | 'SuspendedEV'
  | 'Finishing'
  | 'Reserved'
  | 'Unavailable'
  | 'Faulted';

/** One sampledValue of a MeterValues (all optional but `value`, which is a string on the wire). */
export interface SampledValue {
  value: string;
  context?: string;
  format?: string;
  measurand?: string;
  phase?: string;
  location?: string;
  unit?: string;
}

/** One meterValue: a timestamp and its samples. */
export interface MeterValue {
  timestamp: string;
  sampledValue: SampledValue[];
}

/** csChargingProfiles of SetChargingProfile. */
export interface ChargingProfile {
  chargingProfileId: number;
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
  chargingProfileKind: 'Absolute' | 'Recurring' | 'Relative';
  chargingSchedule: {
    startSchedule?: string;
    chargingRateUnit: 'A' | 'W';
    chargingSchedulePeriod: Array<{ startPeriod: number; limit: number; numberPhases?: number }>;
  };
}

/** A configuration key as GetConfiguration returns it. */
export interface ConfigurationKey {
  key: string;
  readonly?: boolean;
  value?: string;
}

/** A plain object from untrusted JSON, or an empty one. */
export function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A string field (numbers turned into strings), else undefined. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A number field (numeric strings accepted, trimmed), else undefined. */
export function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The meterValue list of a MeterValues or StopTransaction.transactionData, leniently. */
export function meterValues(v: unknown): MeterValue[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((mv) => {
    const m = record(mv);
    const timestamp = text(m.timestamp);
    if (!timestamp || !Array.isArray(m.sampledValue)) return [];
    const sampledValue = m.sampledValue.flatMap((sv) => {
      const s = record(sv);
      const value = text(s.value);
      if (value === undefined) return [];
      const out: SampledValue = { value };
      for (const k of ['context', 'format', 'measurand', 'phase', 'location', 'unit'] as const) {
        const x = text(s[k]);
        if (x !== undefined) out[k] = x;
      }
      return [out];
    });
    return [{ timestamp, sampledValue }];
  });
}
