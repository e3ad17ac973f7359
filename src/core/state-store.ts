import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SmartChargingConfig } from '../config/types.js';
import { writeFileDurably } from './durable-write.js';
import type { Mode } from './model.js';

/** What survives a restart: runtime mode and smart-charging policy per charger, site keys. */
export interface SavedState {
  chargers: Record<string, { mode?: Mode; smart_charging?: SmartChargingConfig | null }>;
  site: { max_current?: number | null; residual_power?: number };
  /** Open charging sessions by charger (src/sessions/, docs/sessions.md); checked where read. */
  sessions?: Record<string, unknown>;
}

/** `<data_dir>/state.json`, read at start and rewritten (atomically) on every change. */
export class StateStore {
  private state: SavedState = { chargers: {}, site: {} };
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.resolve(dataDir, 'state.json');
  }

  /** Loads the file; a missing file is an empty state, a corrupt one is logged and set aside. */
  load(): SavedState {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn(
          { err: (e as Error).message, file: this.file },
          'cannot read saved state; starting fresh',
        );
      return this.state;
    }
    try {
      const parsed = JSON.parse(text) as Partial<SavedState>;
      this.state = {
        chargers: typeof parsed.chargers === 'object' && parsed.chargers ? parsed.chargers : {},
        site: typeof parsed.site === 'object' && parsed.site ? parsed.site : {},
        ...(typeof parsed.sessions === 'object' && parsed.sessions ? { sessions: parsed.sessions } : {}),
      };
    } catch {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      try {
        renameSync(this.file, aside);
      } catch {
        /* keep going: the file will be overwritten */
      }
      this.log.warn(
        { file: this.file, moved_to: aside },
        'saved state is not valid JSON; moved aside, starting fresh',
      );
    }
    return this.state;
  }

  /** Saved settings of one charger. */
  charger(id: string): SavedState['chargers'][string] {
    return this.state.chargers[id] ?? {};
  }

  /** Saved site keys. */
  site(): SavedState['site'] {
    return this.state.site;
  }

  /** Merges settings of one charger and saves. */
  saveCharger(id: string, patch: SavedState['chargers'][string]): void {
    this.state.chargers[id] = { ...this.state.chargers[id], ...patch };
    this.write();
  }

  /** Merges site keys and saves. */
  saveSite(patch: SavedState['site']): void {
    this.state.site = { ...this.state.site, ...patch };
    this.write();
  }

  /** The open charging sessions saved by charger (unchecked). */
  sessions(): Record<string, unknown> {
    return this.state.sessions ?? {};
  }

  /** Replaces the open charging sessions and saves (the caller batches: at most one save per second). */
  saveSessions(sessions: Record<string, unknown>): void {
    this.state.sessions = sessions;
    this.write();
  }

  private write(): void {
    try {
      writeFileDurably(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
    } catch (e) {
      this.log.error(
        { err: (e as Error).message, file: this.file },
        'cannot save runtime state; check data_dir is writable',
      );
    }
  }
}
