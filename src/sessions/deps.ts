/** What the sessions service is built from and answers (service.ts). */
import type { Logger } from 'pino';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { StateStore } from '../core/state-store.js';
import type { Tariff } from '../tariff/tariff.js';
import type { SessionRecord } from './types.js';

/** What sessions need of a charger (ChargerRuntime has it). */
export interface SessionCharger {
  readonly id: string;
  /** The mode in force. */
  readonly mode: string;
  readonly caps: { readonly bidirectional: boolean };
  readonly cfg: { readonly poll_interval: number };
  /** The record on `<base>/<id>/session`; set here, read by publishers. */
  session: Readonly<SessionRecord> | null;
}

/** The grid meter's reading: W (+ import) and whether it is stale. */
export interface GridReading {
  value(): { value: number | null; stale: boolean };
}

/** What the sessions service is built from. */
export interface SessionDeps {
  dataDir: string;
  /** site.timezone */
  timezone: string;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  store: StateStore;
  chargers: () => readonly SessionCharger[];
  /** The grid meter, when configured. */
  grid?: GridReading;
  tariff?: Tariff;
  /** tariff.feed_in_price, currency/kWh. */
  feedIn: number;
}

/** A bridge response (Zigbee2MQTT shape), as `bridge/response/sessions` carries it. */
export interface SessionsResponse {
  status: 'ok' | 'error';
  data: Record<string, unknown>;
  error?: string;
  transaction?: unknown;
}
