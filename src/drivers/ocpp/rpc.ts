/**
 * The one file that imports ocpp-rpc (so another OCPP-J library could replace it). ocpp-rpc is
 * CommonJS: Node's ESM loader sees only the names its lexer detects (not `NOREPLY`, not
 * `createRPCError`), so the names are taken from the module object itself.
 */
import * as rpc from 'ocpp-rpc';

const lib = (rpc as unknown as { default?: typeof rpc }).default ?? rpc;

/** ocpp-rpc's server (the central system). */
export const RPCServer: typeof rpc.RPCServer = lib.RPCServer;
export type RPCServer = InstanceType<typeof rpc.RPCServer>;
/** ocpp-rpc's client (the simulated charge point). */
export const RPCClient: typeof rpc.RPCClient = lib.RPCClient;
export type RPCClient = InstanceType<typeof rpc.RPCClient>;
/** An RPC error with an OCPP-J error code (`NotImplemented`, `InternalError`, …). */
export const createRPCError: typeof rpc.createRPCError = lib.createRPCError;
/** Returned by a handler: no answer at all (a charger that never answers). */
export const NOREPLY: typeof rpc.NOREPLY = lib.NOREPLY;
