import type { ChargerReading, Scalar } from '../../core/model.js';
import { CLIENT, type ClaimsTarget, type OpenEvseConfig, type OpenEvseStatus } from './wire.js';

/**
 * EVSE state codes (`state` in /status; table in README.md beside this file) and what they mean for the
 * canonical model. Errors are 4…11 and 14; 254 sleeping and 255 disabled keep `vehicle`.
 */
export const EVSE_STATES: Readonly<Record<number, { label: string; fault?: true }>> = {
  0: { label: 'starting' },
  1: { label: 'not connected' },
  2: { label: 'connected' },
  3: { label: 'charging' },
  4: { label: 'ventilation required', fault: true },
  5: { label: 'diode check failed', fault: true },
  6: { label: 'GFCI fault', fault: true },
  7: { label: 'no ground', fault: true },
  8: { label: 'stuck relay', fault: true },
  9: { label: 'GFCI self-test failed', fault: true },
  10: { label: 'over temperature', fault: true },
  11: { label: 'over current', fault: true },
  14: { label: 'relay closure fault', fault: true },
  254: { label: 'sleeping' },
  255: { label: 'disabled' },
};

/** Everything the mapping needs besides the status object. */
export interface MappingInputs {
  status: OpenEvseStatus;
  config: OpenEvseConfig;
  /** Last /claims/target, when the firmware has claims. */
  target?: ClaimsTarget;
  /** The bridge's claim client id. */
  client: number;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Maps an OpenEVSE status (plus config and claims target) to the canonical reading. */
export function mapStatus({ status, config, target, client }: MappingInputs): ChargerReading {
  const state = num(status.state) ?? 0;
  const entry = EVSE_STATES[state];
  const fault = entry?.fault ? `OpenEVSE: ${entry.label}` : entry ? null : `OpenEVSE: unknown state ${state}`;
  const vehicleConnected = status.vehicle === 1 || state === 2 || state === 3;
  // `status` ("active"/"disabled") is the manager's target state (v4.1+); older firmware: 254/255 mean disabled
  const enabled =
    typeof status.status === 'string' ? status.status === 'active' : state !== 254 && state !== 255;
  const stateOwner = target?.claims?.state;
  // Who disabled it: the bridge's own claim = paused; the schedule (a timer window at the unit) = held;
  // anyone else (a person's override at the unit, RFID, limit, OCPP, default state) = locked.
  const held = !enabled && stateOwner === CLIENT.schedule;
  const locked = !enabled && stateOwner !== client && !held;
  const threePhase = config.is_threephase === true;
  const amps = num(status.amp) !== undefined ? num(status.amp)! / 1000 : null;
  const voltage = num(status.voltage) ?? null;
  const power =
    num(status.power) ?? (amps !== null && voltage !== null ? amps * voltage * (threePhase ? 3 : 1) : null);
  const sessionWh =
    num(status.session_energy) ??
    (num(status.wattsec) !== undefined ? num(status.wattsec)! / 3600 : undefined);
  const totalKwh =
    num(status.total_energy) ??
    (num(status.watthour) !== undefined
      ? num(status.watthour)! / 1000
      : num(status.wh) !== undefined
        ? num(status.wh)! / 1000
        : undefined);
  const temp = num(status.temp);
  const values: Record<string, Scalar> = {
    current: amps === null ? null : round(amps, 2),
    voltage: voltage === null ? null : round(voltage, 1),
    power: power === null ? null : round(power, 1),
    session_energy: sessionWh === undefined ? null : round(sessionWh / 1000, 3),
    total_energy: totalKwh === undefined ? null : round(totalKwh, 3),
    // tenths of °C; firmware before v4 reported -2560 for an absent sensor
    temperature: temp === undefined || temp <= -2000 ? null : round(temp / 10, 1),
    state_of_charge: num(status.battery_level) ?? null,
    phases: threePhase ? 3 : 1,
  };
  const deviceMax = num(status.max_current) ?? num(config.max_current_soft) ?? num(config.max_current_hard);
  const deviceMin = num(config.min_current_hard);
  return {
    vehicleConnected,
    charging: state === 3,
    enabled,
    chargeCurrent: num(status.pilot) ?? 0,
    fault,
    locked,
    held,
    ...(deviceMax !== undefined ? { deviceMaxCurrent: deviceMax } : {}),
    ...(deviceMin !== undefined ? { deviceMinCurrent: deviceMin } : {}),
    values,
  };
}
