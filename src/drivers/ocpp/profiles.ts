import type { ProfileVariant } from './store.js';
import type { ChargingProfile } from './wire.js';

/**
 * The charging profiles the bridge sends (README.md in this folder, "Commands"). One fixed id per
 * purpose and connector, so a new limit replaces the old profile instead of piling up
 * (`MaxChargingProfilesInstalled` can be 5: Vestel, evcc-io/evcc#15726).
 */
export function profileId(purpose: 'TxDefaultProfile' | 'TxProfile', connector: number): number {
  return (purpose === 'TxDefaultProfile' ? 1000 : 2000) + connector;
}

/** What a profile is made of. */
export interface ProfileInput {
  connector: number;
  /** A; 0 pauses (the transaction stays open, SuspendedEVSE). */
  limitA: number;
  /** `A`, or `W` for chargers that take only power schedules (Huawei, HomeCharge: lbbrhzn/ocpp#1635). */
  unit: 'A' | 'W';
  /** V per phase, for the W conversion. */
  voltage: number;
  phases: 1 | 3;
  /** `ChargeProfileMaxStackLevel` (0 when the charger does not say). */
  maxStackLevel: number;
  /** The running transaction, for `profile: tx`; null sends a TxDefaultProfile. */
  transactionId: number | null;
  /** Epoch ms now, for an Absolute profile's start. */
  now: number;
}

/**
 * The Rejected ladder: the default shape, then stack level 0 (ABB Terra AC, Wallbox FW5:
 * evcc-io/evcc#15493), then a Relative profile (Wallbox FW6: evcc `ocpp-wallbox.yaml`
 * `profilekindrelative`). The variant that worked last is tried first.
 */
export function ladder(remembered: ProfileVariant | undefined, maxStackLevel: number): ProfileVariant[] {
  const all: ProfileVariant[] =
    maxStackLevel > 0 ? ['default', 'stack0', 'relative'] : ['default', 'relative'];
  if (!remembered || !all.includes(remembered)) return all;
  return [remembered, ...all.filter((v) => v !== remembered)];
}

/** The SetChargingProfile payload of one ladder step. */
export function buildProfile(
  p: ProfileInput,
  variant: ProfileVariant,
): { connectorId: number; csChargingProfiles: ChargingProfile } {
  const purpose = p.transactionId !== null ? 'TxProfile' : 'TxDefaultProfile';
  // limits are multiples of 0.1 (OCPP 1.6 §7.13); rounding down never commands more than asked
  const limit =
    p.unit === 'A' ? Math.floor(p.limitA * 10 + 1e-9) / 10 : Math.floor(p.limitA * p.voltage * p.phases);
  const relative = variant === 'relative';
  const profile: ChargingProfile = {
    chargingProfileId: profileId(purpose, p.connector),
    ...(p.transactionId !== null ? { transactionId: p.transactionId } : {}),
    stackLevel: variant === 'default' ? p.maxStackLevel : 0,
    chargingProfilePurpose: purpose,
    chargingProfileKind: relative ? 'Relative' : 'Absolute',
    chargingSchedule: {
      // a minute in the past survives a charger clock a little ahead (evcc does the same)
      ...(relative ? {} : { startSchedule: new Date(p.now - 60_000).toISOString() }),
      chargingRateUnit: p.unit,
      chargingSchedulePeriod: [{ startPeriod: 0, limit, numberPhases: p.phases }],
    },
  };
  return { connectorId: p.connector, csChargingProfiles: profile };
}

/**
 * The rate unit from `ChargingScheduleAllowedChargingRateUnit`: A unless the charger allows only
 * power. Vendors write "Current", "Power", "A", "W", "power" (evcc `cp_setup.go`, lbbrhzn/ocpp#1635).
 */
export function rateUnit(allowed: string | undefined): 'A' | 'W' {
  if (!allowed) return 'A';
  const tokens = allowed.split(/[,\s]+/).map((t) => t.trim().toLowerCase());
  if (tokens.some((t) => t === 'current' || t === 'a')) return 'A';
  if (tokens.some((t) => t === 'power' || t === 'w')) return 'W';
  return 'A';
}
