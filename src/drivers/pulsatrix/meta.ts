import { str } from '../../config/formats.js';
import {
  checkWatchdog,
  passwordOption,
  userOption,
  type WatchdogOptions,
  watchdogOption,
} from '../options.js';
import type { ChargerTypeMeta } from '../types.js';

/** pulsatrix options as the configuration gives them. */
export interface PulsatrixOptions extends WatchdogOptions {
  user?: string;
  password?: string;
  /** Bearer token of the SECC's API. */
  token?: string;
}

/** pulsatrix SECC, REST `/api/v1/*` + WebSocket `/api/ws` (README.md beside this file). */
export const pulsatrixMeta: ChargerTypeMeta = {
  type: 'pulsatrix',
  shortName: 'pulsatrix',
  manufacturer: 'pulsatrix',
  model: 'SECC',
  defaultPort: 80,
  minCurrentFloor: 6,
  bidirectional: false,
  watchdog: true,
  options: {
    user: userOption,
    password: passwordOption,
    token: {
      doc: 'Bearer token',
      default: null,
      format: str({ optional: true }),
      sensitive: true,
    },
    watchdog: watchdogOption,
  },
  check: checkWatchdog,
  capabilities: (cfg) => ({
    provides: new Set([
      'current',
      'current_l1',
      'current_l2',
      'current_l3',
      'voltage',
      'frequency',
      'power',
      'session_energy',
      'total_energy',
      'phases',
    ]),
    // 1p/3p switching only makes sense where three phases are wired (`phases`, docs/mqtt-api.md)
    writable: new Set(cfg.phases === 3 ? ['phases'] : []),
    resolution: 0.1,
    bidirectional: false,
    watchdog: true,
    push: true,
  }),
};
