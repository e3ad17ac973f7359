import type { Logger } from 'pino';
import type { ChargerConfig } from '../config/types.js';
import type { ChargerDriver, ChargerTypeDef, DriverServices } from '../drivers/types.js';
import type { EventBus } from './bus.js';
import { backoff, type Clock, type TimerHandle } from './clock.js';
import type { ChargerReading, DeviceInfo } from './model.js';
import { untilNextSlot } from './poll-slots.js';

/** A charger's configuration, type and the bridge's services: what its link and runtime share. */
export interface LinkBase {
  cfg: ChargerConfig;
  type: ChargerTypeDef;
  bus: EventBus;
  clock: Clock;
  /** Child logger of this charger. */
  log: Logger;
  instance: string;
  /** What the bridge shares with drivers (absent in tests that build a runtime alone). */
  services?: DriverServices;
  /**
   * Where in the poll interval this charger's polls fall, as a fraction in [0, 1) (default 0).
   * The bridge spreads its chargers evenly, so a thousand chargers do not all poll in the same
   * few hundred ms (a burst that commands and pushes would queue behind; poll-slots.ts).
   */
  pollPhase?: number;
}

/** What a charger link is built from. */
export interface LinkDeps extends LinkBase {
  /**
   * The charger's write generation, taken before each poll's read: a reading counts for adoption
   * only when no write started meanwhile (ChargerRuntime.applyGen).
   */
  generation(): number;
  /**
   * A reading arrived: `readGen` is the generation taken before a poll's read, null for a push.
   * The handler calls `noteSuccess` where the reading's bookkeeping belongs in its own order.
   */
  onReading(reading: ChargerReading, readGen: number | null): void;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * The connection to one charger: its driver (created on the first read), reads on the charger's
 * poll slot with back-off after failures, pushes, and availability (offline after three poll
 * intervals without a successful read, or when the push channel says so). Emits `device.info`,
 * `device.attempted` and `device.availability`; what a reading means is the runtime's.
 */
export class ChargerLink {
  info: DeviceInfo;
  online = false;
  /** The first read attempt (successful or not) is over. */
  attempted = false;
  /** Clock time of the last successful read, ms. */
  lastOkAt?: number;
  private driver?: ChargerDriver;
  private failures = 0;
  private lastFailure?: string;
  private availabilityKnown = false;
  private pollTimer?: TimerHandle;
  /** Clock time of this charger's poll slot 0: polls fall on anchor + k × poll_interval. */
  private pollAnchor = 0;
  private availTimer?: TimerHandle;
  private readInFlight?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: LinkDeps) {
    this.info = { manufacturer: deps.type.manufacturer, model: deps.type.model };
  }

  /** The driver, once the first read created it. */
  get device(): ChargerDriver | undefined {
    return this.driver;
  }

  /** Starts polling on the charger's slot. */
  start(): void {
    this.stopped = false;
    const phase = Math.min(Math.max(this.deps.pollPhase ?? 0, 0), 1);
    this.pollAnchor = this.deps.clock.now() + Math.floor(phase * this.deps.cfg.poll_interval * 1000);
    void this.poll();
  }

  /** Stops timers and closes the driver. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.deps.clock.clearTimeout(this.availTimer);
    await this.driver?.close().catch(() => {});
  }

  /** Reads the device now; concurrent calls share one read. */
  refresh(): Promise<void> {
    if (!this.readInFlight) {
      this.readInFlight = this.readOnce().finally(() => {
        this.readInFlight = undefined;
      });
    }
    return this.readInFlight;
  }

