import { num } from '../../config/formats.js';
import { checkWatchdog, type WatchdogOptions, watchdogOption } from '../options.js';
import type { ChargerTypeMeta } from '../types.js';

/** Quasar options as the configuration gives them. */
export interface QuasarOptions extends WatchdogOptions {
  /** Modbus unit id. */
  unit_id: number;
}

/** Wallbox Quasar (bidirectional DC), Modbus TCP (README.md beside this file). */
export const quasarMeta: ChargerTypeMeta = {
  type: 'wallbox-quasar',
  shortName: 'Quasar',
  manufacturer: 'Wallbox',
  model: 'Quasar',
  defaultPort: 502,
  minCurrentFloor: 6,
  bidirectional: true,
  watchdog: true,
  options: {
    unit_id: { doc: 'Modbus unit id', default: 1, format: num(0, 255, { integer: true }) },
    watchdog: watchdogOption,
  },
  check: checkWatchdog,
  capabilities: () => ({
    provides: new Set(['current', 'voltage', 'power', 'session_energy', 'state_of_charge']),
    writable: new Set(),
    resolution: 1,
    bidirectional: true,
    watchdog: true,
    push: false,
  }),
};
