import type { ChargerCapabilities } from '../drivers/types.js';
import { adoptedTargets, disagreement } from './charger-state.js';
import type { ChargerReading, Targets } from './model.js';

/** What one reading says about the bridge's targets. */
export interface Review {
  /** The device holds charge_current below the target at its own maximum: the state names it. */
  capped: boolean;
  /** Set when the device disagreed for 2 polls: the targets adopted (null: control was taken at the device) and the keys. */
  adopted?: { targets: Targets | null; keys: string[] };
}

/**
 * Watches readings against the bridge's targets (README, "Charger entities"): a change made at the
 * device (its app, its UI, a person's override) that disagrees for 2 polls is adopted; the
 * runtime then goes manual with error "changed at the device". The bridge never re-commands over a person.
 */
export class AdoptionWatch {
  private disagreements = 0;
  /** A takeover at the device was adopted; the device's own control flag is then no news until the next write. */
  private controlYielded = false;

  /** Reviews one reading against the targets in force. */
  review(r: ChargerReading, t: Targets, caps: ChargerCapabilities): Review {
    const d = disagreement(r, t, caps, this.controlYielded);
    if (d.diffs.length === 0) {
      this.disagreements = 0;
      return { capped: d.capped };
    }
    this.disagreements += 1;
    if (this.disagreements < 2) return { capped: d.capped };
    this.disagreements = 0;
    if (d.diffs.includes('control')) this.controlYielded = true;
    return { capped: d.capped, adopted: { targets: adoptedTargets(r, t, d), keys: d.diffs } };
  }

  /** After a write: the device holds the bridge's targets again, counting starts over. */
  written(): void {
    this.controlYielded = false;
    this.disagreements = 0;
  }

  /** A write ended (accepted or not): disagreements seen during it do not count. */
  settled(): void {
    this.disagreements = 0;
  }
}
