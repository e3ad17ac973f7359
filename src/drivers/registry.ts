import type { ChargerType } from '../config/types.js';
import { openevseType } from './openevse/driver.js';
import type { ChargerTypeDef } from './types.js';

/** Charger types with a driver, by configuration `type` (one line per type). */
const DRIVERS: Partial<Record<ChargerType, ChargerTypeDef>> = {
  openevse: openevseType,
};

/** The driver of a type; throws with a clear message for a type without one. */
export function chargerType(type: ChargerType): ChargerTypeDef {
  const def = DRIVERS[type];
  if (!def) throw new Error(`charger type ${type} has no driver in this version`);
  return def;
}

/** Types with a driver. */
export function driverTypes(): ChargerType[] {
  return Object.keys(DRIVERS) as ChargerType[];
}
