import type { ChargerType } from '../config/types.js';
import { openevseMeta } from './openevse/meta.js';
import { pulsatrixMeta } from './pulsatrix/meta.js';
import { technoveMeta } from './technove/meta.js';
import type { ChargerTypeMeta } from './types.js';
import { quasarMeta } from './wallbox-quasar/meta.js';

/** Static facts of every charger type, by configuration `type`. */
export const CHARGER_TYPES: Readonly<Record<ChargerType, ChargerTypeMeta>> = {
  openevse: openevseMeta,
  technove: technoveMeta,
  pulsatrix: pulsatrixMeta,
  'wallbox-quasar': quasarMeta,
};

export const CHARGER_TYPE_NAMES = Object.keys(CHARGER_TYPES) as ChargerType[];
