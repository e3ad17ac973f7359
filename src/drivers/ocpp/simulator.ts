import { createRPCError, NOREPLY, RPCClient } from './rpc.js';
import { SimCar } from './sim-car.js';
import type { ChargingProfile } from './wire.js';

/**
 * Vendor quirks the simulated charge point can show (README.md in this folder, "Vendor quirks").
 * Each is off by default.
 */
export interface OcppSimQuirks {
  /** Rejects profiles whose stackLevel is not 0 (ABB Terra AC FW1.8, Wallbox FW5). */
  stackLevelZeroOnly?: boolean;
  /** Rejects Absolute profiles (Wallbox with newer firmware). */
  relativeOnly?: boolean;
  /** Takes only W schedules (Huawei SCharger, HomeCharge). */
  powerOnly?: boolean;
  /** Sends no BootNotification until asked with TriggerMessage (Wallbox Pulsar Pro FW6). */
  bootOnlyWhenTriggered?: boolean;
  /** Never answers the central system's calls. */
  neverAnswers?: boolean;
  /** Replays an old MeterValues after each reconnect (Alfen backlog). */
  replaysOldSamples?: boolean;
  /** Energy register in kWh instead of Wh. */
  energyInKwh?: boolean;
  /** Refuses a MeterValuesSampledData list; takes measurands one at a time. */
  measurandsOneByOne?: boolean;
  /** Needs RemoteStartTransaction to start a transaction (Autel, Wallbox FW5). */
  needsRemoteStart?: boolean;
  /** Accepts profiles but never offers more than this, A (Wallbox Pulsar Pro FW6.13 stuck at 9 A: evcc-io/evcc#31597). */
  capsAt?: number;
  /** Answers every SetChargingProfile so (Amperfied without smart charging: NotSupported). */
  profileAnswer?: 'Rejected' | 'NotSupported';
}

/** How the simulated charge point is built. */
export interface OcppSimOptions extends OcppSimQuirks {
  /** `ws://host:port/path` (the identity is appended). */
  endpoint: string;
  identity: string;
  password?: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  /** `ChargeProfileMaxStackLevel`. */
  maxStackLevel?: number;
  /** V per phase. */
  voltage?: number;
  /** Energy register at start, Wh. */
  meterWh?: number;
  /** Options of the WebSocket (`ca` of a wss:// central system, …). */
  wsOptions?: Record<string, unknown>;
  /** Validate every frame against the 1.6 schemas (default true; the benchmark turns it off to measure the bridge, not the schemas). */
  strict?: boolean;
  /** Called as each call of the bridge arrives (before it is answered). */
  onCall?: (method: string, params: Record<string, unknown>) => void;
  /** A the charger offers without a profile (its own maximum; default 16). */
  maxCurrent?: number;
}

/** One call the bridge made, as the simulated charger received it. */
export interface ReceivedCall {
  method: string;
  params: Record<string, unknown>;
}

/**
 * A simulated OCPP 1.6J charge point on ocpp-rpc's RPCClient with strict schema validation: every
 * frame the bridge sends is checked against the official 1.6 schemas (failures are collected in
 * `validationFailures`). A simulated car draws current under the profile's limit.
 */
export class OcppChargePointSim {
  readonly received: ReceivedCall[] = [];
  readonly validationFailures: string[] = [];
  /** Status of connector 1. */
  status = 'Available';
  car: SimCar | null = null;
  transactionId: number | null = null;
  /** A in force from the last accepted profile (null: no profile, the charger's own maximum). */
  limitA: number | null = null;
  meterWh: number;
  configuration = new Map<string, string>();
  private client: RPCClient;
  private booted = false;
  private oldSample?: Record<string, unknown>;

  constructor(readonly opts: OcppSimOptions) {
    this.meterWh = opts.meterWh ?? 1_234_000;
    this.configuration.set('ChargeProfileMaxStackLevel', String(opts.maxStackLevel ?? 3));
    this.configuration.set(
      'ChargingScheduleAllowedChargingRateUnit',
      opts.powerOnly ? 'Power' : 'Current,Power',
    );
    this.configuration.set('MeterValuesSampledData', 'Energy.Active.Import.Register');
    this.configuration.set('MeterValueSampleInterval', '60');
    this.configuration.set('SupportedFeatureProfiles', 'Core,SmartCharging,RemoteTrigger');
    this.client = this.makeClient();
  }

  /** V per phase. */
  get voltage(): number {
    return this.opts.voltage ?? 230;
  }

  /** Connects and (unless a quirk says otherwise) sends BootNotification. */
  async start(): Promise<void> {
    await this.client.connect();
    await this.afterConnect();
  }

  /** Closes the socket for good. */
  async stop(): Promise<void> {
    await this.client.close({ force: true }).catch(() => {});
  }

  /** Drops the socket and connects again (a flaky network), replaying old samples if that quirk is on. */
  async reconnect(): Promise<void> {
    await this.client.close({ force: true }).catch(() => {});
    this.client = this.makeClient();
    this.booted = false;
    await this.client.connect();
    await this.afterConnect(false);
  }

