import type { SessionRecord } from '../sessions/types.js';
import type { EntityDef } from './entities.js';
import type { DeviceInfo } from './model.js';
import type { CommandResult, SetOptions } from './set-command.js';

/** Kinds of device the bridge publishes. */
export type DeviceKind = 'charger' | 'meter' | 'site';

/**
 * What publishers see of a device (charger, meter or the site): identity, entities from the
 * catalog, availability, the last state, and the command entry points. Publishers never look
 * further (no vendor knowledge outside drivers).
 */
export interface DeviceView {
  readonly id: string;
  readonly name: string;
  readonly kind: DeviceKind;
  /** Configuration type (`openevse`, `mqtt`, …) or `site`. */
  readonly type: string;
  readonly info: DeviceInfo;
  // biome-ignore lint/suspicious/noExplicitAny: publishers read entities generically; each device binds its own context
  readonly entities: ReadonlyArray<EntityDef<any>>;
  /** The context the entities are evaluated in. */
  readonly ctx: unknown;
  readonly online: boolean;
  /** First read attempt over (Homie leaves init). */
  readonly attempted: boolean;
  readonly current: Readonly<Record<string, unknown>>;
  /** A charger's smart-charging plan (`<base>/<id>/plan`), null until the engine made one. */
  readonly plan?: Readonly<Record<string, unknown>> | null;
  /** A charger's charging session (`<base>/<id>/session`): the active one, else the last ended one. */
  readonly session?: Readonly<SessionRecord> | null;
  /** Falls back by itself if the bridge dies (the README's chargers table), for bridge/info. */
  readonly watchdog?: boolean;
  /** Type-specific facts for bridge/info (an OCPP charger's `ocpp: {vendor, …}`). */
  readonly details?: Record<string, unknown>;
  /** A `/set` from MQTT or Homie; absent on read-only devices. */
  set?(raw: Record<string, unknown>, opts: SetOptions): Promise<CommandResult>;
  /** `/get`: read now and publish. */
  refresh?(): Promise<void>;
}

/** Writable keys of a device. */
export function deviceWritable(d: DeviceView): string[] {
  return d.entities.filter((e) => e.writable?.(d.ctx)).map((e) => e.key);
}

/** Capabilities for bridge/info and bridge/devices: every key, writable ones marked. */
export function deviceCapabilities(d: DeviceView): string[] {
  return d.entities.map((e) => (e.writable?.(d.ctx) ? `${e.key}:rw` : e.key));
}
