import type { ChargerTypeDef } from '../types.js';
import { technoveMeta } from './meta.js';

/** Placeholder until the technove driver lands: configuration validates, start-up says what is missing. */
export const technoveType: ChargerTypeDef = {
  ...technoveMeta,
  create: async () => {
    throw new Error('the technove driver is not in this build yet');
  },
};
