import type { ChargerTypeMeta } from '../types.js';

/** TechnoVE station, local HTTP `/station/...` (README.md beside this file). */
export const technoveMeta: ChargerTypeMeta = {
  type: 'technove',
  shortName: 'TechnoVE',
  manufacturer: 'TechnoVE',
  model: 'TechnoVE station',
  defaultPort: 80,
  minCurrentFloor: 8,
  bidirectional: false,
  watchdog: false,
  options: {},
  capabilities: () => ({
    provides: new Set([
      'current',
      'voltage',
      'power',
      'session_energy',
      'total_energy',
      'auto_charge',
      'sharing_mode',
      'update_available',
    ]),
    writable: new Set(['auto_charge']),
    resolution: 1,
    bidirectional: false,
    watchdog: false,
    push: false,
  }),
};
