/**
 * Wire format of the pulsatrix SECC REST/WebSocket API (README.md beside this file):
 * REST `GET /api/v1/{charging,configuration,transaction,limits}`, `PUT /api/v1/limits`, and the
 * WebSocket `/api/ws` whose frames are `{"topic": "<name>", "message": {…same body as REST…}}`.
 * Bodies are untrusted: every field is optional and unchecked here; mapping.ts validates each one.
 */

/** REST base path of the API. */
export const API_BASE = '/api/v1';
/** WebSocket path. */
export const WS_PATH = '/api/ws';
/** The four topics/endpoints. */
export const TOPICS = ['charging', 'configuration', 'transaction', 'limits'] as const;
export type Topic = (typeof TOPICS)[number];

/** Default validity of API-set limits on the device, ms (the docs' default: 5 min). */
export const DEFAULT_TIMEOUT_MS = 300_000;
/** Smallest `timeout` the OpenAPI schema allows, ms. */
export const MIN_TIMEOUT_MS = 5_000;
/** An amperage limit below this is taken as 0 A (pause) by the SECC, A. */
export const PAUSE_BELOW_A = 6;

/** `/charging`: voltage V and amperage A per phase, amperages A, frequency Hz, energyImported kWh, power W. */
export interface PulsatrixCharging {
  voltage?: unknown;
  amperage?: unknown;
  allocatedAmperage?: unknown;
  commandedAmperage?: unknown;
  availableAmperage?: unknown;
  signaledAmperage?: unknown;
  frequency?: unknown;
  energyImported?: unknown;
  lastActivePower?: unknown;
  /** MQTT `meter/fiscal` spelling of the power, W. */
  activePower?: unknown;
  [key: string]: unknown;
}

/** `/configuration`; the docs list `pdName`/`ctrlrName`/`hasPhaseStShutoff`, the docs' example sends
 * `powerDomainName`/`controllerName`/`hasPhaseShutoff`: both spellings are read. Limit in A. */
export interface PulsatrixConfiguration {
  pdName?: unknown;
  powerDomainName?: unknown;
  ctrlrName?: unknown;
  controllerName?: unknown;
  sessionId?: unknown;
  effectiveAmperageLimit?: unknown;
  hasPhaseRotation?: unknown;
  hasPhaseStShutoff?: unknown;
  hasPhaseShutoff?: unknown;
  hasPhaseSTTurnon?: unknown;
  [key: string]: unknown;
}

/** `/transaction`: states, session meter readings kWh, times epoch s. */
export interface PulsatrixTransaction {
  state?: unknown;
  startedTime?: unknown;
  endedTime?: unknown;
  meterStart?: unknown;
  meterStop?: unknown;
  vehicleStatus?: unknown;
  chargeControllerStatus?: unknown;
  usedPhasesSession?: unknown;
  allocationSourceName?: unknown;
  onePhaseLimitActive?: unknown;
  /** MQTT `tx/status` fields some firmware also sends. */
  effectiveAmperageLimit?: unknown;
  lastMeterValue?: unknown;
  energyActiveImportRegister?: unknown;
  lastActivePower?: unknown;
  [key: string]: unknown;
}

/** `/limits`: API limits as last set (valid or not): amperageLimit A or NaN, powerLimit W or NaN, timeout ms. */
export interface PulsatrixLimits {
  amperageLimit?: unknown;
  powerLimit?: unknown;
  timeout?: unknown;
  enabled?: unknown;
  [key: string]: unknown;
}

/** The latest body of each topic. */
export interface PulsatrixBodies {
  charging?: PulsatrixCharging;
  configuration?: PulsatrixConfiguration;
  transaction?: PulsatrixTransaction;
  limits?: PulsatrixLimits;
}

/** A parsed WebSocket frame. `topic` is inferred from the keys when the frame names none. */
export interface PulsatrixFrame {
  topic: Topic | 'unknown';
  message: Record<string, unknown>;
}

// Outside JSON strings, the firmware prints non-finite floats as bare literals (`NaN`); printf-style
// builds may say `nan`/`inf`. evcc's driver works around the same thing (charger/pulsatrix.go).
const STRING_OR_LITERAL = /"(?:[^"\\]|\\.)*"|-?\b(?:nan|inf(?:inity)?)\b/gi;

/**
 * Parses a JSON object as the SECC sends it: bare `NaN`/`Infinity` literals become null, and text
 * before the first `{` (or after the last `}`) is skipped. Throws an Error saying what came.
 */
export function parseDeviceJson(text: string): Record<string, unknown> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON object in ${quote(text)}`);
  const body = text.slice(start, end + 1).replace(STRING_OR_LITERAL, (m) => (m.startsWith('"') ? m : 'null'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new Error(`malformed JSON (${(e as Error).message}) in ${quote(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`expected a JSON object, got ${quote(text)}`);
  }
  return parsed as Record<string, unknown>;
}

/** Parses one WebSocket frame; throws an Error (with the reason) for frames that carry no body. */
export function parseFrame(text: string): PulsatrixFrame {
  const obj = parseDeviceJson(text);
  const message = obj.message;
  if (message !== undefined) {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new Error(`frame "message" is not an object in ${quote(text)}`);
    }
    const m = message as Record<string, unknown>;
    const t = obj.topic;
    const topic =
      typeof t === 'string' && (TOPICS as readonly string[]).includes(t) ? (t as Topic) : undefined;
    return { topic: topic ?? (t === undefined ? inferTopic(m) : 'unknown'), message: m };
  }
  // a bare body without the envelope (older firmware): recognise it by its keys
  return { topic: inferTopic(obj), message: obj };
}

/** Which topic a body belongs to, from its distinctive keys. */
export function inferTopic(m: Record<string, unknown>): Topic | 'unknown' {
  if ('amperageLimit' in m || 'powerLimit' in m) return 'limits';
  if ('amperage' in m || 'voltage' in m) return 'charging';
  if ('chargeControllerStatus' in m || 'vehicleStatus' in m || 'meterStart' in m) return 'transaction';
  if ('effectiveAmperageLimit' in m || 'controllerName' in m || 'ctrlrName' in m) return 'configuration';
  return 'unknown';
}

/** A WebSocket command frame: `"<command>\n<value>"`, one value per frame (e.g. `setCurrentLimit\n8.5`). */
export function wsCommand(command: string, value: number | boolean): string {
  return `${command}\n${typeof value === 'boolean' ? String(value) : formatNumber(value)}`;
}

/** A number as the SECC takes it: `NaN` gives control back; amperes to 0.1 A, others as integers. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'NaN';
  return String(Math.round(v * 10) / 10);
}

/**
 * Serialises a body the way the firmware does: JSON with bare `NaN` for non-finite numbers
 * (used for PUT /limits bodies and by the simulator).
 */
export function toDeviceJson(value: unknown): string {
  const marker = '\u0000NaN\u0000';
  const text = JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? marker : v,
  );
  return text.split(JSON.stringify(marker)).join('NaN');
}

function quote(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t);
}
