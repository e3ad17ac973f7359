import net from 'node:net';
import { ServerTCP } from 'modbus-serial';
import { EXCEPTION, QuasarDevice, type QuasarDeviceOptions } from './sim-device.js';

/** Options of the Quasar simulator. */
export interface QuasarSimOptions extends QuasarDeviceOptions {
  /** TCP port; default a free one (ServerTCP would take 0 as 502). */
  port?: number;
  /** Modbus unit id it answers (requests to other ids get no answer, as on the wire); default 1. */
  unitId?: number;
  /** Real ms before each answer (a slow device; makes pipelining visible). */
  latencyMs?: number;
}

type Callback<T> = (err: Error | null, value: T) => void;

/** A Modbus exception reply (ServerTCP reads `modbusErrorCode`). */
class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`Modbus exception ${modbusErrorCode}`);
  }
}

/**
 * A Wallbox Quasar on a real socket: modbus-serial's ServerTCP serving QuasarDevice's holding
 * registers (FC3/FC6), with the charger's known failure: the Modbus server hangs (accepts
 * connections and never answers, or stops answering mid-stream) until it is restarted.
 * Simulated time advances with tick(), or startPhysics() for the demo.
 */
export class QuasarSimulator extends QuasarDevice {
  /** No request is answered (connections are still accepted). */
  hang = false;
  /** Requests seen, answered or not. */
  requests = 0;
  /** Requests left unanswered because of a hang. */
  unanswered = 0;
  /** Requests being processed now, and the most at once (a client that pipelines shows > 1). */
  inFlight = 0;
  maxInFlight = 0;
  /** TCP connections accepted since start. */
  connectionsAccepted = 0;
  readonly unitId: number;
  latencyMs: number;
  private hangAfterCount?: number;
  private server?: ServerTCP;
  private portNumber: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private physicsTimer?: NodeJS.Timeout;
  private readonly refused = new Map<number, number>();
  private followed?: { now: () => number; origin: number };

  constructor(opts: QuasarSimOptions = {}) {
    super(opts);
    this.portNumber = opts.port ?? 0;
    this.unitId = opts.unitId ?? 1;
    this.latencyMs = opts.latencyMs ?? 0;
  }

  /** The TCP port it listens on (after start()). */
  get port(): number {
    return this.portNumber;
  }

  /** Open connections. */
  get connections(): number {
    return this.server?.socks.size ?? 0;
  }

  /** Listens on 127.0.0.1 (a free port unless one was given; the same port after a restart). */
  async start(): Promise<void> {
    if (this.server) return;
    if (this.portNumber === 0) this.portNumber = await freePort();
    const server = new ServerTCP(
      {
        getHoldingRegister: (addr: number, _unit: number, cb: Callback<number>) =>
          this.serve(() => this.readWords(addr, 1)[0]!, cb),
        getMultipleHoldingRegisters: (addr: number, len: number, _unit: number, cb: Callback<number[]>) =>
          this.serve(() => this.readWords(addr, len), cb),
        setRegister: (addr: number, value: number, _unit: number, cb: Callback<undefined>) =>
          this.serve(() => {
            const code = this.refused.get(addr) ?? this.write(addr, value);
            if (code !== null) throw modbusError(code);
            return undefined;
          }, cb),
        // the Quasar has holding registers only
        getInputRegister: (_addr: number, _unit: number, cb: Callback<number>) =>
          this.serve(() => {
            throw modbusError(EXCEPTION.illegalFunction);
          }, cb),
      },
      { host: '127.0.0.1', port: this.portNumber, unitID: this.unitId },
    );
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (e: unknown) => reject(e as Error));
    });
    server.on('socketError', () => {});
    (server as unknown as { _server: net.Server })._server.on('connection', () => {
      this.connectionsAccepted += 1;
    });
    this.server = server;
  }

  /** Closes the server and every connection. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers `n` more requests, then hangs (stops answering mid-stream). */
  hangAfter(n: number): void {
    this.hangAfterCount = n;
  }

  /** A restart of the charger (power cycle): connections drop, the hang clears, user control. */
  async restart(): Promise<void> {
    await this.stop();
    this.hang = false;
    this.hangAfterCount = undefined;
    this.takeUserControl();
    await this.start();
  }

  /** Answers writes to `register` with Modbus exception `code` (null: accept them again). */
  refuseWrites(register: number, code: number | null = EXCEPTION.illegalValue): void {
    if (code === null) this.refused.delete(register);
    else this.refused.set(register, code);
  }

  /** Writes to `register`, in order, as the charger received them. */
  writesTo(register: number): number[] {
    return this.writes.filter((w) => w.register === register).map((w) => w.value);
  }

  /**
   * Lets simulated time follow a clock (ms): before each request, the physics catch up with it.
   * Tests pass the bridge's fake clock, so that energy and the idle timeout run on bridge time.
   */
  follow(now: () => number): void {
    this.followed = { now, origin: now() - this.now };
  }

  /** Controls (plug-in, the app, errors) act at the followed clock's time. */
  protected override sync(): void {
    this.catchUp();
  }

  /** Advances the physics to the followed clock's time (no-op without follow(), or when ahead of it). */
  catchUp(): void {
    if (!this.followed) return;
    const t = this.followed.now() - this.followed.origin;
    if (t > this.now) this.tick(t - this.now);
  }

  /** Runs tick() on a real interval (the demo). */
  startPhysics(intervalMs = 1000): void {
    this.stopPhysics();
    this.physicsTimer = setInterval(() => this.tick(intervalMs), intervalMs);
    this.physicsTimer.unref();
  }

  /** Stops the real-time physics. */
  stopPhysics(): void {
    if (this.physicsTimer) clearInterval(this.physicsTimer);
    this.physicsTimer = undefined;
  }

  private readWords(addr: number, len: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < len; i++) {
      const r = this.read(addr + i);
      if ('exception' in r) throw modbusError(r.exception);
      out.push(r.word);
    }
    return out;
  }

  /** One request: hang, or take effect now and answer after `latencyMs`. */
  private serve<T>(fn: () => T, cb: Callback<T>): void {
    this.catchUp();
    this.requests += 1;
    if (this.hangAfterCount !== undefined) {
      if (this.hangAfterCount <= 0) {
        this.hang = true;
        this.hangAfterCount = undefined;
      } else this.hangAfterCount -= 1;
    }
    if (this.hang) {
      this.unanswered += 1;
      return;
    }
    this.traffic();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let err: Error | null = null;
    let value: T | undefined;
    try {
      value = fn();
    } catch (e) {
      err = e as Error;
    }
    const answer = () => {
      this.inFlight -= 1;
      cb(err, value as T);
    };
    if (this.latencyMs <= 0) {
      answer();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      answer();
    }, this.latencyMs);
    this.timers.add(t);
  }
}

function modbusError(code: number): ModbusException {
  return new ModbusException(code);
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