  /** Bookkeeping of a successful reading: back-off reset, info, availability timer, online. */
  noteSuccess(reading: ChargerReading): void {
    this.lastOkAt = this.deps.clock.now();
    this.failures = 0;
    if (this.lastFailure) this.deps.log.info('reads work again');
    this.lastFailure = undefined;
    if (reading.info) this.setInfo({ ...this.info, ...reading.info });
    this.armAvailability();
    this.markAttempted();
    if (!this.online || !this.availabilityKnown) {
      this.online = true;
      this.availabilityKnown = true;
      this.deps.log.info('online');
      this.deps.bus.emit('device.availability', { id: this.deps.cfg.id, online: true });
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    const pollMs = this.deps.cfg.poll_interval * 1000;
    try {
      await this.refresh();
      if (this.driver?.updates === 'connection') return;
      // on the charger's slot (see poll-slots.ts); the first one after start or an outage too
      this.schedule(untilNextSlot(this.deps.clock.now(), this.pollAnchor, pollMs));
    } catch {
      // a charger that connects to the bridge is not polled: its driver says when it is back
      if (this.driver?.updates === 'connection') return;
      this.schedule(backoff(pollMs, this.failures, MAX_BACKOFF_MS));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.deps.clock.setTimeout(() => void this.poll(), ms);
  }

  private async readOnce(): Promise<void> {
    try {
      const driver = await this.ensureDriver();
      const gen = this.deps.generation();
      const reading = await driver.read();
      if (this.stopped) return;
      this.deps.onReading(reading, gen);
    } catch (e) {
      if (!this.stopped) this.onFailure(e as Error);
      throw e;
    }
  }

  private async ensureDriver(): Promise<ChargerDriver> {
    if (this.driver) return this.driver;
    const driver = await this.deps.type.create({
      cfg: this.deps.cfg,
      log: this.deps.log,
      clock: this.deps.clock,
      instance: this.deps.instance,
      ...(this.deps.services ? { services: this.deps.services } : {}),
    });
    if (this.stopped) {
      await driver.close();
      throw new Error('stopped');
    }
    this.driver = driver;
    this.setInfo(driver.info);
    driver.subscribe?.({
      reading: (r) => {
        // a charger that holds a connection is never polled: its pushes are its reads and count
        // for adoption like a poll's (when no write started meanwhile)
        const gen = driver.updates === 'connection' ? this.deps.generation() : null;
        if (!this.stopped) this.deps.onReading(r, gen);
      },
      lost: (why) => this.markOffline(why),
      restored: () => void this.refresh().catch(() => {}),
    });
    return driver;
  }

  private setInfo(info: DeviceInfo): void {
    if (JSON.stringify(info) === JSON.stringify(this.info)) return;
    this.info = info;
    this.deps.bus.emit('device.info', { id: this.deps.cfg.id, info });
  }

  private markAttempted(): void {
    if (this.attempted) return;
    this.attempted = true;
    this.deps.bus.emit('device.attempted', { id: this.deps.cfg.id });
  }

  private onFailure(e: Error): void {
    this.failures += 1;
    const msg = e.message;
    // a charger that connects to the bridge and has not yet is no failure: the driver says so
    const waiting = this.driver?.updates === 'connection';
    if (msg !== this.lastFailure && !waiting) this.deps.log.warn({ err: msg }, `read failed: ${msg}`);
    else if (msg !== this.lastFailure) this.deps.log.info({ err: msg }, msg);
    else this.deps.log.debug({ err: msg, failures: this.failures }, 'read failed again');
    this.lastFailure = msg;
    this.markAttempted();
    if (!this.availabilityKnown) this.markOffline(msg);
  }

  private armAvailability(): void {
    this.deps.clock.clearTimeout(this.availTimer);
    if (this.driver?.updates === 'connection') return; // its driver says when it is lost
    const s = 3 * this.deps.cfg.poll_interval;
    this.availTimer = this.deps.clock.setTimeout(
      () => this.markOffline(`no successful read for ${s.toString()} s`),
      s * 1000,
    );
  }

  private markOffline(reason: string): void {
    if (this.stopped || (!this.online && this.availabilityKnown)) return;
    const first = !this.availabilityKnown && this.driver?.updates === 'connection';
    this.online = false;
    this.availabilityKnown = true;
    this.deps.clock.clearTimeout(this.availTimer);
    if (first) this.deps.log.info({ reason }, 'offline until the charger connects');
    else this.deps.log.warn({ reason }, `offline: ${reason}`);
    this.deps.bus.emit('device.availability', { id: this.deps.cfg.id, online: false });
  }
}
