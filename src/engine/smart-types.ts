/**
 * The vocabulary of smart charging (docs/engine.md#plans, Enode-style): plan states,
 * considerations, what the controller sees of a charger and what it answers. Publishers use the
 * lists for their entities; smart.ts holds the state machine.
 */
import type { SmartChargingConfig } from '../config/types.js';

/** The plan states (Enode's vocabulary). */
export const PLAN_STATES = [
  'DISABLED',
  'CONSIDERING',
  'PLAN:EXECUTING:STARTING',
  'PLAN:EXECUTING:STARTED',
  'PLAN:EXECUTING:START_FAILED',
  'PLAN:EXECUTING:STOPPING',
  'PLAN:EXECUTING:STOPPED',
  'PLAN:EXECUTING:STOP_FAILED',
  'PLAN:EXECUTING:OVERRIDDEN',
  'PLAN:ENDED:FINISHED',
  'PLAN:ENDED:UNPLUGGED',
  'PLAN:ENDED:FAILED',
  'PLAN:ENDED:DISABLED',
  'PLAN:ENDED:DEADLINE_CHANGED',
] as const;
export type PlanState = (typeof PLAN_STATES)[number];

export const CONSIDERATIONS = [
  'is_plugged_in',
  'is_reachable',
  'has_tariff',
  'has_time',
  'needs_charge',
  'has_fresh_inputs',
] as const;
export type Considerations = Record<(typeof CONSIDERATIONS)[number], boolean>;

/** What the controller needs to know of a charger each cycle; power W, energy kWh, current A. */
export interface SmartChargerView {
  id: string;
  mode: string;
  online: boolean;
  /** The last reading is recent (within 3 polls). */
  fresh: boolean;
  vehicleConnected: boolean;
  charging: boolean;
  powerW: number | null;
  /** The device's session energy, kWh; null when it reports none. */
  sessionEnergyKWh: number | null;
  maxCurrentA: number;
  /** The current limit in force on the device, A (power seen under a lower limit says nothing of the car). */
  limitA: number | null;
  phases: number;
  voltageV: number;
  policy: SmartChargingConfig | null;
}

/** What the charger should do now: null = nothing (not in smart, or unreachable). */
export interface SmartTarget {
  enabled: boolean;
  chargeCurrentA: number;
  /** Why it waits or what it does (the decision's `blocked_by`), null when charging to plan. */
  note: string | null;
  next: { action: 'start' | 'stop'; at: string } | null;
}

/** The published plan (`<base>/<id>/plan`). */
export type PlanMessage = Record<string, unknown>;
