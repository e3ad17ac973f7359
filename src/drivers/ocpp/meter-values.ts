import type { MeterValue, SampledValue } from './wire.js';

/** What one meterValue says, in canonical units; a key is present only when the sample carried it. */
export interface MeterSample {
  /** kWh, `Energy.Active.Import.Register`. */
  total_energy?: number;
  /** W, `Power.Active.Import`. */
  power?: number;
  /** A, highest phase of `Current.Import`. */
  current?: number;
  current_l1?: number;
  current_l2?: number;
  current_l3?: number;
  /** V, `Voltage` (L1-N, else L1, else no phase). */
  voltage?: number;
  /** %, `SoC`. */
  state_of_charge?: number;
  /** °C, `Temperature`. */
  temperature?: number;
  /** A, `Current.Offered`: the limit the charger applies (the read-back of a profile). */
  current_offered?: number;
}

/** The model keys MeterValues give a connector's state (`current_offered` is only read back). */
export const MEASURED_KEYS = [
  'current',
  'current_l1',
  'current_l2',
  'current_l3',
  'voltage',
  'power',
  'total_energy',
  'temperature',
  'state_of_charge',
] as const satisfies ReadonlyArray<keyof MeterSample>;

const ENERGY = 'Energy.Active.Import.Register';

/**
 * The unit a measurand has when the sample names none. The specification says Wh for all, but
 * chargers leave the unit out on power and current too (Autel, lbbrhzn/ocpp#1989), so the default
 * follows the measurand.
 */
const DEFAULT_UNIT: Readonly<Record<string, string>> = {
  [ENERGY]: 'Wh',
  'Power.Active.Import': 'W',
  'Power.Offered': 'W',
  'Current.Import': 'A',
  'Current.Offered': 'A',
  Voltage: 'V',
  SoC: 'Percent',
  Temperature: 'Celsius',
};

/**
 * A sampled value in the canonical unit of its measurand (kWh, W, A, V, %, °C), or undefined when
 * it is not a number or its unit does not fit. Values are strings on the wire; units are read
 * case-insensitively ("kwh", "Celcius" of some firmwares).
 */
export function canonicalValue(s: SampledValue, measurand: string): number | undefined {
  const v = Number(s.value.trim());
  if (s.value.trim() === '' || !Number.isFinite(v)) return undefined;
  const unit = (s.unit ?? DEFAULT_UNIT[measurand] ?? '').toLowerCase();
  switch (measurand) {
    case ENERGY:
      return unit === 'kwh' ? v : unit === 'wh' ? v / 1000 : undefined;
    case 'Power.Active.Import':
    case 'Power.Offered':
      return unit === 'kw' ? v * 1000 : unit === 'w' ? v : undefined;
    case 'Temperature':
      return unit === 'k' ? v - 273.15 : unit === 'celsius' || unit === 'celcius' ? v : undefined;
    case 'SoC':
      return unit === 'percent' || unit === '%' ? v : undefined;
    default:
      return v;
  }
}

const PER_PHASE = /^L([123])(-N)?$/;

/** The samples of one measurand: the total (no phase) and the per-phase values L1..L3. */
function split(samples: SampledValue[], measurand: string) {
  let total: number | undefined;
  let begin: number | undefined;
  const phases: Array<number | undefined> = [undefined, undefined, undefined];
  for (const s of samples) {
    if ((s.measurand ?? ENERGY) !== measurand) continue;
    const v = canonicalValue(s, measurand);
    if (v === undefined) continue;
    if (!s.phase) {
      // Growatt and Project EV send the register at Transaction.Begin beside the periodic one
      // (lbbrhzn/ocpp#1838, evcc-io/evcc#15768): the periodic value is the current one
      if (s.context === 'Transaction.Begin') begin ??= v;
      else total ??= v;
      continue;
    }
    const m = PER_PHASE.exec(s.phase);
    // L1 and L1-N both name the first phase; the first one given wins
    if (m && phases[Number(m[1]) - 1] === undefined) phases[Number(m[1]) - 1] = v;
  }
  const known = phases.filter((p): p is number => p !== undefined);
  return { total: total ?? begin, phases, known };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Maps one meterValue to the model: a value without `phase` is the total; otherwise per-phase
 * values are summed (energy, power) or the highest taken (current; `current_l1..l3` keep each).
 */
export function mapMeterValue(mv: MeterValue): MeterSample {
  const out: MeterSample = {};
  const samples = mv.sampledValue;
  const sum = (measurand: string) => {
    const { total, known } = split(samples, measurand);
    return total ?? (known.length > 0 ? known.reduce((a, b) => a + b, 0) : undefined);
  };
  const energy = sum(ENERGY);
  if (energy !== undefined) out.total_energy = round(energy, 3);
  const power = sum('Power.Active.Import');
  if (power !== undefined) out.power = round(power, 1);
  const cur = split(samples, 'Current.Import');
  cur.phases.forEach((v, i) => {
    if (v !== undefined) out[`current_l${i + 1}` as 'current_l1'] = round(v, 2);
  });
  const current = cur.known.length > 0 ? Math.max(...cur.known) : cur.total;
  if (current !== undefined) out.current = round(current, 2);
  const volts = voltage(samples);
  if (volts !== undefined) out.voltage = round(volts, 1);
  const soc = split(samples, 'SoC').total;
  if (soc !== undefined) out.state_of_charge = round(soc, 1);
  const temp = split(samples, 'Temperature');
  const t = temp.total ?? temp.known[0];
  if (t !== undefined) out.temperature = round(t, 1);
  const offered = split(samples, 'Current.Offered');
  const o = offered.total ?? (offered.known.length > 0 ? Math.max(...offered.known) : undefined);
  if (o !== undefined) out.current_offered = round(o, 1);
  return out;
}

/** Voltage: L1-N, else L1, else the value without phase. */
function voltage(samples: SampledValue[]): number | undefined {
  let byPhase: Record<string, number> = {};
  for (const s of samples) {
    if (s.measurand !== 'Voltage') continue;
    const v = canonicalValue(s, 'Voltage');
    if (v !== undefined && !((s.phase ?? '') in byPhase)) byPhase = { ...byPhase, [s.phase ?? '']: v };
  }
  return byPhase['L1-N'] ?? byPhase.L1 ?? byPhase[''];
}

/** Epoch ms of an OCPP timestamp, or undefined when it does not parse. */
export function sampleTime(mv: MeterValue): number | undefined {
  const t = Date.parse(mv.timestamp);
  return Number.isFinite(t) ? t : undefined;
}
