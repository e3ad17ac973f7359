import type { ChargerTypeMeta } from '../types.js';

/** pulsatrix SECC, REST `/api/v1/*` + WebSocket `/api/ws` (README.md beside this file). */
export const pulsatrixMeta: ChargerTypeMeta = {
  type: 'pulsatrix',
  manufacturer: 'pulsatrix',
  model: 'SECC',
  defaultPort: 80,
  minCurrentFloor: 6,
  bidirectional: false,
  watchdog: true,
  options: ['user', 'password', 'token', 'watchdog'],
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
