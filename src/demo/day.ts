/**
 * The demo's simulated day: an accelerated clock (a day in 10 minutes by default), a PV curve with
 * passing clouds and a house load. Pure functions of the simulated minute of the day (0 … 1440).
 */

/** Minutes in a day. */
const DAY_MIN = 1440;

/** How the demo's day runs: where it starts and how fast, simulated minutes per real second. */
export interface DayPace {
  /** Simulated minute of the day at start (630 = 10:30). */
  startMinute: number;
  /** Simulated minutes per real second (2.4 = a day in 10 minutes). */
  minutesPerSecond: number;
}

/** The demo's default: 10:30 at start, a day every 10 minutes. */
export const DEMO_PACE: DayPace = { startMinute: 630, minutesPerSecond: 2.4 };

/** Simulated minute of the day (0 ≤ m < 1440) after `elapsedMs` of real time. */
export function minuteOfDay(pace: DayPace, elapsedMs: number): number {
  const m = pace.startMinute + (elapsedMs / 1000) * pace.minutesPerSecond;
  return ((m % DAY_MIN) + DAY_MIN) % DAY_MIN;
}

/** "HH:MM" → minute of the day. */
export function hhmm(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Minute of the day → "HH:MM". */
export function clockText(m: number): string {
  const whole = Math.floor(m) % DAY_MIN;
  return `${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** `m` lies in [from, to) of the day, across midnight when to < from. */
export function within(m: number, from: number, to: number): boolean {
  return from <= to ? m >= from && m < to : m >= from || m < to;
}

/** Sunrise and sunset of the demo's summer day, minutes. */
export const SUNRISE = hhmm('06:00');
export const SUNSET = hhmm('20:00');
/** AC peak of the simulated PV plant, W (a 9 kWp roof on a clear day). */
export const PV_PEAK_W = 8000;

/** A cloud passing over the PV plant: [from, to) minutes of the day, share of the sun left. */
export interface Cloud {
  from: number;
  to: number;
  factor: number;
}

/**
 * The demo's clouds: a short one (about 10 s of real time, shorter than the demo's disable_delay:
 * a solar charger holds its minimum) and a long one (about 50 s: it stops, and starts again after).
 */
export const DEMO_CLOUDS: readonly Cloud[] = [
  { from: hhmm('12:54'), to: hhmm('13:18'), factor: 0.3 },
  { from: hhmm('15:15'), to: hhmm('17:15'), factor: 0.2 },
];

/** PV power at minute `m`, W: a bell from sunrise to sunset, dimmed by the clouds. */
export function pvPower(m: number, clouds: readonly Cloud[] = DEMO_CLOUDS): number {
  if (m <= SUNRISE || m >= SUNSET) return 0;
  const sun = Math.sin((Math.PI * (m - SUNRISE)) / (SUNSET - SUNRISE)) ** 1.5;
  const shade = clouds.find((c) => within(m, c.from, c.to))?.factor ?? 1;
  return Math.round(PV_PEAK_W * sun * shade);
}

/** What the house draws besides the chargers: [from, to) minutes, extra W. */
const HOUSE_EVENTS: ReadonlyArray<[number, number, number]> = [
  [hhmm('07:00'), hhmm('07:45'), 1500], // breakfast
  [hhmm('12:00'), hhmm('12:30'), 2000], // lunch
  [hhmm('18:30'), hhmm('19:30'), 2500], // dinner
  [hhmm('19:30'), hhmm('23:00'), 1500], // dishwasher, washing machine, television, lights
];

/** House load at minute `m`, W: a base, the fridge's cycle and the meals. */
export function housePower(m: number): number {
  const fridge = Math.floor(m / 20) % 2 === 0 ? 120 : 0;
  const extra = HOUSE_EVENTS.filter(([from, to]) => within(m, from, to)).reduce((s, [, , w]) => s + w, 0);
  return 330 + fridge + extra;
}
