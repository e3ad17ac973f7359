import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { DriverServices, SharedService } from '../drivers/types.js';

/** The services a bridge shares with its drivers; shared ones are closed when the bridge stops. */
export class BridgeDriverServices implements DriverServices {
  private readonly services = new Map<string, SharedService>();

  constructor(
    readonly config: Config,
    readonly dataDir: string,
    readonly log: Logger,
  ) {}

  shared<T extends SharedService>(key: string, make: () => T): T {
    let s = this.services.get(key);
    if (!s) {
      s = make();
      this.services.set(key, s);
    }
    return s as T;
  }

  /** Closes every shared service (after the chargers stopped). */
  async close(): Promise<void> {
    const all = [...this.services.values()];
    this.services.clear();
    await Promise.all(all.map((s) => s.close().catch(() => {})));
  }
}
