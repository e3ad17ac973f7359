import type { ChargePoint, OcppSocket } from './charge-point.js';
import { remoteStartIfWanted } from './commands.js';
import { createRPCError } from './rpc.js';
import { errorText } from './status.js';
import { meterValues, numeric, record, text } from './wire.js';

/** An answer to one charger-initiated action (its params are untrusted JSON). */
type Handler = (cp: ChargePoint, params: Record<string, unknown>) => Record<string, unknown>;

const now = (cp: ChargePoint) => new Date(cp.deps.clock.now()).toISOString();

/** idTagInfo for a tag under `authorize` (accept_all, or the `id_tags` list). */
function idTagInfo(cp: ChargePoint, tag: string | undefined): { status: string } {
  if (cp.cfg.authorize === 'accept_all') return { status: 'Accepted' };
  return { status: tag && (cp.cfg.id_tags ?? []).includes(tag) ? 'Accepted' : 'Invalid' };
}

/** Only the configured connector feeds the reading; 0 is the whole station. */
const mine = (cp: ChargePoint, connectorId: number | undefined) => connectorId === cp.cfg.connector;

/** One small handler per action the charger may send (README.md in this folder, "Messages"). */
const HANDLERS: Readonly<Record<string, Handler>> = {
  BootNotification: (cp, p) =>
    cp.onBoot({
      vendor: text(p.chargePointVendor) ?? 'unknown',
      model: text(p.chargePointModel) ?? 'unknown',
      firmware: text(p.firmwareVersion) ?? null,
      serial: text(p.chargePointSerialNumber) ?? text(p.chargeBoxSerialNumber) ?? null,
    }),

  Heartbeat: (cp) => ({ currentTime: now(cp) }),

  StatusNotification: (cp, p) => {
    const id = numeric(p.connectorId);
    const status = text(p.status) ?? 'Unknown';
    if (id === 0) {
      cp.station = status;
      cp.stationError =
        status === 'Faulted' ? errorText(text(p.errorCode), text(p.info), text(p.vendorErrorCode)) : null;
    } else if (mine(cp, id)) {
      // errorCode other than NoError on a non-Faulted status is a warning (WeakSignal…): logged only
      const code = text(p.errorCode);
      if (code && code !== 'NoError' && status !== 'Faulted')
        cp.log.info({ errorCode: code, status }, 'charger warning');
      cp.connector.onStatus(status, code, text(p.info), text(p.vendorErrorCode));
      cp.log.debug({ status }, 'connector status');
      remoteStartIfWanted(cp);
    } else return {};
    cp.publish();
    return {};
  },

  MeterValues: (cp, p) => {
    if (!mine(cp, numeric(p.connectorId))) return {};
    const tx = numeric(p.transactionId);
    // a charger may name a transaction the bridge forgot (it started before a restart): evcc does the same
    if (tx !== undefined) cp.connector.recoverTransaction(tx);
    if (cp.connector.onMeterValues(meterValues(p.meterValue), cp.accepted)) cp.publish();
    return {};
  },

  Authorize: (cp, p) => ({ idTagInfo: idTagInfo(cp, text(p.idTag)) }),

  StartTransaction: (cp, p) => {
    const tag = text(p.idTag);
    const info = idTagInfo(cp, tag);
    const transactionId = cp.deps.store.nextTransactionId();
    if (info.status === 'Accepted' && mine(cp, numeric(p.connectorId))) {
      cp.connector.startTransaction(transactionId, tag ?? null, numeric(p.meterStart));
      cp.log.info({ transactionId, idTag: tag }, 'transaction started');
      cp.publish();
    } else cp.log.info({ transactionId, idTag: tag, status: info.status }, 'transaction refused');
    return { idTagInfo: info, transactionId };
  },

  StopTransaction: (cp, p) => {
    const id = numeric(p.transactionId);
    const reason = text(p.reason) ?? 'Local';
    const tag = text(p.idTag) ?? null;
    if (id !== undefined) {
      cp.connector.onMeterValues(meterValues(p.transactionData), cp.accepted);
      // a stop for an id from before a restart is accepted and closes it too
      cp.connector.stopTransaction(id, reason, numeric(p.meterStop), tag);
      cp.log.info({ transactionId: id, reason }, 'transaction stopped');
      cp.publish();
    }
    return tag ? { idTagInfo: { status: 'Accepted' } } : {};
  },

  // nothing to do with vendor extensions: say so (SteVe and evcc answer Accepted; the contract says UnknownVendorId)
  DataTransfer: () => ({ status: 'UnknownVendorId' }),
  SecurityEventNotification: () => ({}),
  LogStatusNotification: () => ({}),
  SignedFirmwareStatusNotification: () => ({}),
  FirmwareStatusNotification: () => ({}),
  DiagnosticsStatusNotification: () => ({}),
  // security profile 3 is out of scope (evcc `cs_core.go` answers the same)
  SignCertificate: () => ({ status: 'Rejected' }),
};

/** Registers every handler on a new socket; actions not listed get CALLERROR NotImplemented (ocpp-rpc). */
export function registerHandlers(cp: ChargePoint, socket: OcppSocket): void {
  for (const [action, handler] of Object.entries(HANDLERS)) {
    socket.handle(action, ({ params }) => {
      try {
        return handler(cp, record(params));
      } catch (e) {
        // a broken frame must never close the socket nor crash the bridge
        cp.log.warn({ action, err: (e as Error).message }, `could not handle ${action}`);
        throw createRPCError('InternalError', `could not handle ${action}`);
      }
    });
  }
}
