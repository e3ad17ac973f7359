/** A simulated car behind an OCPP charger: how much it draws at a given limit. */
export class SimCar {
  /** %, state of charge. */
  soc: number;

  constructor(
    /** A per phase the car takes at most. */
    readonly maxCurrent = 32,
    /** Phases the car charges on. */
    readonly phases: 1 | 3 = 3,
    soc = 40,
    /** kWh battery. */
    readonly capacity = 60,
  ) {
    this.soc = soc;
  }

  /** A per phase drawn under a limit (0 when full or below the 6 A minimum of IEC 61851). */
  draw(limitA: number): number {
    if (this.soc >= 100 || limitA < 6) return 0;
    return Math.min(limitA, this.maxCurrent);
  }

  /** Charges `wh` Wh into the battery. */
  charge(wh: number): void {
    this.soc = Math.min(100, this.soc + (wh / 1000 / this.capacity) * 100);
  }
}
