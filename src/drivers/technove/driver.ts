import type { ChargerReading, DeviceInfo, OnExit, Scalar, Targets } from '../../core/model.js';
import { expectOk, HttpClient } from '../../transport/http.js';
import type { ChargerDriver, ChargerTypeDef, DriverContext } from '../types.js';
import { checkInfo, mapInfo, vehicleFromStatus } from './mapping.js';
import { technoveMeta } from './meta.js';
import { type ActivatedBody, MIN_CURRENT, PATHS, partageBody, type TechnoveInfo } from './wire.js';

const REQUEST_TIMEOUT_MS = 3000;

/**
 * TechnoVE station driver: polls GET /station/get/info; start/stop, `partage` (max current) and
 * the auto-charge and high-tariff schedule switches (README.md beside this file). The station only honours
 * start/stop with auto_charge off, so the first command that needs them switches auto_charge off
 * and remembers the value it had, which `on_exit: release` puts back. Someone switching it on
 * again at the station (its app) is a change at the device (`overridden`).
 */
export class TechnoveDriver implements ChargerDriver {
  info: DeviceInfo;
  /** The last status object read. */
  private last: TechnoveInfo;
  /** The last reading saw a vehicle. */
  private vehicleConnected = false;
  /** Vehicle presence from the last letter that told it (A/B/C/D). */
  private lastVehicle?: boolean;
  /** auto_charge before the bridge switched it off itself; restored by `on_exit: release`. */
  private restoreAutoCharge?: boolean;
  /** auto_charge is off because of a command through the bridge. */
  private inControl = false;
  /** Consecutive reads showing auto_charge switched back on while in control. */
  private overrideReads = 0;
  /** Consecutive reads whose session state disagrees with the bridge's `enabled`. */
  private sessionDisagreements = 0;
  /** The targets last written. */
  private wanted?: Targets;
  /** Last value written to the high-tariff schedule switch (the station does not report it). */
  private highTariffSchedule: boolean | null = null;

  constructor(
    private readonly ctx: DriverContext,
    private readonly http: HttpClient,
    first: TechnoveInfo,
  ) {
    this.last = first;
    this.info = describe(first);
  }

  /** Probes GET /station/get/info and returns a driver. */
  static async create(ctx: DriverContext): Promise<TechnoveDriver> {
    const http = new HttpClient({
      baseUrl: `http://${ctx.cfg.host}:${ctx.cfg.port}`,
      timeoutMs: REQUEST_TIMEOUT_MS,
      clock: ctx.clock,
      log: ctx.log,
    });
    const first = checkInfo(await http.getObject(PATHS.info));
    ctx.log.info(
      {
        name: first.name,
        version: first.version,
        auto_charge: first.auto_charge,
        sharing_mode: first.inSharingMode,
        max_station_current: first.maxStationCurrent,
      },
      'TechnoVE station found; auto_charge is switched off at the first start/stop command',
    );
    return new TechnoveDriver(ctx, http, first);
  }

  /** Reads the station (one GET); on a fresh plug-in under the bridge's control, starts the session it wants. */
  async read(): Promise<ChargerReading> {
    let info = await this.fetch();
    if (this.startsOnPlugIn(info)) {
      try {
        await this.command('GET', PATHS.start);
        this.ctx.log.info('vehicle plugged in; session started as the bridge wants charging enabled');
        info = await this.fetch();
      } catch (e) {
        this.ctx.log.warn(
          { err: (e as Error).message },
          `could not start the new session: ${(e as Error).message}`,
        );
      }
    }
    return this.map(info);
  }

