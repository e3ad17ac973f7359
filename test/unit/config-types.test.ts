import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { chargerSchema } from '../../src/config/schema.js';
import { CHARGER_TYPES } from '../../src/drivers/meta.js';

const charger = (extra: Record<string, unknown> = {}) => ({
  id: 'garage',
  type: 'openevse',
  host: '192.168.1.50',
  max_current: 32,
  ...extra,
});

describe('charger options declared by each type', () => {
  it('accepts every option a type declares in its meta.ts as a charger key', () => {
    for (const meta of Object.values(CHARGER_TYPES)) {
      for (const key of Object.keys(meta.options)) expect(Object.keys(chargerSchema)).toContain(key);
    }
  });

  it('warns about a key that belongs to another type and keeps the charger', () => {
    const r = validateConfig({ chargers: [charger({ unit_id: 3, token: 'x' })] }, {});
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        'chargers[0].unit_id: ignored by openevse',
        'chargers[0].token: ignored by openevse',
      ]),
    );
  });

  it('runs the type’s own checks: the watchdog warning of a pulsatrix polled too slowly', () => {
    const r = validateConfig(
      { chargers: [charger({ type: 'pulsatrix', poll_interval: 40, watchdog: 60 })] },
      {},
    );
    expect(r.warnings).toContain(
      'chargers[0].poll_interval: 40 s is more than half the watchdog (60 s); the charger may fall back between two polls',
    );
  });

  it('keeps a key’s validation from the type that declares it', () => {
    const r = validateConfig({ chargers: [charger({ type: 'wallbox-quasar', unit_id: 300 })] }, {});
    expect(r.problems.map((p) => `${p.path}: ${p.reason}`)).toEqual([
      'chargers[0].unit_id: must be <= 255, got 300',
    ]);
  });
});
