import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { DeviceView } from '../core/device.js';
import type { MqttConnection } from '../mqtt/connection.js';

/** What every publisher gets (one context object instead of long parameter lists). */
export interface PublisherContext {
  cfg: Config;
  conn: MqttConnection;
  bus: EventBus;
  log: Logger;
  clock: Clock;
  /** All devices in configuration order: chargers, meters, then the site. */
  devices(): readonly DeviceView[];
  device(id: string): DeviceView | undefined;
}

/** A JSON payload as published (compact). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
