import type { ChargerType } from '../config/types.js';
import { openevseType } from './openevse/driver.js';
import { pulsatrixType } from './pulsatrix/driver.js';
import { technoveType } from './technove/driver.js';
import type { ChargerTypeDef } from './types.js';
import { quasarType } from './wallbox-quasar/driver.js';

/** Every charger type by configuration `type` (one line per type). */
const DRIVERS: Readonly<Record<ChargerType, ChargerTypeDef>> = {
  openevse: openevseType,
  technove: technoveType,
  pulsatrix: pulsatrixType,
  'wallbox-quasar': quasarType,
};

/** The definition of a charger type. */
export function chargerType(type: ChargerType): ChargerTypeDef {
  return DRIVERS[type];
}

/** All charger types. */
export function driverTypes(): ChargerType[] {
  return Object.keys(DRIVERS) as ChargerType[];
}
