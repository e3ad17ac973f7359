import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { QuasarSimulator } from '../../src/drivers/wallbox-quasar/simulator.js';
import { fromInt16, ModbusClient, ModbusError, toInt16 } from '../../src/transport/modbus.js';
import { ManualClock } from '../helpers/manual-clock.js';

const log = pino({ level: 'silent' });

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('signed int16 (two’s complement)', () => {
  it.each([
    [0, 0],
    [32767, 32767],
    [32768, -32768],
    [65526, -10],
    [65535, -1],
  ])('word %p reads as %p', (word, value) => {
    expect(toInt16(word)).toBe(value);
    expect(fromInt16(value)).toBe(word);
  });

  it('refuses values that do not fit', () => {
    expect(() => fromInt16(32768)).toThrow(RangeError);
    expect(() => fromInt16(-32769)).toThrow(RangeError);
    expect(() => fromInt16(1.5)).toThrow(RangeError);
  });
});

describe('queued Modbus TCP client', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function simulator(opts: { latencyMs?: number; unitId?: number } = {}): Promise<QuasarSimulator> {
    const sim = new QuasarSimulator(opts);
    await sim.start();
    cleanup.push(() => sim.stop());
    return sim;
  }

  function client(port: number, clock = new ManualClock(), unitId = 1): ModbusClient {
    const c = new ModbusClient({ host: '127.0.0.1', port, unitId, timeoutMs: 3000, clock, log });
    cleanup.push(() => c.close());
    return c;
  }

  /** A raw TCP server that answers every request with `reply(request)` (or nothing). */
  async function rawServer(reply: (req: Buffer, sock: net.Socket) => void): Promise<number> {
    const port = await freePort();
    const server = net.createServer((sock) => sock.on('data', (d) => reply(d, sock)));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const socks = new Set<net.Socket>();
    server.on('connection', (s) => socks.add(s));
    cleanup.push(async () => {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    return port;
  }

  it('sends requests one at a time, even when callers do not wait', async () => {
    const sim = await simulator({ latencyMs: 10 });
    const c = client(sim.port);
    const results = await Promise.all([
      c.writeRegister(0x51, 1),
      c.readHolding(0x51, 3),
      c.writeRegister(0x102, fromInt16(-10)),
      c.readHolding(0x102, 1),
      c.transaction(async (io) => [await io.readHolding(0x58, 1), await io.readHolding(0x101, 2)]),
    ]);
    expect(results[1]).toEqual([1, 1, 0]);
    expect(results[3]).toEqual([65526]);
    expect(sim.maxInFlight).toBe(1);
    expect(sim.connectionsAccepted).toBe(1);
  });

  it('keeps nothing of finished requests (modbus-serial would hold the last 256 per connection)', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    const held = () =>
      Object.keys(
        (c as unknown as { conn: { rtu: { _transactions: Record<string, unknown> } } }).conn.rtu
          ._transactions,
      ).length;
    for (let i = 0; i < 300; i++) {
      expect(await c.readHolding(0x51, 3)).toHaveLength(3);
      if (i % 10 === 0) await c.writeRegister(0x102, fromInt16(i % 32));
    }
    expect(sim.connectionsAccepted).toBe(1);
    expect(held()).toBe(0);
  });

  it('times out on the bridge clock when the server hangs, drops the connection and reconnects after the back-off', async () => {
    const sim = await simulator();
    const clock = new ManualClock();
    const c = client(sim.port, clock);
    await c.readHolding(0x51, 1);
    sim.hang = true;
    const hung = c.readHolding(0x51, 1).catch((e: unknown) => e);
    await clock.advance(2999);
    await clock.advance(1);
    const err = (await hung) as ModbusError;
    expect(err).toBeInstanceOf(ModbusError);
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(
      /read 1 register at 0x0051: no answer within 3 s \(the Modbus server may have hung\)/,
    );
    expect(c.connected).toBe(false);
    sim.hang = false;
    await expect(c.readHolding(0x51, 1)).rejects.toThrow(/not connected .*; next attempt in 1 s/);
    await clock.advance(1000);
    await expect(c.readHolding(0x51, 1)).resolves.toEqual([0]);
    expect(sim.connectionsAccepted).toBe(2);
  });

  it('keeps the connection on a Modbus exception reply and says what the device refused', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    const e = (await c.writeRegister(0x0200, 1).catch((x: unknown) => x)) as ModbusError;
    expect(e.kind).toBe('exception');
    expect(e.message).toMatch(
      /write 1 to 0x0200: the device refused: Modbus exception 2: Illegal data address/,
    );
    await expect(c.readHolding(0x219, 1)).resolves.toEqual([0]);
    expect(sim.connectionsAccepted).toBe(1);
  });

  it('fails at once when the device closes or resets the connection under a request', async () => {
    const closing = await rawServer((_req, sock) => sock.end());
    await expect(client(closing).readHolding(0x51, 1)).rejects.toThrow(/the device closed the connection/);
    const resetting = await rawServer((_req, sock) => sock.resetAndDestroy());
    const c = client(resetting);
    await expect(c.readHolding(0x51, 1)).rejects.toThrow(/connection reset by the device/);
    expect(c.connected).toBe(false);
  });

  it('rejects a garbled reply without crashing, and a write whose echo does not match', async () => {
    const garbage = await rawServer((req, sock) => {
      // right transaction id, wrong function code and length
      sock.write(Buffer.from([req[0]!, req[1]!, 0, 0, 0, 3, 1, 0x2b, 0]));
    });
    await expect(client(garbage).readHolding(0x51, 1)).rejects.toThrow(ModbusError);
    const wrongEcho = await rawServer((req, sock) => {
      const echo = Buffer.from(req.subarray(0, 12));
      echo.writeUInt16BE(7, 10); // the device reports another value
      sock.write(echo);
    });
    await expect(client(wrongEcho).writeRegister(0x102, 16)).rejects.toThrow(/the echo does not match/);
  });

  it('gets no answer from a server with another unit id (configure unit_id)', async () => {
    const sim = await simulator({ unitId: 1 });
    const clock = new ManualClock();
    const c = client(sim.port, clock, 2);
    const p = c.readHolding(0x51, 1).catch((e: unknown) => e);
    await clock.advance(3000);
    expect(((await p) as ModbusError).kind).toBe('timeout');
  });

  it('says when the connection is refused', async () => {
    const port = await freePort();
    await expect(client(port).readHolding(0x51, 1)).rejects.toThrow(/connection refused/);
  });

  it('fails requests after close', async () => {
    const sim = await simulator();
    const c = client(sim.port);
    await c.readHolding(0x51, 1);
    await c.close();
    await expect(c.readHolding(0x51, 1)).rejects.toThrow(/the client is closed/);
  });
});
