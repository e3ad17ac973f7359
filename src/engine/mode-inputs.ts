/**
 * What each mode needs configured (docs/engine.md, modes), and the answer naming what is missing
 * when a mode is asked for without it. Pure.
 */
import type { ChargerConfig, MeterConfig } from '../config/types.js';
import type { Mode } from '../core/model.js';
import type { ChargerCapabilities } from '../drivers/types.js';

/** Why `mode` cannot run on this charger with these meters (what is missing), or null when it can. */
export function missingInput(
  mode: Mode,
  cfg: ChargerConfig,
  caps: Pick<ChargerCapabilities, 'bidirectional'>,
  meters: ReadonlyArray<Pick<MeterConfig, 'role'>>,
): string | null {
  const roles = new Set(meters.map((m) => m.role));
  const grid = roles.has('grid');
  switch (mode) {
    case 'manual':
    case 'off':
    case 'fast':
      return null;
    case 'solar':
    case 'min_solar':
      // the surplus comes from the grid meter, or from pv and house meters together
      return grid || (roles.has('pv') && roles.has('house'))
        ? null
        : `${mode} needs a grid meter (meters[].role: grid), or a pv and a house meter`;
    case 'load_follow': {
      const missing = [
        ...(caps.bidirectional
          ? []
          : [`a bidirectional charger (${cfg.id} is ${cfg.type}, which cannot discharge)`]),
        ...(grid ? [] : ['a grid meter (meters[].role: grid)']),
      ];
      return missing.length === 0 ? null : `load_follow needs ${missing.join(' and ')}`;
    }
    case 'smart':
      // without a tariff smart charges at once; its policy is checked with the command (smart_charging)
      return null;
  }
}
