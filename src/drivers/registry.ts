import { ocppType } from './ocpp/driver.js';
import { openevseType } from './openevse/driver.js';
import { pulsatrixType } from './pulsatrix/driver.js';
import { technoveType } from './technove/driver.js';
import type { ChargerTypeDef } from './types.js';
import { quasarType } from './wallbox-quasar/driver.js';

/** Every charger type by configuration `type` (one line per type). */
const DRIVERS: Readonly<Record<string, ChargerTypeDef>> = {
  openevse: openevseType,
  technove: technoveType,
  pulsatrix: pulsatrixType,
  'wallbox-quasar': quasarType,
  ocpp: ocppType,
};

/** The definition of a charger type. */
export function chargerType(type: string): ChargerTypeDef {
  const def = DRIVERS[type];
  if (!def) throw new Error(`unknown charger type ${JSON.stringify(type)}`);
  return def;
}

/** All charger types. */
export function driverTypes(): string[] {
  return Object.keys(DRIVERS);
}
