import type { ChargerReading } from '../../core/model.js';
import type { QuasarSnapshot } from './registers.js';

/** How one vendor state reads in the canonical model. */
export interface QuasarStateRow {
  /** Vendor meaning (V2G Liberty register list; README.md beside this file). */
  label: string;
  /** A vehicle is plugged in; undefined = the state does not say (keep the last known). */
  vehicle?: boolean;
  /** Energy flows (either direction). */
  charging?: true;
  /** Charging allowed; null = the state does not say. */
  enabled: boolean | null;
  /** Held by the Wallbox app's schedule. */
  held?: true;
  /** Locked at the charger. */
  locked?: true;
  /** A device fault. */
  fault?: true;
}

/**
 * Charger state register 0x0219. Groups from the vendor list: disconnected {0, 6}, charging
 * {1, 11}, error {7, 9}. Status (docs/mqtt-api.md#status, first match wins): 7 and 9 error; 11 discharging
 * (power < 0); 1 charging; 0 and 6 disconnected; 4 paused (stopped by Modbus action 2, or plugged
 * in with autostart off); 3 and 5 paused (held by the app's schedule); 2, 8, 10 connected
 * (enabled, not drawing: the car or the site's power sharing/boost holds it back).
 */
export const QUASAR_STATES: Readonly<Record<number, QuasarStateRow>> = {
  0: { label: 'no car connected', vehicle: false, enabled: null },
  1: { label: 'charging', vehicle: true, charging: true, enabled: true },
  2: { label: 'connected, waiting for car demand', vehicle: true, enabled: true },
  3: { label: 'connected, waiting for the next schedule', vehicle: true, enabled: true, held: true },
  4: { label: 'connected, paused', vehicle: true, enabled: false },
  5: { label: 'connected, end of schedule', vehicle: true, enabled: true, held: true },
  6: { label: 'no car connected, charger locked', vehicle: false, enabled: null, locked: true },
  7: { label: 'error', enabled: null, fault: true },
  8: { label: 'connected, in queue by Power Sharing', vehicle: true, enabled: true },
  9: { label: 'unconfigured Power Sharing system', enabled: null, fault: true },
  10: { label: 'connected, in queue by Power Boost', vehicle: true, enabled: true },
  11: { label: 'discharging', vehicle: true, charging: true, enabled: true },
};

/** What the mapping needs besides the registers. */
export interface MapContext {
  /** Vehicle presence from the last state that told it (errors do not say). */
  lastVehicle?: boolean;
  /**
   * The bridge holds control and wants idle (setpoint 0, charging enabled): it stopped the charger
   * itself (action 2), so state 4 does not mean "disabled".
   */
  idleByBridge?: boolean;
}

/**
 * State of charge, %: the register reads 0 while no energy flows or no car is connected, and
 * sometimes a brief 1 — both mean unknown (null) while idle (docs/mqtt-api.md). 0 is never a real value.
 */
export function stateOfCharge(raw: number, flowing: boolean): number | null {
  if (raw === 0 || raw > 100) return null;
  if (raw === 1 && !flowing) return null;
  return raw;
}

/** The device fault text, or null when healthy. */
export function faultText(s: QuasarSnapshot): string | null {
  const row = QUASAR_STATES[s.state];
  const codes: string[] = [];
  if (s.unrecoverableError !== 0) codes.push(`unrecoverable error code ${s.unrecoverableError}`);
  if (s.recoverableError !== 0) codes.push(`recoverable error code ${s.recoverableError}`);
  if (!row) return `Quasar: unknown state ${s.state}${codes.length ? ` (${codes.join(', ')})` : ''}`;
  if (row.fault) return `Quasar: ${row.label}${codes.length ? ` (${codes.join(', ')})` : ''}`;
  // an unrecoverable code stands for itself; a recoverable one alone is the charger coping
  if (s.unrecoverableError !== 0) return `Quasar: unrecoverable error code ${s.unrecoverableError}`;
  return null;
}

/** Maps one poll to the canonical reading (signed power and current, SoC null while unknown). */
export function mapSnapshot(s: QuasarSnapshot, ctx: MapContext = {}): ChargerReading {
  const row = QUASAR_STATES[s.state];
  const vehicleConnected = row?.vehicle ?? ctx.lastVehicle ?? false;
  const charging = row?.charging === true;
  let enabled = vehicleConnected ? (row?.enabled ?? null) : null;
  if (s.state === 4 && ctx.idleByBridge) enabled = null;
  return {
    vehicleConnected,
    charging,
    enabled,
    chargeCurrent: s.setpoint,
    fault: faultText(s),
    locked: row?.locked === true,
    held: row?.held === true,
    overridden: false,
    values: {
      current: s.current,
      voltage: s.voltage,
      power: s.power,
      state_of_charge: vehicleConnected ? stateOfCharge(s.soc, charging || s.power !== 0) : null,
    },
  };
}

/**
 * Session energy, kWh, integrated from the signed power the charger reports (it has no energy
 * register). Counts energy into the vehicle only, so that the figure never decreases within a
 * session (HA total_increasing); discharged energy is not subtracted. A session starts at a
 * plug-in the bridge saw: until then the figure is unknown (null). Gaps longer than `maxGapMs`
 * (the bridge could not read) are not integrated.
 */
export class SessionEnergy {
  private kwh: number | null = null;
  private last?: { at: number; power: number };
  private plugged?: boolean;

  constructor(private readonly maxGapMs: number) {}

  /**
   * Adds the energy since the previous reading at the previous reading's power (power changes come
   * with commands, each followed by a read at once); returns the session kWh or null.
   */
  update(at: number, power: number, vehicle: boolean): number | null {
    if (this.plugged === false && vehicle) this.kwh = 0;
    this.plugged = vehicle;
    const prev = this.last;
    this.last = { at, power };
    if (this.kwh !== null && prev && at > prev.at && at - prev.at <= this.maxGapMs) {
      this.kwh += (Math.max(0, prev.power) * (at - prev.at)) / 3_600_000_000;
    }
    return this.kwh === null ? null : Math.round(this.kwh * 1000) / 1000;
  }

  /** The reading of the last update, kWh or null. */
  get value(): number | null {
    return this.kwh === null ? null : Math.round(this.kwh * 1000) / 1000;
  }
}
