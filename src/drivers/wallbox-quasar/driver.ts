import type { ChargerTypeDef } from '../types.js';
import { quasarMeta } from './meta.js';

/** Placeholder until the wallbox-quasar driver lands: configuration validates, start-up says what is missing. */
export const quasarType: ChargerTypeDef = {
  ...quasarMeta,
  create: async () => {
    throw new Error('the wallbox-quasar driver is not in this build yet');
  },
};
