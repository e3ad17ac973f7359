import { passwordOption, userOption } from '../options.js';
import type { ChargerTypeMeta } from '../types.js';

/** OpenEVSE options as the configuration gives them. */
export interface OpenevseOptions {
  user?: string;
  password?: string;
}

/** OpenEVSE / EmonEVSE with WiFi firmware 4.x–5.x (protocol notes: README.md beside this file). */
export const openevseMeta: ChargerTypeMeta = {
  type: 'openevse',
  shortName: 'OpenEVSE',
  manufacturer: 'OpenEVSE',
  model: 'OpenEVSE WiFi',
  defaultPort: 80,
  minCurrentFloor: 6,
  bidirectional: false,
  watchdog: false,
  options: { user: userOption, password: passwordOption },
  capabilities: () => ({
    provides: new Set([
      'current',
      'voltage',
      'power',
      'session_energy',
      'total_energy',
      'temperature',
      'state_of_charge',
      'phases',
    ]),
    writable: new Set(),
    resolution: 1,
    bidirectional: false,
    watchdog: false,
    push: true,
  }),
};
