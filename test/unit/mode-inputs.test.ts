import { describe, expect, it } from '@jest/globals';
import type { ChargerConfig } from '../../src/config/types.js';
import type { Mode } from '../../src/core/model.js';
import { missingInput } from '../../src/engine/mode-inputs.js';

const quasar = { id: 'v2h', type: 'wallbox-quasar' } as ChargerConfig;
const openevse = { id: 'garage', type: 'openevse' } as ChargerConfig;
type Role = 'grid' | 'pv' | 'house';

describe('what a mode needs configured', () => {
  it.each<[string, Mode, ChargerConfig, boolean, Role[], string | null]>([
    ['manual needs nothing', 'manual', openevse, false, [], null],
    ['fast needs nothing', 'fast', openevse, false, [], null],
    ['smart needs no meter and no tariff', 'smart', openevse, false, [], null],
    ['solar with a grid meter', 'solar', openevse, false, ['grid'], null],
    ['solar with pv and house meters', 'solar', openevse, false, ['pv', 'house'], null],
    [
      'solar with a pv meter alone',
      'solar',
      openevse,
      false,
      ['pv'],
      'solar needs a grid meter (meters[].role: grid), or a pv and a house meter',
    ],
    [
      'min_solar without meters',
      'min_solar',
      openevse,
      false,
      [],
      'min_solar needs a grid meter (meters[].role: grid), or a pv and a house meter',
    ],
    ['load_follow on a Quasar with a grid meter', 'load_follow', quasar, true, ['grid'], null],
    [
      'load_follow on a Quasar without a grid meter',
      'load_follow',
      quasar,
      true,
      ['pv', 'house'],
      'load_follow needs a grid meter (meters[].role: grid)',
    ],
    [
      'load_follow on a charger that cannot discharge',
      'load_follow',
      openevse,
      false,
      ['grid'],
      'load_follow needs a bidirectional charger (garage is openevse, which cannot discharge)',
    ],
  ])('%s', (_name, mode, cfg, bidirectional, roles, missing) => {
    expect(
      missingInput(
        mode,
        cfg,
        { bidirectional },
        roles.map((role) => ({ role })),
      ),
    ).toBe(missing);
  });
});
