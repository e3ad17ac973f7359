import type { ChargerReading, DeviceInfo, OnExit, Targets } from '../../core/model.js';
import type { ChargerDriver, ChargerTypeDef, DriverContext, PushListener, TypeRequest } from '../types.js';
import { CentralSystem } from './central-system.js';
import { ChargePoint } from './charge-point.js';
import { applyTarget, exitAction, forward } from './commands.js';
import { type OcppOptions, ocppMeta, ocppSection } from './meta.js';

/**
 * An OCPP 1.6J charger: a charge point of the bridge's central system. It connects to the bridge,
 * so nothing is polled: its messages push readings and its socket tells availability.
 */
export class OcppDriver implements ChargerDriver {
  readonly updates = 'connection';

  constructor(
    readonly cp: ChargePoint,
    readonly cs: CentralSystem,
  ) {}

  /** Identity from BootNotification, else the type's. */
  get info(): DeviceInfo {
    return this.cp.info() ?? { manufacturer: ocppMeta.manufacturer, model: ocppMeta.model };
  }

  /** Registers the charge point with the bridge's central system (started on first use). */
  static async create(ctx: DriverContext<OcppOptions>): Promise<OcppDriver> {
    const services = ctx.services;
    if (!services) throw new Error('an OCPP charger needs the bridge (its central system)');
    const section = ocppSection(services.config);
    const cs = services.shared(
      'ocpp',
      () =>
        new CentralSystem({
          section,
          dataDir: services.dataDir,
          clock: ctx.clock,
          log: services.log.child({ module: 'ocpp' }),
        }),
    );
    const cp = new ChargePoint({
      cfg: ctx.cfg,
      clock: ctx.clock,
      log: ctx.log,
      store: cs.store,
      heartbeatInterval: section.heartbeat_interval,
    });
    cs.register(cp);
    // once bound: with port 0 (any free port) the address is known only then
    void cs.listening.then((port) => {
      if (port !== null)
        ctx.log.info(`waiting for the charger to connect to ${cs.url(ctx.cfg.charge_point_id)}`);
    });
    return new OcppDriver(cp, cs);
  }

  async read(): Promise<ChargerReading> {
    if (!this.cp.online)
      throw new Error(`not connected; the charger connects to ${this.cs.url(this.cp.cfg.charge_point_id)}`);
    return this.cp.reading();
  }

  async apply(targets: Targets): Promise<void> {
    await applyTarget(this.cp, { enabled: targets.enabled, current: targets.charge_current });
  }

  exit(action: OnExit): Promise<void> {
    return exitAction(this.cp, action);
  }

  subscribe(listener: PushListener): void {
    this.cp.subscribe(listener);
  }

  close(): Promise<void> {
    return this.cs.unregister(this.cp);
  }

  /** `bridge/info`: `ocpp: {vendor, model, firmware, serial, connected_since, rate_unit, stack_level}`. */
  details(): Record<string, unknown> {
    const b = this.cp.boot;
    return {
      ocpp: {
        vendor: b?.vendor ?? null,
        model: b?.model ?? null,
        firmware: b?.firmware ?? null,
        serial: b?.serial ?? null,
        connected_since: this.cp.connected ? this.cp.connectedSince : null,
        rate_unit: this.cp.rateUnit,
        stack_level: this.cp.stackLevel ?? this.cp.maxStackLevel,
      },
    };
  }
}

/** `bridge/request/ocpp` `{"id", "action", "payload"}`: one call forwarded, the charger's reply in `data`. */
const ocppRequest: TypeRequest = async (body, driver) => {
  const id = body.id;
  const d = typeof id === 'string' ? driver(id) : undefined;
  if (!(d instanceof OcppDriver)) throw new Error(`id: not an OCPP charger: ${JSON.stringify(id)}`);
  if (typeof body.action !== 'string')
    throw new Error('action: required (a string such as "GetConfiguration")');
  const payload = body.payload ?? {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new Error('payload: must be a JSON object');
  return forward(d.cp, body.action, payload as Record<string, unknown>);
};

/** The ocpp charger type. */
export const ocppType: ChargerTypeDef = {
  ...ocppMeta,
  // the configuration filled in this type's options (meta.ts)
  create: (ctx) => OcppDriver.create(ctx as DriverContext<OcppOptions>),
  requests: { ocpp: ocppRequest },
};
