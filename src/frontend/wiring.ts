import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { EventBus } from '../core/bus.js';
import type { ChargerRuntime } from '../core/charger-runtime.js';
import type { Clock } from '../core/clock.js';
import type { ControlHooks } from '../core/control.js';
import type { DeviceView } from '../core/device.js';
import { MODES } from '../core/model.js';
import type { BridgePublisher } from '../publishers/bridge-info.js';
import type { CommandRouter } from '../publishers/commands.js';
import type { ModeChoice } from './hub.js';
import { FrontendServer } from './server.js';

/** What the bridge hands the web page server. */
export interface FrontendWiring {
  cfg: Config;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  devices(): readonly DeviceView[];
  chargers(): readonly ChargerRuntime[];
  control: ControlHooks;
  publisher: BridgePublisher;
  router: CommandRouter;
  portFallback?: boolean;
  /** The built page's folder (default `dist/web`). */
  root?: string;
}

/**
 * Starts the web page server when `frontend.enabled`; a port it cannot take is logged and the
 * bridge goes on without its page (MQTT is its main job).
 */
export async function startFrontend(w: FrontendWiring): Promise<FrontendServer | undefined> {
  if (!w.cfg.frontend?.enabled) return undefined;
  const server = new FrontendServer({
    cfg: w.cfg.frontend,
    bus: w.bus,
    clock: w.clock,
    log: w.log,
    ...(w.root ? { root: w.root } : {}),
    portFallback: w.portFallback,
    devices: w.devices,
    info: () => w.publisher.info(),
    deviceList: () => w.publisher.deviceList(),
    modeChoices: (id) => modeChoices(w, id),
    set: (id, raw, source) => w.router.command(id, raw, source),
    get: (id) => w.router.read(id),
    request: (cmd, body) => w.router.answer(cmd, body),
    session: (id) => w.chargers().find((c) => c.id === id)?.session ?? null,
  });
  try {
    await server.start();
    return server;
  } catch (e) {
    w.log.error(
      { err: (e as Error).message },
      `the web page could not start on ${w.cfg.frontend.host}:${w.cfg.frontend.port}: ${(e as Error).message}`,
    );
    return undefined;
  }
}

/** The modes a charger's type offers (load_follow only when bidirectional), each with why it is unusable. */
function modeChoices(w: FrontendWiring, id: string): ModeChoice[] | undefined {
  const c = w.chargers().find((x) => x.id === id);
  if (!c) return undefined;
  return MODES.filter((m) => m !== 'load_follow' || c.caps.bidirectional).map((mode) => ({
    mode,
    reason: w.control.checkMode(mode, c.cfg, c.caps),
  }));
}