  /**
   * Writes the changed targets: refusals first (nothing sent), then current, auto_charge and
   * start/stop. A key whose value the station already has is not sent again.
   */
  async apply(targets: Targets, changed: ReadonlySet<string>): Promise<Record<string, Scalar>> {
    const auto = changed.has('auto_charge') ? targets.extra.auto_charge : undefined;
    if (auto !== undefined && typeof auto !== 'boolean') throw new Error('auto_charge: expected ON or OFF');
    const wanted = changed.has('charge_current') ? this.amps(targets.charge_current) : undefined;
    const amps = wanted !== undefined && wanted !== this.last.maxCurrent ? wanted : undefined;
    const enabling = changed.has('enabled') && !this.stationAlreadyCharges(targets.enabled, auto);
    if (amps !== undefined && this.last.inSharingMode === true) {
      throw new Error(
        'charge_current: the station is in a load-sharing group (sharing mode), so the group sets its current; take it out of sharing mode in the TechnoVE app to set charge_current here',
      );
    }
    if (changed.has('enabled') && auto === true && !targets.enabled) {
      throw new Error(
        'enabled: false contradicts auto_charge: true (with auto_charge on the station starts charging by itself); send one or the other',
      );
    }
    const side: Record<string, Scalar> = {};
    // a lower current before a start, a stop before a higher current: never a burst at the old limit
    if (amps !== undefined && targets.enabled) await this.setCurrent(amps);
    if (auto === false) await this.setAutoCharge(false);
    if (enabling && auto === true) {
      // control goes back to the station, charging: start while auto_charge is still off, then switch it on
      if (this.last.auto_charge !== true) await this.command('GET', PATHS.start);
    } else if (enabling) {
      // taking control switches auto_charge off; that becomes the bridge's auto_charge target too
      if (await this.takeControl()) side.auto_charge = false;
      await this.command('GET', targets.enabled ? PATHS.start : PATHS.stop);
    }
    if (auto === true) await this.setAutoCharge(true);
    if (amps !== undefined && !targets.enabled) await this.setCurrent(amps);
    const schedule = targets.extra.high_tariff_schedule;
    if (changed.has('high_tariff_schedule') && typeof schedule === 'boolean') {
      await this.command('POST', PATHS.highTariffSchedule, { activated: schedule } satisfies ActivatedBody);
      this.highTariffSchedule = schedule;
    }
    this.wanted = { ...targets, extra: { ...targets.extra, ...side } };
    this.sessionDisagreements = 0;
    return side;
  }

  /**
   * The station already does what `enabled: true` asks without start/stop: auto_charge on (and
   * staying on) with its session running, or with no vehicle (it starts at the plug-in by itself).
   * The bridge then leaves auto_charge alone; it takes control only when a start/stop is needed.
   */
  private stationAlreadyCharges(enabled: boolean, auto: Scalar | undefined): boolean {
    if (!enabled || auto === false || this.last.auto_charge !== true) return false;
    return !this.vehicleConnected || this.last.isSessionActive === true;
  }

  /** release: auto_charge back to its value before the bridge; pause: stop; keep: nothing (`on_exit`). */
  async exit(action: OnExit): Promise<void> {
    if (action === 'keep') return;
    if (action === 'pause') {
      await this.takeControl().catch(() => false);
      await this.command('GET', PATHS.stop);
      return;
    }
    const restore = this.restoreAutoCharge;
    if (restore === undefined || this.last.auto_charge === restore) return;
    await this.command('POST', PATHS.automatic, { activated: restore } satisfies ActivatedBody);
    this.ctx.log.info(
      { auto_charge: restore },
      'auto_charge restored to its value before the bridge took control',
    );
  }

  /** Nothing to close: plain HTTP requests on a shared keep-alive agent. */
  async close(): Promise<void> {}

  private async fetch(): Promise<TechnoveInfo> {
    return checkInfo(await this.http.getObject(PATHS.info));
  }

  /** Maps a status object and keeps the driver's view of the station up to date. */
  private map(info: TechnoveInfo): ChargerReading {
    if (info.conflictInSharingConfig === true && this.last.conflictInSharingConfig !== true) {
      this.ctx.log.warn(
        'the station reports a conflict in its load-sharing configuration; check the group in the TechnoVE app',
      );
    }
    this.last = info;
    const reading = mapInfo(info, this.lastVehicle);
    this.lastVehicle = vehicleFromStatus(info.status) ?? this.lastVehicle;
    this.vehicleConnected = reading.vehicleConnected;
    if (this.inControl && info.auto_charge === true) {
      // someone switched auto_charge on again at the station: a change at the device (docs/mqtt-api.md).
      // Reported on two reads, which is when the runtime adopts it; control comes back at the next command.
      reading.overridden = true;
      this.overrideReads += 1;
      if (this.overrideReads >= 2) {
        this.inControl = false;
        this.restoreAutoCharge = undefined;
        this.overrideReads = 0;
        this.ctx.log.info(
          'auto_charge was switched on at the station; the bridge leaves it until its next command',
        );
      }
    } else {
      this.overrideReads = 0;
    }
    this.followSessionChange(reading);
    const highTariff: Scalar = this.highTariffSchedule;
    reading.values.high_tariff_schedule = highTariff;
    this.info = describe(info);
    reading.info = this.info;
    return reading;
  }

