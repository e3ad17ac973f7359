import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** Which shape of charging profile a charger accepted (the Rejected ladder, README.md "Commands"). */
export type ProfileVariant = 'default' | 'stack0' | 'relative';

interface Saved {
  /** The next transaction id to hand out. */
  next_transaction_id: number;
  /** Per charger id: the profile variant that worked last. */
  variants: Record<string, ProfileVariant>;
}

/**
 * `<data_dir>/ocpp.json`: transaction ids that keep increasing across restarts, and the profile
 * variant each charger accepted. Rewritten atomically on every change.
 */
export class OcppStore {
  private saved: Saved;
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
    now: number,
  ) {
    this.file = path.resolve(dataDir, 'ocpp.json');
    // a fresh store starts at the epoch seconds (as evcc does): ids stay unique even if the file is lost
    this.saved = { next_transaction_id: Math.floor(now / 1000) % 2_000_000_000, variants: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Saved>;
      if (Number.isInteger(parsed.next_transaction_id) && (parsed.next_transaction_id as number) > 0)
        this.saved.next_transaction_id = parsed.next_transaction_id as number;
      if (typeof parsed.variants === 'object' && parsed.variants) this.saved.variants = parsed.variants;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn(
          { file: this.file, err: (e as Error).message },
          'cannot read ocpp.json; transaction ids restart from the clock',
        );
    }
  }

  /** A new transaction id, larger than every one handed out before (saved before it is returned). */
  nextTransactionId(): number {
    const id = this.saved.next_transaction_id;
    this.saved.next_transaction_id = id + 1;
    this.write();
    return id;
  }

  /** The profile variant that worked last for a charger. */
  variant(charger: string): ProfileVariant | undefined {
    return this.saved.variants[charger];
  }

  /** Remembers the variant that worked. */
  setVariant(charger: string, v: ProfileVariant): void {
    if (this.saved.variants[charger] === v) return;
    this.saved.variants[charger] = v;
    this.write();
  }

  private write(): void {
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(this.saved, null, 2)}\n`);
      renameSync(tmp, this.file);
    } catch (e) {
      this.log.error({ file: this.file, err: (e as Error).message }, 'cannot save ocpp.json');
    }
  }
}
