/** Charging sessions (docs/sessions.md): the published record and the open session's saved state. */

/** A session as published on `<base>/<id>/session`, stored in `sessions.jsonl` and answered to requests. */
export interface SessionRecord {
  /** `<charger>-<start, epoch s>`. */
  id: string;
  charger: string;
  state: 'active' | 'ended';
  /** ISO 8601 with offset (site.timezone). */
  start: string;
  /** ISO 8601 with offset; null while active. */
  end: string | null;
  /** kWh into the vehicle. */
  energy: number;
  /** kWh out of the vehicle; bidirectional chargers only. */
  discharged_energy?: number;
  /** kWh the grid did not supply; null without a grid meter. */
  solar_energy: number | null;
  /** solar_energy ÷ energy in [0, 1]; null when energy is 0 or without a grid meter. */
  solar_share: number | null;
  /** In `currency`; null without a tariff. */
  cost: number | null;
  currency: string | null;
  /** cost ÷ energy, currency/kWh; null when energy is 0 or without a tariff. */
  average_price: number | null;
  /** W; null when the charger never reported power. */
  max_power: number | null;
  /** s plugged. */
  duration: number;
  /** s with energy flowing. */
  charging_time: number;
  /** Every mode in force during the session, first first. */
  modes: string[];
  /** OCPP: the first accepted transaction's id. */
  transaction_id?: number;
  /** OCPP: the idTag that started it. */
  id_tag?: string | null;
  /** OCPP: StopTransaction reason, null until it stopped. */
  stop_reason?: string | null;
}

/**
 * An open session as kept in memory and saved in `state.json` (`sessions.<charger>`): running
 * totals and the marks of the last reading, all plain numbers (times ms since the epoch, energy
 * kWh, power W), so that a restart continues from the last save.
 */
export interface OpenSession {
  id: string;
  charger: string;
  /** ms */
  start: number;
  /** Last reading with the vehicle connected, ms. */
  lastSeen: number;
  /** kWh into the vehicle. */
  energy: number;
  /** kWh out of the vehicle. */
  discharged: number;
  /** kWh of `energy` the grid did not supply. */
  solar: number;
  /** currency. */
  cost: number;
  /** W, null until a power reading. */
  maxPower: number | null;
  /** ms with energy flowing. */
  chargingMs: number;
  modes: string[];
  transactionId: number | null;
  idTag: string | null;
  stopReason: string | null;
  /** The charger keeps transactions (OCPP). */
  hasTransactions: boolean;
  /** Marks of the last reading: time ms, lifetime kWh, session kWh, power W, energy flowing. */
  at: number;
  total: number | null;
  sessionEnergy: number | null;
  power: number | null;
  charging: boolean;
}
