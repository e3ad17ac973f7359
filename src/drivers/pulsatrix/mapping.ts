import type { ChargerReading, Scalar } from '../../core/model.js';
import { PAUSE_BELOW_A, type PulsatrixBodies, type PulsatrixTransaction } from './wire.js';

/*
 * Vendor states → canonical model (docs/mqtt-api.md#status), from the pulsatrix docs (v1-transaction):
 *
 * chargeControllerStatus (SECC, IEC 61851; digit 1 = no PWM, 2 = charging offered on CP)
 *   A1 standby ............................ no vehicle
 *   B1 vehicle detected ................... vehicle, not charging
 *   C1 charge request, D1 + ventilation ... vehicle, not charging (nothing offered)
 *   B2 charging offered ................... vehicle, not charging (the EV does not draw)
 *   C2 charging, D2 charging + venting .... vehicle, charging
 *   E1 shut off ........................... (vehicle from vehicleStatus) — the SECC switched CP off
 *   F1 error, R1 diode fail ............... fault
 *   S1 restart after error ................ (vehicle from vehicleStatus)
 * vehicleStatus (EV): A disconnected; B connected; C charge request; D + ventilation;
 *   E short circuit, F error, R diode fail = fault; S startup/unknown.
 * transaction `state` (docs `Idle`/`Charging`/`SuspendedEV`…, examples and MQTT `IDLE`/`SUSPENDED_EV`…):
 *   Unavailable, Reserved → `locked` (status `disabled`: outside the bridge's control);
 *   Faulted → fault; Charging → charging when chargeControllerStatus is absent.
 *
 * status, first match wins: error › charging › disconnected › disabled › paused › connected.
 */

/** chargeControllerStatus codes. */
export const CONTROLLER_STATES: Readonly<
  Record<string, { label: string; vehicle?: boolean; charging?: true; fault?: true }>
> = {
  A1: { label: 'standby', vehicle: false },
  B1: { label: 'vehicle detected', vehicle: true },
  C1: { label: 'charge request', vehicle: true },
  D1: { label: 'charge and ventilation request', vehicle: true },
  E1: { label: 'shut off' },
  F1: { label: 'error', fault: true },
  S1: { label: 'restart after error' },
  R1: { label: 'diode failure', fault: true },
  B2: { label: 'charging offered', vehicle: true },
  C2: { label: 'charging', vehicle: true, charging: true },
  D2: { label: 'charging with ventilation', vehicle: true, charging: true },
};

/** vehicleStatus codes. */
export const VEHICLE_STATES: Readonly<Record<string, { label: string; vehicle?: boolean; fault?: true }>> = {
  S: { label: 'startup or unknown' },
  A: { label: 'disconnected', vehicle: false },
  B: { label: 'connected', vehicle: true },
  C: { label: 'charge request', vehicle: true },
  D: { label: 'charge and ventilation request', vehicle: true },
  E: { label: 'vehicle short circuit', fault: true },
  F: { label: 'vehicle error', fault: true },
  R: { label: 'vehicle diode failure', fault: true },
};

/** transaction `state`, normalised (upper case, no `_`). */
export const TRANSACTION_STATES: Readonly<
  Record<string, { vehicle?: boolean; charging?: true; locked?: true; fault?: true }>
> = {
  IDLE: { vehicle: false },
  EVCONNECTED: { vehicle: true },
  CHARGING: { vehicle: true, charging: true },
  SUSPENDEDEVSE: { vehicle: true },
  SUSPENDEDEV: { vehicle: true },
  FINISHING: { vehicle: true },
  RESERVED: { locked: true },
  UNAVAILABLE: { locked: true },
  FAULTED: { fault: true },
};

/** What the bridge keeps in force on the device while it holds control (A; phases 1 or 3). */
export interface ControlState {
  /** Target current, A (kept while paused). */
  current: number;
  /** false = paused by the bridge (API limit 0). */
  enabled: boolean;
  /** Phase setting the bridge commanded, if any. */
  phases?: 1 | 3;
}