  /** The calls of one method the bridge made. */
  calls(method: string): Array<Record<string, unknown>> {
    return this.received.filter((c) => c.method === method).map((c) => c.params);
  }

  /** A car is plugged in: Preparing, then a transaction (unless it needs a remote start). */
  async plugIn(car = new SimCar()): Promise<void> {
    this.car = car;
    await this.setStatus('Preparing');
    if (!this.opts.needsRemoteStart) await this.startTransaction('LOCAL');
  }

  /** The car leaves: the transaction stops (EVDisconnected), then Available. */
  async unplug(): Promise<void> {
    if (this.transactionId !== null) {
      await this.call('StopTransaction', {
        transactionId: this.transactionId,
        meterStop: Math.round(this.meterWh),
        timestamp: new Date().toISOString(),
        reason: 'EVDisconnected',
      });
      this.transactionId = null;
    }
    this.car = null;
    await this.setStatus('Available');
  }

  /** A per phase the car draws now. */
  drawing(): number {
    if (!this.car || this.transactionId === null) return 0;
    return this.car.draw(this.limitA ?? this.opts.maxCurrent ?? 16);
  }

  /** `seconds` of charging pass: energy counted, status follows the limit, one MeterValues sent. */
  async tick(seconds: number, at = new Date()): Promise<void> {
    const a = this.drawing();
    const power = a * this.voltage * (this.car?.phases ?? 1);
    const wh = (power * seconds) / 3600;
    this.meterWh += wh;
    this.car?.charge(wh);
    if (this.car && this.transactionId !== null) await this.setStatus(a > 0 ? 'Charging' : 'SuspendedEVSE');
    await this.sendMeterValues(at, power, a);
  }

  /** One MeterValues with the current figures (timestamp `at`). */
  async sendMeterValues(
    at = new Date(),
    power = this.drawing() * this.voltage * (this.car?.phases ?? 1),
    a = this.drawing(),
  ): Promise<void> {
    const kwh = this.opts.energyInKwh === true;
    const phases = this.car?.phases ?? 1;
    const sampled = [
      {
        measurand: 'Energy.Active.Import.Register',
        unit: kwh ? 'kWh' : 'Wh',
        value: kwh ? (this.meterWh / 1000).toFixed(3) : this.meterWh.toFixed(0),
      },
      { measurand: 'Power.Active.Import', unit: 'W', value: power.toFixed(0) },
      ...['L1', 'L2', 'L3'].map((phase, i) => ({
        measurand: 'Current.Import',
        phase,
        unit: 'A',
        value: (i < phases ? a : 0).toFixed(1),
      })),
      { measurand: 'Voltage', phase: 'L1-N', unit: 'V', value: this.voltage.toFixed(1) },
      {
        measurand: 'Current.Offered',
        unit: 'A',
        value: (this.limitA ?? this.opts.maxCurrent ?? 16).toFixed(1),
      },
      ...(this.car
        ? [{ measurand: 'SoC', location: 'EV', unit: 'Percent', value: this.car.soc.toFixed(0) }]
        : []),
    ];
    const params = {
      connectorId: 1,
      ...(this.transactionId !== null ? { transactionId: this.transactionId } : {}),
      meterValue: [{ timestamp: at.toISOString(), sampledValue: sampled }],
    };
    this.oldSample ??= params;
    await this.call('MeterValues', params);
  }

  /** A StatusNotification for connector 1 (or 0), only when it changes. */
  async setStatus(
    status: string,
    extra: { errorCode?: string; info?: string; connectorId?: number } = {},
  ): Promise<void> {
    if (status === this.status && !extra.errorCode && extra.connectorId === undefined) return;
    if ((extra.connectorId ?? 1) === 1) this.status = status;
    await this.call('StatusNotification', {
      connectorId: extra.connectorId ?? 1,
      errorCode: extra.errorCode ?? 'NoError',
      status,
      timestamp: new Date().toISOString(),
      ...(extra.info ? { info: extra.info } : {}),
    });
  }

  /**
   * Sends a raw text frame, bypassing the schemas (a broken or off-spec charger), and resolves with
   * the central system's answer to message id `id` (a parsed CALLRESULT or CALLERROR array).
   */
  rawCall(frame: string, id: string): Promise<unknown[]> {
    return new Promise((resolve) => {
      const onMessage = (e: { message: Buffer | string; outbound: boolean }) => {
        if (e.outbound) return;
        try {
          const m = JSON.parse(String(e.message)) as unknown[];
          if (m[1] === id && (m[0] === 3 || m[0] === 4)) {
            this.client.off('message', onMessage);
            resolve(m);
          }
        } catch {
          /* not ours */
        }
      };
      this.client.on('message', onMessage);
      this.client.sendRaw(frame);
    });
  }

