import { num, str } from '../config/formats.js';
import type { ChargerConfig } from '../config/types.js';
import type { ChargerCheckContext, ChargerOption } from './types.js';

/** Configuration options several charger types share; each type lists those it accepts in its meta.ts. */

/** `user`: HTTP user of the charger's local API. */
export const userOption: ChargerOption = { doc: 'HTTP user', default: null, format: str({ optional: true }) };

/** `password`: HTTP password of the charger's local API. */
export const passwordOption: ChargerOption = {
  doc: 'HTTP password',
  default: null,
  format: str({ optional: true, allowEmpty: true }),
  sensitive: true,
};

/** `watchdog`, s: the charger falls back by itself when the bridge is silent that long. */
export const watchdogOption: ChargerOption = {
  doc: 's before the charger falls back by itself',
  default: 60,
  format: num(10, 3600),
};

/** Options of a type with a watchdog, as the configuration gives them. */
export interface WatchdogOptions {
  /** s */
  watchdog: number;
}

/** Warns when two polls are further apart than half the watchdog (the charger may fall back between them). */
export function checkWatchdog(c: ChargerConfig, ctx: ChargerCheckContext): void {
  const { watchdog } = c as ChargerConfig & WatchdogOptions;
  if (c.poll_interval > watchdog / 2) {
    ctx.warn(
      `${ctx.path}.poll_interval: ${c.poll_interval} s is more than half the watchdog (${watchdog} s); the charger may fall back between two polls`,
    );
  }
}
