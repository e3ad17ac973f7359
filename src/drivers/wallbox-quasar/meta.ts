import type { ChargerTypeMeta } from '../types.js';

/** Wallbox Quasar (bidirectional DC), Modbus TCP (README.md beside this file). */
export const quasarMeta: ChargerTypeMeta = {
  type: 'wallbox-quasar',
  manufacturer: 'Wallbox',
  model: 'Quasar',
  defaultPort: 502,
  minCurrentFloor: 6,
  bidirectional: true,
  watchdog: true,
  options: ['unit_id', 'watchdog', 'max_discharge_current'],
  capabilities: () => ({
    provides: new Set(['current', 'voltage', 'power', 'session_energy', 'state_of_charge']),
    writable: new Set(),
    resolution: 1,
    bidirectional: true,
    watchdog: true,
    push: false,
  }),
};
