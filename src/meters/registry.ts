import type { MeterType } from '../config/types.js';
import { mqttMeterType } from './mqtt.js';
import { shellyEmType } from './shelly/gen1.js';
import { shellyGen2Type } from './shelly/gen2.js';
import type { MeterTypeDef } from './types.js';

/** Meter types by configuration `type` (one line each). */
const METERS: Partial<Record<MeterType, MeterTypeDef>> = {
  mqtt: mqttMeterType,
  'shelly-em': shellyEmType,
  'shelly-gen2': shellyGen2Type,
};

/** The definition of a meter type. */
export function meterType(type: MeterType): MeterTypeDef {
  const def = METERS[type];
  if (!def) throw new Error(`meter type ${type} is not available in this build`);
  return def;
}
