import type { ChargerConfig } from '../config/types.js';
import type { ChargerCapabilities } from '../drivers/types.js';
import type { Mode, Targets } from './model.js';

/** Why a mode cannot be used on a charger (missing input), or null when it can. */
export type ModeCheck = (mode: Mode, cfg: ChargerConfig, caps: ChargerCapabilities) => string | null;

/**
 * What the charger runtime asks of the control side (the engine, or the plain policy below when
 * no engine runs): which modes are usable, what an automatic mode wants right now, and the site
 * cap. The engine sends its decisions through ChargerRuntime.applyTargets, like a user.
 */
export interface ControlHooks {
  /** Null when `mode` is usable on this charger, else what is missing. */
  checkMode: ModeCheck;
  /** The targets an automatic mode asks for at once (off, fast), or null when the engine decides at its next cycle. */
  immediateTargets(mode: Mode, cfg: ChargerConfig, current: Targets): Targets | null;
  /** Caps targets by the site limit (load management); returns them unchanged without one. */
  cap(id: string, targets: Targets): Targets;
  /** In smart: a person asked to charge now (the plan goes OVERRIDDEN), or changed the policy. */
  smartEvent?(id: string, event: 'charge_now' | 'policy'): void;
}

/** Modes that need no input beyond the charger itself. */
const PLAIN_MODES: ReadonlySet<Mode> = new Set(['manual', 'off', 'fast']);

/** Control without an engine: manual, off and fast; the other modes say what they need. */
export const plainControl: ControlHooks = {
  checkMode(mode, _cfg, caps) {
    if (PLAIN_MODES.has(mode)) return null;
    if (mode === 'load_follow' && !caps.bidirectional) return 'load_follow needs a bidirectional charger';
    if (mode === 'smart') return 'smart needs the smart-charging engine';
    return `${mode} needs a grid meter (meters[].role: grid)`;
  },
  immediateTargets(mode, cfg, current) {
    if (mode === 'off') return { ...current, enabled: false };
    if (mode === 'fast') return { ...current, enabled: true, charge_current: cfg.max_current };
    return null;
  },
  cap: (_id, targets) => targets,
};