/** Everything the mapping needs besides the bodies. */
export interface MappingContext {
  /** Phases wired to the charger (configuration `phases`). */
  phasesWired: 1 | 3;
  /** The bridge's limits while it holds control, else null. */
  control: ControlState | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** A finite number, else undefined (NaN arrives as null after parsing). */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function perPhase(v: unknown): Array<number | undefined> {
  const a = Array.isArray(v) ? v : [];
  return [num(a[0]), num(a[1]), num(a[2])];
}

/** The SECC's absolute amperage limit (`effectiveAmperageLimit`), A, when reported. */
export function effectiveLimit(b: PulsatrixBodies): number | undefined {
  const v = num(b.configuration?.effectiveAmperageLimit) ?? num(b.transaction?.effectiveAmperageLimit);
  return v !== undefined && v > 0 ? v : undefined;
}

/** The SECC's own limit without the API limit: its allocation, capped by effectiveAmperageLimit, A. */
export function ownLimit(b: PulsatrixBodies): number {
  const eff = effectiveLimit(b);
  const alloc = num(b.charging?.allocatedAmperage);
  const own = alloc !== undefined && alloc > 0 ? alloc : eff;
  return own === undefined ? 0 : eff === undefined ? own : Math.min(own, eff);
}

/** The current limit and enable state in force: the bridge's while it holds control, else the device's view. */
function limitInForce(b: PulsatrixBodies, ctx: MappingContext): { current: number; enabled: boolean } {
  const eff = effectiveLimit(b) ?? Number.POSITIVE_INFINITY;
  const c = ctx.control;
  if (c) return { current: round(Math.min(c.current, eff), 1), enabled: c.enabled };
  const own = ownLimit(b);
  const api = num(b.limits?.amperageLimit);
  // /limits shows the last values set through the API whether or not they are still valid;
  // the transaction says when the API is the source in control.
  const apiActive = b.transaction?.allocationSourceName === 'API';
  if (apiActive && b.limits?.enabled === false) return { current: own, enabled: false };
  if (!apiActive || api === undefined) return { current: round(own, 1), enabled: true };
  if (api < PAUSE_BELOW_A) return { current: round(own, 1), enabled: false };
  return { current: round(Math.min(api, eff), 1), enabled: true };
}

function normalisedState(v: unknown): string | undefined {
  const s = str(v);
  return s?.toUpperCase().replace(/[_\s]/g, '');
}

/** Maps the latest REST/WS bodies to the canonical reading (A, V, Hz, W, kWh). */
export function mapReading(b: PulsatrixBodies, ctx: MappingContext): ChargerReading {
  const t = b.transaction ?? {};
  const ch = b.charging ?? {};
  const ccsCode = str(t.chargeControllerStatus);
  const vsCode = str(t.vehicleStatus);
  const ccs = ccsCode ? CONTROLLER_STATES[ccsCode] : undefined;
  const vs = vsCode ? VEHICLE_STATES[vsCode] : undefined;
  const txState = normalisedState(t.state);
  const tx = txState ? TRANSACTION_STATES[txState] : undefined;

  const vehicleConnected = ccs?.vehicle ?? vs?.vehicle ?? tx?.vehicle ?? false;
  const charging = ccs ? ccs.charging === true : tx?.charging === true;
  let fault: string | null = null;
  if (ccs?.fault) fault = `pulsatrix: ${ccs.label} (${ccsCode})`;
  else if (vs?.fault) fault = `pulsatrix: ${vs.label} (${vsCode})`;
  else if (tx?.fault) fault = `pulsatrix: faulted (${String(t.state)})`;

  const amps = perPhase(ch.amperage);
  const volts = perPhase(ch.voltage);
  const measured = amps.filter((a): a is number => a !== undefined);
  const power = num(ch.lastActivePower) ?? num(ch.activePower) ?? num(t.lastActivePower);
  const meterNow = num(ch.energyImported) ?? num(t.lastMeterValue) ?? num(t.energyActiveImportRegister);
  const frequency = num(ch.frequency);
  const { current, enabled } = limitInForce(b, ctx);
  const eff = effectiveLimit(b);
  const values: Record<string, Scalar> = {
    current: measured.length > 0 ? round(Math.max(...measured), 2) : null,
    current_l1: amps[0] === undefined ? null : round(amps[0], 2),
    current_l2: amps[1] === undefined ? null : round(amps[1], 2),
    current_l3: amps[2] === undefined ? null : round(amps[2], 2),
    voltage: volts[0] === undefined ? null : round(volts[0], 1),
    frequency: frequency === undefined ? null : round(frequency, 2),
    power: power === undefined ? null : round(power, 1),
    session_energy: sessionEnergy(t, meterNow),
    total_energy: meterNow === undefined ? null : round(meterNow, 3),
    phases: phasesInUse(b, ctx),
  };
  return {
    vehicleConnected,
    charging,
    enabled,
    chargeCurrent: current,
    fault,
    locked: tx?.locked === true,
    held: false,
    ...(eff !== undefined ? { deviceMaxCurrent: eff } : {}),
    values,
  };
}

/** Energy of the current or last session, kWh: meter now (or at stop) minus meter at start. */
function sessionEnergy(t: PulsatrixTransaction, meterNow: number | undefined): number | null {
  const start = num(t.meterStart);
  if (start === undefined) return null;
  const ended = (num(t.endedTime) ?? 0) > 0;
  const stop = num(t.meterStop);
  const end = ended && stop !== undefined ? stop : (meterNow ?? stop);
  if (end === undefined) return null;
  return round(Math.max(0, end - start), 3);
}

/**
 * Phases in use as set: the one-phase limit (the bridge's own setting while it holds control, else
 * `onePhaseLimitActive`) on a charger wired for 3 phases, else the wiring.
 */
function phasesInUse(b: PulsatrixBodies, ctx: MappingContext): 1 | 3 {
  if (ctx.phasesWired === 1) return 1;
  if (ctx.control?.phases) return ctx.control.phases;
  return b.transaction?.onePhaseLimitActive === true ? 1 : 3;
}

/** Device name for logs: `<power domain>/<controller>` from either /configuration spelling. */
export function controllerName(b: PulsatrixBodies): string | undefined {
  const c = b.configuration ?? {};
  const pd = str(c.powerDomainName) ?? str(c.pdName);
  const ctrl = str(c.controllerName) ?? str(c.ctrlrName);
  return pd && ctrl ? `${pd}/${ctrl}` : (ctrl ?? pd);
}

/** Whether the SECC has a phase shut-off relay (1p/3p switching), from either /configuration spelling. */
export function canSwitchPhases(b: PulsatrixBodies): boolean | undefined {
  const c = b.configuration ?? {};
  const v = c.hasPhaseShutoff ?? c.hasPhaseStShutoff;
  return typeof v === 'boolean' ? v : undefined;
}
