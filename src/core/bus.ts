import { EventEmitter } from 'node:events';
import type { SessionRecord } from '../sessions/types.js';
import type { DeviceInfo } from './model.js';

/** Events of the bridge, one payload type each. */
export interface BusEvents {
  /** A charger's or meter's published state changed (`changed` = keys that differ). */
  'device.state': { id: string; state: Readonly<Record<string, unknown>>; changed: readonly string[] };
  /** A charger's smart-charging plan changed (`<base>/<id>/plan`). */
  'device.plan': { id: string; plan: Readonly<Record<string, unknown>> };
  /** A charger's charging session changed (`<base>/<id>/session`; null = none to show). */
  'device.session': { id: string; session: Readonly<SessionRecord> | null };
  /** A device went online or offline. */
  'device.availability': { id: string; online: boolean };
  /** A device's identity became known or changed (model, firmware). */
  'device.info': { id: string; info: DeviceInfo };
  /** A charger finished its first read attempt (Homie leaves `init`). */
  'device.attempted': { id: string };
  /** The MQTT connection is up (first time or after a reconnect). */
  'mqtt.connected': { reconnect: boolean };
  /** Home Assistant published its birth message. */
  'ha.online': Record<string, never>;
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;
type AnyListener = (...args: unknown[]) => void;

/** A typed event bus; listeners are registered with an owner and removed by owner (docs/architecture.md). */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly owned = new Map<object, Array<[keyof BusEvents, AnyListener]>>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Subscribes `fn` to `event` on behalf of `owner`. */
  on<K extends keyof BusEvents>(owner: object, event: K, fn: Listener<K>): void {
    this.emitter.on(event, fn as unknown as AnyListener);
    const list = this.owned.get(owner) ?? [];
    list.push([event, fn as unknown as AnyListener]);
    this.owned.set(owner, list);
  }

  /** Removes every listener of `owner`. */
  off(owner: object): void {
    for (const [event, fn] of this.owned.get(owner) ?? []) this.emitter.off(event, fn);
    this.owned.delete(owner);
  }

  /** Emits `event`; a listener that throws is isolated from the others. */
  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const fn of this.emitter.listeners(event) as Array<Listener<K>>) {
      try {
        fn(payload);
      } catch (e) {
        // a broken listener must not stop the data flow; surface it on stderr
        process.emitWarning(`listener of ${String(event)} failed: ${(e as Error).message}`);
      }
    }
  }
}
