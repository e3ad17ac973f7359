import type { ChargerTypeDef } from '../types.js';
import { pulsatrixMeta } from './meta.js';

/** Placeholder until the pulsatrix driver lands: configuration validates, start-up says what is missing. */
export const pulsatrixType: ChargerTypeDef = {
  ...pulsatrixMeta,
  create: async () => {
    throw new Error('the pulsatrix driver is not in this build yet');
  },
};