  /** Sends one call to the central system; its answer. */
  call(method: string, params: unknown): Promise<Record<string, unknown>> {
    return this.client.call(method, params) as Promise<Record<string, unknown>>;
  }

  private async startTransaction(idTag: string): Promise<void> {
    const r = await this.call('StartTransaction', {
      connectorId: 1,
      idTag,
      meterStart: Math.round(this.meterWh),
      timestamp: new Date().toISOString(),
    });
    const info = r.idTagInfo as { status?: string } | undefined;
    if (info?.status === 'Accepted') this.transactionId = r.transactionId as number;
  }

  private async boot(): Promise<void> {
    const r = await this.call('BootNotification', {
      chargePointVendor: this.opts.vendor ?? 'SimVendor',
      chargePointModel: this.opts.model ?? 'SimModel',
      firmwareVersion: this.opts.firmware ?? '1.0.0',
      chargePointSerialNumber: this.opts.serial ?? 'SIM-0001',
    });
    this.booted = r.status === 'Accepted';
    if (this.booted) await this.setStatus(this.status, { connectorId: 1, errorCode: 'NoError' });
  }

  private async afterConnect(first = true): Promise<void> {
    if (!first && this.opts.replaysOldSamples && this.oldSample)
      await this.call('MeterValues', this.oldSample);
    if (!this.opts.bootOnlyWhenTriggered && first) await this.boot();
  }

  private makeClient(): RPCClient {
    const client = new RPCClient({
      endpoint: this.opts.endpoint,
      identity: this.opts.identity,
      ...(this.opts.password ? { password: this.opts.password } : {}),
      protocols: ['ocpp1.6'],
      strictMode: this.opts.strict !== false,
      reconnect: false,
      ...(this.opts.wsOptions ? { wsOpts: this.opts.wsOptions } : {}),
    } as ConstructorParameters<typeof RPCClient>[0]);
    client.on('strictValidationFailure', (e: { error?: Error; messageId?: string }) => {
      this.validationFailures.push(e.error?.message ?? String(e));
    });
    client.handle((req) => this.onCall(req.method ?? '', (req.params ?? {}) as Record<string, unknown>));
    return client;
  }

  private async onCall(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.received.push({ method, params });
    this.opts.onCall?.(method, params);
    if (this.opts.neverAnswers) return NOREPLY as unknown as Record<string, unknown>;
    switch (method) {
      case 'GetConfiguration':
        return {
          configurationKey: [...this.configuration].map(([key, value]) => ({ key, readonly: false, value })),
        };
      case 'ChangeConfiguration': {
        const value = String(params.value);
        if (params.key === 'MeterValuesSampledData' && this.opts.measurandsOneByOne && value.includes(','))
          return { status: 'Rejected' };
        this.configuration.set(String(params.key), value);
        return { status: 'Accepted' };
      }
      case 'SetChargingProfile':
        return { status: this.takeProfile(params.csChargingProfiles as ChargingProfile) };
      case 'ClearChargingProfile':
        this.limitA = null;
        return { status: 'Accepted' };
      case 'TriggerMessage':
        setImmediate(() => void this.triggered(String(params.requestedMessage)).catch(() => {}));
        return { status: 'Accepted' };
      case 'RemoteStartTransaction':
        setImmediate(() => {
          if (this.car && this.transactionId === null)
            void this.startTransaction(String(params.idTag)).catch(() => {});
        });
        return { status: 'Accepted' };
      case 'RemoteStopTransaction':
      case 'Reset':
      case 'UnlockConnector':
        return method === 'UnlockConnector' ? { status: 'Unlocked' } : { status: 'Accepted' };
      case 'GetCompositeSchedule':
        return { status: 'Accepted', connectorId: 1 };
      default:
        throw createRPCError('NotImplemented', `${method} is not simulated`);
    }
  }

  private takeProfile(p: ChargingProfile): 'Accepted' | 'Rejected' | 'NotSupported' {
    if (this.opts.profileAnswer) return this.opts.profileAnswer;
    if (this.opts.stackLevelZeroOnly && p.stackLevel !== 0) return 'Rejected';
    if (this.opts.relativeOnly && p.chargingProfileKind !== 'Relative') return 'Rejected';
    const unit = p.chargingSchedule.chargingRateUnit;
    if (this.opts.powerOnly && unit !== 'W') return 'Rejected';
    const period = p.chargingSchedule.chargingSchedulePeriod[0];
    if (!period) return 'Rejected';
    const phases = period.numberPhases ?? 3;
    this.limitA = unit === 'A' ? period.limit : period.limit / this.voltage / phases;
    if (this.opts.capsAt !== undefined) this.limitA = Math.min(this.limitA, this.opts.capsAt);
    return 'Accepted';
  }

  private async triggered(what: string): Promise<void> {
    if (what === 'BootNotification') await this.boot();
    else if (what === 'StatusNotification') await this.setStatus(this.status, { connectorId: 1 });
    else if (what === 'MeterValues') await this.sendMeterValues();
  }
}