  /**
   * A session started or stopped at the station (its app) that disagrees with the bridge for two
   * reads is adopted by the runtime (docs/mqtt-api.md); the driver follows, so that the next plug-in
   * does not restart what a person stopped.
   */
  private followSessionChange(r: ChargerReading): void {
    if (!this.wanted || r.enabled === null || r.enabled === this.wanted.enabled) {
      this.sessionDisagreements = 0;
      return;
    }
    this.sessionDisagreements += 1;
    if (this.sessionDisagreements >= 2) {
      this.wanted = { ...this.wanted, enabled: r.enabled };
      this.sessionDisagreements = 0;
    }
  }

  /** A vehicle has just been plugged in, the bridge controls the station and wants charging enabled. */
  private startsOnPlugIn(info: TechnoveInfo): boolean {
    return (
      this.inControl &&
      this.wanted?.enabled === true &&
      info.auto_charge !== true &&
      this.lastVehicle === false &&
      vehicleFromStatus(info.status) === true &&
      info.isSessionActive !== true
    );
  }

  /** Switches auto_charge off before a start/stop, remembering the value to restore; true when it switched. */
  private async takeControl(): Promise<boolean> {
    let switched = false;
    if (this.last.auto_charge === true) {
      switched = true;
      await this.command('POST', PATHS.automatic, { activated: false } satisfies ActivatedBody);
      this.restoreAutoCharge ??= true;
      this.last = { ...this.last, auto_charge: false };
      this.ctx.log.info('auto_charge switched off: the bridge starts and stops charging now');
    }
    this.inControl = true;
    this.overrideReads = 0;
    return switched;
  }

  /** A person's auto_charge command: their setting stands, nothing to restore at exit. */
  private async setAutoCharge(on: boolean): Promise<void> {
    await this.command('POST', PATHS.automatic, { activated: on } satisfies ActivatedBody);
    this.last = { ...this.last, auto_charge: on };
    this.restoreAutoCharge = undefined;
    this.inControl = !on;
    this.overrideReads = 0;
  }

  private async setCurrent(amps: number): Promise<void> {
    await this.command('POST', PATHS.partage, partageBody(amps));
    // a second command before the next read compares with what was just sent
    this.last = { ...this.last, maxCurrent: amps };
  }

  /** Integer A within [8, maxStationCurrent]; above the station's maximum it is capped (the state then says so). */
  private amps(target: number): number {
    const a = Math.round(target);
    if (a < MIN_CURRENT) {
      throw new Error(`charge_current: the station accepts no less than ${MIN_CURRENT} A, got ${target}`);
    }
    const max = this.last.maxStationCurrent;
    if (typeof max === 'number' && max >= MIN_CURRENT && a > max) {
      this.ctx.log.info({ wanted: a, max }, `charge_current capped at the station maximum (${max} A)`);
      return max;
    }
    return a;
  }

  private async command(method: 'GET' | 'POST', path: string, body?: object): Promise<void> {
    const r = await this.http.request(method, path, body);
    expectOk(r, method, path);
    this.ctx.log.debug({ path, body, reply: r.text.slice(0, 80) }, 'TechnoVE command accepted');
  }
}

function describe(info: TechnoveInfo): DeviceInfo {
  return {
    manufacturer: technoveMeta.manufacturer,
    model: technoveMeta.model,
    ...(typeof info.version === 'string' && info.version ? { sw_version: info.version } : {}),
    ...(typeof info.id === 'string' && info.id ? { serial: info.id } : {}),
  };
}

/** The technove charger type. */
export const technoveType: ChargerTypeDef = {
  ...technoveMeta,
  create: (ctx) => TechnoveDriver.create(ctx),
};
