import { describe, expect, it } from '@jest/globals';
import {
  clockText,
  DEMO_CLOUDS,
  DEMO_PACE,
  hhmm,
  housePower,
  minuteOfDay,
  pvPower,
  within,
} from '../../src/demo/day.js';

describe("the demo's simulated day", () => {
  it('starts at 10:30 and runs a day every 10 minutes of real time', () => {
    expect(clockText(minuteOfDay(DEMO_PACE, 0))).toBe('10:30');
    expect(clockText(minuteOfDay(DEMO_PACE, 60_000))).toBe('12:54');
    expect(minuteOfDay(DEMO_PACE, 600_000)).toBeCloseTo(630);
  });

  it('has a sunny midday and no PV at night', () => {
    expect(pvPower(hhmm('10:30'))).toBeGreaterThan(5000);
    expect(pvPower(hhmm('13:00'), [])).toBeGreaterThan(7500);
    expect(pvPower(hhmm('05:00'))).toBe(0);
    expect(pvPower(hhmm('20:00'))).toBe(0);
    expect(pvPower(hhmm('23:00'))).toBe(0);
  });

  it('dims the PV under a cloud', () => {
    const cloud = DEMO_CLOUDS[1]!;
    const m = cloud.from + 10;
    expect(pvPower(m)).toBe(Math.round(pvPower(m, []) * cloud.factor));
  });

  it('draws more in the house at meals than at night', () => {
    expect(housePower(hhmm('03:00'))).toBeLessThan(500);
    expect(housePower(hhmm('12:10'))).toBeGreaterThan(2000);
    expect(housePower(hhmm('20:30'))).toBeGreaterThan(1500);
  });

  it('counts a span across midnight', () => {
    expect(within(hhmm('23:00'), hhmm('20:00'), hhmm('07:30'))).toBe(true);
    expect(within(hhmm('06:00'), hhmm('20:00'), hhmm('07:30'))).toBe(true);
    expect(within(hhmm('12:00'), hhmm('20:00'), hhmm('07:30'))).toBe(false);
  });
});
