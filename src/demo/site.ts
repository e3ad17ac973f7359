import type { Logger } from 'pino';
import { type Clock, realClock, type TimerHandle } from '../core/clock.js';
import type { ShellyGen1Simulator } from '../meters/shelly/sim-gen1.js';
import type { ShellyGen2Simulator } from '../meters/shelly/sim-gen2.js';
import { clockText, type DayPace, DEMO_PACE, hhmm, housePower, minuteOfDay, pvPower, within } from './day.js';

/** A simulated charger as the demo site sees it: the car's real draw, its comings and goings. */
export interface SiteCharger {
  id: string;
  /** Signed AC power the car takes now, W (negative while it discharges into the house). */
  powerW(): number;
  /** Advances the simulator's physics (energy counters, device timeouts) by `ms` of real time. */
  tick(ms: number): void;
  /** The car arrives and plugs in. */
  plugIn(): void;
  /** The car unplugs and leaves. */
  unplug(): void;
  /** When the car is there: [arrives, leaves] as "HH:MM" of the simulated day (across midnight when leaves < arrives). */
  visits: ReadonlyArray<readonly [string, string]>;
}

/** The figures of one step of the site, W (grid: + import, − export). */
export interface SiteFigures {
  /** Simulated minute of the day. */
  minute: number;
  pvW: number;
  houseW: number;
  chargersW: number;
  gridW: number;
}

/** Options of the demo site. */
export interface DemoSiteOptions {
  chargers: SiteCharger[];
  /** The PV inverter's meter (channel 0). */
  pvMeter: ShellyGen1Simulator;
  /** The meter at the grid connection (channel em1:0). */
  gridMeter: ShellyGen2Simulator;
  log: Logger;
  /** The bridge's clock (a manual one in tests); default the system clock. */
  clock?: Clock;
  pace?: DayPace;
  /** Real ms between steps; default 1000. */
  stepMs?: number;
}

/** Mains voltage of the simulated house, V. */
const VOLTAGE = 231;
/** A summary line every this many simulated minutes. */
const SUMMARY_EVERY_MIN = 120;

/**
 * The demo's house, physical and alive: once a second (of the given clock) the simulators' physics
 * advance, cars arrive and leave on the simulated day's schedule, and the meters read
 * PV = the curve of the simulated day, grid = house + what the cars really draw − PV.
 */
export class DemoSite {
  readonly clock: Clock;
  readonly pace: DayPace;
  private readonly stepMs: number;
  private readonly plugged = new Map<string, boolean>();
  private startedAt = 0;
  private lastStepAt = 0;
  private timer?: TimerHandle;
  private lastSummary = -1;
  /** The figures of the last step. */
  last: SiteFigures = { minute: 0, pvW: 0, houseW: 0, chargersW: 0, gridW: 0 };

  constructor(private readonly opts: DemoSiteOptions) {
    this.clock = opts.clock ?? realClock;
    this.pace = opts.pace ?? DEMO_PACE;
    this.stepMs = opts.stepMs ?? 1000;
  }

  /** Simulated minute of the day now. */
  minute(): number {
    return minuteOfDay(this.pace, this.clock.now() - this.startedAt);
  }

  /** Sets the meters for the start and runs a step every `stepMs`. */
  start(): void {
    this.startedAt = this.clock.now();
    this.lastStepAt = this.startedAt;
    // the first summary comes at the next even hour, after the demo's first screen
    this.lastSummary = Math.floor(this.minute() / SUMMARY_EVERY_MIN);
    this.step();
    const loop = () => {
      this.step();
      this.timer = this.clock.setTimeout(loop, this.stepMs);
    };
    this.timer = this.clock.setTimeout(loop, this.stepMs);
  }

  /** Stops the steps (the simulators keep their last state). */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One step: physics by the time elapsed, arrivals and departures, meter readings. */
  step(): SiteFigures {
    const now = this.clock.now();
    const ms = now - this.lastStepAt;
    this.lastStepAt = now;
    if (ms > 0) {
      for (const c of this.opts.chargers) c.tick(ms);
      this.opts.pvMeter.tick(ms);
      this.opts.gridMeter.tick(ms);
    }
    const minute = this.minute();
    this.comeAndGo(minute);
    const pvW = pvPower(minute);
    const houseW = housePower(minute);
    const chargersW = Math.round(this.opts.chargers.reduce((sum, c) => sum + c.powerW(), 0));
    const gridW = houseW + chargersW - pvW;
    this.opts.pvMeter.setChannel(0, { power: pvW, voltage: VOLTAGE });
    this.opts.gridMeter.setChannel(0, {
      power: gridW,
      voltage: VOLTAGE,
      current: Math.round((Math.abs(gridW) / VOLTAGE) * 100) / 100,
    });
    this.last = { minute, pvW, houseW, chargersW, gridW };
    this.summary();
    return this.last;
  }

  private comeAndGo(minute: number): void {
    for (const c of this.opts.chargers) {
      const there = c.visits.some(([from, to]) => within(minute, hhmm(from), hhmm(to)));
      if (there === (this.plugged.get(c.id) ?? false)) continue;
      this.plugged.set(c.id, there);
      if (there) c.plugIn();
      else c.unplug();
      this.opts.log.info(`simulated ${clockText(minute)}: a car ${there ? 'plugged into' : 'left'} ${c.id}`);
    }
  }

  /** A line every two simulated hours, so the log shows the day going by. */
  private summary(): void {
    const slot = Math.floor(this.last.minute / SUMMARY_EVERY_MIN);
    if (slot === this.lastSummary) return;
    this.lastSummary = slot;
    const kw = (w: number) => `${(w / 1000).toFixed(1)} kW`;
    const { minute, pvW, houseW, chargersW, gridW } = this.last;
    this.opts.log.info(
      `simulated ${clockText(minute)}: PV ${kw(pvW)}, house ${kw(houseW)}, chargers ${kw(chargersW)}, grid ${kw(gridW)} (${gridW < 0 ? 'export' : 'import'})`,
    );
  }
}
