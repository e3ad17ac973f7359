import type { Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import type { Logger } from 'pino';
import { trackIo } from '../core/activity.js';
import { backoff, type Clock, type TimerHandle } from '../core/clock.js';
import { networkReason } from './http.js';

/** Options of a queued Modbus TCP client. */
export interface ModbusOptions {
  host: string;
  port: number;
  /** Modbus unit (slave) id, 0–255. */
  unitId: number;
  /** Per-request and connect timeout, ms, measured on `clock`. */
  timeoutMs: number;
  /** First reconnect delay after a failure, ms; doubles up to `maxBackoffMs` (defaults 1000 / 60000). */
  backoffMs?: number;
  /** Longest reconnect delay, ms. */
  maxBackoffMs?: number;
  clock: Clock;
  log: Logger;
}

/** Register access inside one exclusive transaction group (see ModbusClient.transaction). */
export interface ModbusSession {
  /** Reads `count` holding registers from `address` (FC3); raw unsigned 16-bit words. */
  readHolding(address: number, count: number): Promise<number[]>;
  /** Writes one holding register (FC6, `value` an unsigned 16-bit word) and checks the echo. */
  writeRegister(address: number, value: number): Promise<void>;
}

/** Why a Modbus request failed: no answer, the connection, a Modbus exception reply, or a malformed reply. */
export type ModbusFailure = 'timeout' | 'connection' | 'exception' | 'reply';

/** A failed Modbus request, with a message a user can act on. */
export class ModbusError extends Error {
  constructor(
    message: string,
    readonly kind: ModbusFailure,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
}

/** Unsigned 16-bit register word → signed int16 (two's complement). */
export function toInt16(word: number): number {
  return word >= 0x8000 ? word - 0x10000 : word;
}

/** Signed int16 → unsigned 16-bit register word (two's complement); throws outside −32768…32767. */
export function fromInt16(value: number): number {
  if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff)
    throw new RangeError(`${value} does not fit a signed 16-bit register`);
  return value < 0 ? value + 0x10000 : value;
}

/** Register address as the vendor documents it (0x0102). */
export const hex = (address: number): string => `0x${address.toString(16).padStart(4, '0')}`;

interface Connection {
  rtu: InstanceType<typeof ModbusRTU.default>;
  alive: boolean;
  /** Rejects the request in flight (the socket closed under it). */
  fail?: (e: ModbusError) => void;
}

type Rtu = InstanceType<typeof ModbusRTU.default>;

/**
 * modbus-serial keeps every request it sent in `_transactions`, keyed by a transaction id that
 * wraps at 256, and never deletes one: each keeps its callback chain and reply (~700 bytes), so a
 * connection holds ~180 kB of finished requests after 256 of them, and at 250 Quasars (7 reads a
 * poll) ~46 MB of the bridge's heap was such garbage that V8 had to keep (BENCHMARKS.md). Requests
 * go out one at a time here, so once one settles none is pending: drop them. A reply arriving after
 * its time-out then finds no transaction, which modbus-serial ignores.
 */
export function forgetTransactions(rtu: Rtu): void {
  const held = rtu as unknown as { _transactions?: Record<string, unknown> };
  if (held._transactions) held._transactions = {};
}

/**
 * Modbus TCP client shared by Modbus drivers: one connection, requests strictly one at a time
 * (never two in flight, as some devices mix up pipelined transactions), every request and connect
 * guarded by a timeout on the bridge clock. A request that gets no answer drops the connection (a
 * hung server does not recover on the same socket); the next request reconnects, no sooner than
 * the back-off allows. Exception replies keep the connection.
 */
export class ModbusClient {
  private conn?: Connection;
  private queue: Promise<unknown> = Promise.resolve();
  private wire: Promise<unknown> = Promise.resolve();
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;
  private readonly where: string;
  private readonly session: ModbusSession;

  constructor(private readonly opts: ModbusOptions) {
    this.where = `${opts.host}:${opts.port}`;
    this.session = {
      readHolding: (a, n) => this.readNow(a, n),
      writeRegister: (a, v) => this.writeNow(a, v),
    };
  }

  /** The TCP connection is up. */
  get connected(): boolean {
    return this.conn?.alive === true && this.conn.rtu.isOpen;
  }

  /** Runs `fn` with exclusive use of the connection: no other request goes out until it settles. */
  transaction<T>(fn: (s: ModbusSession) => Promise<T>): Promise<T> {
    const run = this.queue.then(
      () => fn(this.session),
      () => fn(this.session),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  /** Reads `count` holding registers (raw 16-bit words), queued. */
  readHolding(address: number, count: number): Promise<number[]> {
    return this.transaction((s) => s.readHolding(address, count));
  }

  /** Writes one holding register (raw 16-bit word), queued; resolves on a matching echo. */
  writeRegister(address: number, value: number): Promise<void> {
    return this.transaction((s) => s.writeRegister(address, value));
  }

  /** Closes the connection; later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.conn;
    this.conn = undefined;
    if (c) this.destroy(c, new ModbusError(`${this.where}: connection closed by the bridge`, 'connection'));
  }

  private async readNow(address: number, count: number): Promise<number[]> {
    const what = `read ${count} register${count === 1 ? '' : 's'} at ${hex(address)}`;
    const res = await this.call(what, (rtu) => rtu.readHoldingRegisters(address, count));
    const data = (res as { data?: unknown }).data;
    if (
      !Array.isArray(data) ||
      data.length !== count ||
      !data.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)
    ) {
      throw new ModbusError(`${this.where}: ${what}: malformed reply ${JSON.stringify(data)}`, 'reply');
    }
    return data as number[];
  }

  private async writeNow(address: number, value: number): Promise<void> {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff)
      throw new RangeError(`${value} is not a 16-bit register value`);
    const what = `write ${value} to ${hex(address)}`;
    const echo = await this.call(what, (rtu) => rtu.writeRegister(address, value));
    const e = echo as { address?: unknown; value?: unknown };
    if (e.address !== address || e.value !== value) {
      throw new ModbusError(
        `${this.where}: ${what}: the echo does not match (${JSON.stringify(echo)}); the device did not take it`,
        'reply',
      );
    }
    this.opts.log.debug({ register: hex(address), value }, 'modbus write');
  }

  /** One request on the wire, after the previous one settled, with a timeout on the bridge clock. */
  private call<T>(what: string, op: (rtu: Rtu) => Promise<T>): Promise<T> {
    const run = this.wire.then(
      () => this.callNow(what, op),
      () => this.callNow(what, op),
    );
    this.wire = run.catch(() => {});
    return run;
  }

  private async callNow<T>(what: string, op: (rtu: Rtu) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    const ms = this.opts.timeoutMs;
    let timer: TimerHandle | undefined;
    const guarded = new Promise<T>((resolve, reject) => {
      conn.fail = reject;
      timer = this.opts.clock.setTimeout(() => {
        reject(
          new ModbusError(
            `${this.where}: ${what}: no answer within ${ms / 1000} s (the Modbus server may have hung)`,
            'timeout',
          ),
        );
      }, ms);
      op(conn.rtu).then(resolve, (e: unknown) => reject(this.translate(e, what)));
    });
    try {
      const v = await trackIo(guarded);
      this.failures = 0;
      return v;
    } catch (e) {
      const err = e instanceof ModbusError ? e : this.translate(e, what);
      if (err.kind !== 'exception') this.fail(conn, err);
      throw err;
    } finally {
      this.opts.clock.clearTimeout(timer);
      conn.fail = undefined;
      forgetTransactions(conn.rtu);
    }
  }

  /** The live connection, or a new one (unless the back-off says wait). */
  private async connect(): Promise<Connection> {
    if (this.closed) throw new ModbusError(`${this.where}: the client is closed`, 'connection');
    if (this.conn?.alive && this.conn.rtu.isOpen) return this.conn;
    if (this.conn) this.destroy(this.conn);
    this.conn = undefined;
    const wait = this.retryAt - this.opts.clock.now();
    if (wait > 0) {
      throw new ModbusError(
        `${this.where}: not connected (${this.lastError}); next attempt in ${Math.ceil(wait / 1000)} s`,
        'connection',
      );
    }
    const rtu = new ModbusRTU.default();
    rtu.setID(this.opts.unitId);
    const conn: Connection = { rtu, alive: true };
    // modbus-serial emits 'error' for socket errors after connect: unhandled, it would crash the process
    rtu.on('error', (e: unknown) =>
      this.fail(conn, new ModbusError(`${this.where}: ${reason(e)}`, 'connection')),
    );
    rtu.on('close', () =>
      this.fail(conn, new ModbusError(`${this.where}: the device closed the connection`, 'connection')),
    );
    const ms = this.opts.timeoutMs;
    let timer: TimerHandle | undefined;
    try {
      await trackIo(
        new Promise<void>((resolve, reject) => {
          timer = this.opts.clock.setTimeout(
            () => reject(new ModbusError(`${this.where}: no connection within ${ms / 1000} s`, 'timeout')),
            ms,
          );
          rtu
            .connectTCP(this.opts.host, { port: this.opts.port })
            .then(resolve, (e: unknown) =>
              reject(new ModbusError(`${this.where}: ${reason(e)}`, 'connection')),
            );
        }),
      );
    } catch (e) {
      this.fail(conn, e as ModbusError);
      throw e;
    } finally {
      this.opts.clock.clearTimeout(timer);
    }
    if (this.closed) {
      this.destroy(conn);
      throw new ModbusError(`${this.where}: the client is closed`, 'connection');
    }
    this.watchSocket(conn);
    this.conn = conn;
    this.opts.log.info(
      { host: this.opts.host, port: this.opts.port, unit: this.opts.unitId },
      'modbus connected',
    );
    return conn;
  }

  /**
   * modbus-serial 8 swallows socket errors after connect (its TCP port emits neither 'error' nor
   * 'close' once an error cleared its open flag), so a reset would only show as a timeout: watch
   * the socket itself and fail the request in flight at once.
   */
  private watchSocket(conn: Connection): void {
    const socket = (conn.rtu as unknown as { _port?: { _client?: Socket } })._port?._client;
    if (!socket || typeof socket.once !== 'function') return;
    let error: unknown;
    socket.on('error', (e: unknown) => {
      error = e;
    });
    socket.once('close', () => {
      const why = error === undefined ? 'the device closed the connection' : reason(error);
      this.fail(conn, new ModbusError(`${this.where}: ${why}`, 'connection'));
    });
  }

  /** Drops a broken connection and schedules the next attempt (doubling back-off). */
  private fail(conn: Connection, err: ModbusError): void {
    if (!conn.alive) return;
    this.destroy(conn, err);
    if (this.conn === conn) this.conn = undefined;
    if (this.closed) return;
    this.failures += 1;
    this.lastError = err.message.startsWith(this.where)
      ? err.message.slice(this.where.length + 2)
      : err.message;
    const delay = backoff(this.opts.backoffMs ?? 1000, this.failures, this.opts.maxBackoffMs ?? 60_000);
    this.retryAt = this.opts.clock.now() + delay;
    // the first drop is news; the retries of an outage that goes on are not
    this.opts.log[this.failures === 1 ? 'warn' : 'debug'](
      { err: err.message, failures: this.failures, retry_in_ms: delay },
      `modbus connection dropped: ${err.message}`,
    );
  }

  private destroy(conn: Connection, err?: ModbusError): void {
    conn.alive = false;
    if (err) conn.fail?.(err);
    conn.fail = undefined;
    try {
      conn.rtu.destroy(() => {});
    } catch {
      // already gone
    }
  }

  private translate(e: unknown, what: string): ModbusError {
    if (e instanceof ModbusError) return e;
    const code = (e as { modbusCode?: unknown }).modbusCode;
    const msg = reason(e);
    if (typeof code === 'number')
      return new ModbusError(`${this.where}: ${what}: the device refused: ${msg}`, 'exception');
    if (/port not open/i.test(msg))
      return new ModbusError(`${this.where}: ${what}: not connected`, 'connection');
    return new ModbusError(`${this.where}: ${what}: ${msg}`, 'reply');
  }
}

function reason(e: unknown): string {
  return networkReason(e, 'is the device on, Modbus TCP enabled, and host/port right?');
}
