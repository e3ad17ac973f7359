import type { ChargerReading, Scalar, TransactionInfo } from '../../core/model.js';
import { MEASURED_KEYS, type MeterSample, mapMeterValue, sampleTime } from './meter-values.js';
import { errorText, statusFacts } from './status.js';
import type { MeterValue } from './wire.js';

/** The targets the charger last answered Accepted to. */
export interface AcceptedTarget {
  enabled: boolean;
  /** A */
  current: number;
}

interface Transaction {
  id: number;
  idTag: string | null;
  /** Wh at start; null when unknown (a transaction from before a restart, or Zaptec's int32-max). */
  meterStart: number | null;
  stopReason: string | null;
  /** Wh at stop. */
  meterStop: number | null;
}

/** A `meterStart`/`meterStop` that is no reading (Zaptec sends 2147483647, evcc-io/evcc#29190). */
const meterOk = (wh: number | undefined): wh is number => wh !== undefined && wh >= 0 && wh < 2_147_483_647;

/**
 * One connector of a charge point: its status, its transaction and its meter values, and the
 * reading they make (README.md in this folder, "Model").
 */
export class Connector {
  status = 'Unknown';
  private error: string | null = null;
  private vehicleConnected = false;
  private meter: MeterSample = {};
  /** Epoch ms of the newest meterValue applied; older ones are replays (Alfen backlog, lbbrhzn/ocpp#361). */
  private newestSample = Number.NEGATIVE_INFINITY;
  private tx: Transaction | null = null;
  /** Samples in a row whose Current.Offered was below the accepted limit while charging. */
  private cappedSamples = 0;
  private capped: number | null = null;
  /**
   * The register restarts at 0 with each transaction (Growatt Thor, Vestel EVC04: lbbrhzn/ocpp#1709):
   * it is the session's energy, not a lifetime counter, so `total_energy` is null meanwhile.
   */
  private sessionRegister = false;

  constructor(readonly id: number) {}

  /** Measured voltage, V, once a sample had one. */
  get voltage(): number | undefined {
    return this.meter.voltage;
  }

  /** The running transaction's id, or null. */
  get transactionId(): number | null {
    return this.tx && this.tx.stopReason === null ? this.tx.id : null;
  }

  /** A StatusNotification for this connector. */
  onStatus(status: string, errorCode?: string, info?: string, vendorErrorCode?: string): void {
    this.status = status;
    if (status === 'Faulted') this.error = errorText(errorCode, info, vendorErrorCode);
    else this.error = null;
    const facts = statusFacts(status, undefined, this.vehicleConnected);
    this.vehicleConnected = facts.vehicleConnected;
  }

  /** MeterValues (or StopTransaction.transactionData); returns whether something newer was applied. */
  onMeterValues(values: MeterValue[], accepted: AcceptedTarget | null): boolean {
    const sorted = values
      .map((mv) => ({ mv, t: sampleTime(mv) }))
      .filter((x): x is { mv: MeterValue; t: number } => x.t !== undefined)
      .sort((a, b) => a.t - b.t);
    let applied = false;
    for (const { mv, t } of sorted) {
      if (t < this.newestSample) continue; // a replayed, older sample
      this.newestSample = t;
      this.meter = { ...this.meter, ...mapMeterValue(mv) };
      applied = true;
      this.checkOffered(accepted);
    }
    return applied;
  }

  /** StartTransaction accepted: a new transaction. */
  startTransaction(id: number, idTag: string | null, meterStart: number | undefined): void {
    this.sessionRegister = meterStart === 0;
    this.tx = {
      id,
      idTag,
      meterStart: meterOk(meterStart) ? meterStart : null,
      stopReason: null,
      meterStop: null,
    };
  }

  /** StopTransaction: closes the running one, or records one from before a restart. */
  stopTransaction(id: number, reason: string, meterStop: number | undefined, idTag: string | null): void {
    const stop = meterOk(meterStop) ? meterStop : null;
    if (this.tx && this.tx.id === id) {
      this.tx = { ...this.tx, idTag: this.tx.idTag ?? idTag, stopReason: reason, meterStop: stop };
      return;
    }
    this.tx = { id, idTag, meterStart: null, stopReason: reason, meterStop: stop };
  }

  /** A MeterValues naming a transaction the bridge does not know (it started before a restart). */
  recoverTransaction(id: number): void {
    if (this.tx?.id === id) return;
    if (this.tx && this.tx.stopReason === null) return;
    this.tx = { id, idTag: null, meterStart: null, stopReason: null, meterStop: null };
  }

  private checkOffered(accepted: AcceptedTarget | null): void {
    const offered = this.meter.current_offered;
    const limit = accepted?.enabled ? accepted.current : null;
    if (limit !== null && offered !== undefined && this.status === 'Charging' && offered < limit - 0.5) {
      this.cappedSamples += 1;
      if (this.cappedSamples >= 2) this.capped = offered;
    } else {
      this.cappedSamples = 0;
      this.capped = null;
    }
  }

  /**
   * The canonical reading; `station` is connector 0's status (and `stationError` its error text
   * while Faulted), `accepted` the last Accepted target.
   */
  reading(
    station: string | undefined,
    accepted: AcceptedTarget | null,
    maxCurrent: number,
    stationError: string | null = null,
  ): ChargerReading {
    const facts = statusFacts(this.status, station, this.vehicleConnected);
    const values: Record<string, Scalar> = {};
    for (const k of MEASURED_KEYS) values[k] = this.meter[k] ?? null;
    if (!facts.charging && this.transactionId === null) {
      // many chargers send nothing while idle (Mennekes ACU): no transaction, no power
      values.power = 0;
      values.current = 0;
    }
    values.session_energy = this.sessionEnergy();
    if (this.sessionRegister) values.total_energy = null;
    const stationFault = station === 'Faulted' ? (stationError ?? 'Faulted') : null;
    const chargeCurrent = this.capped ?? accepted?.current ?? this.meter.current_offered ?? maxCurrent;
    return {
      vehicleConnected: facts.vehicleConnected,
      charging: facts.charging,
      enabled: accepted ? accepted.enabled : null,
      chargeCurrent,
      ...(this.capped !== null ? { deviceMaxCurrent: this.capped } : {}),
      fault: this.status === 'Faulted' ? this.error : stationFault,
      ...(facts.status ? { status: facts.status } : {}),
      ...(this.tx ? { transaction: this.transactionInfo() } : {}),
      values,
    };
  }

  private transactionInfo(): TransactionInfo {
    const tx = this.tx!;
    return { id: tx.id, idTag: tx.idTag, stopReason: tx.stopReason };
  }

  /** kWh: register − meterStart while it runs; (meterStop − meterStart) / 1000 once stopped. */
  private sessionEnergy(): number | null {
    const tx = this.tx;
    if (!tx || tx.meterStart === null) return null;
    const end =
      tx.meterStop ?? (this.meter.total_energy !== undefined ? this.meter.total_energy * 1000 : null);
    if (end === null) return null;
    return Math.max(0, Math.round(end - tx.meterStart) / 1000);
  }
}
