import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { floodFrames, hugeFrame } from '../../src/sim/hostile.js';
import { HttpSimulator, type SimReply } from '../../src/sim/http-sim.js';
import { HttpClient, MAX_REPLY_BYTES } from '../../src/transport/http.js';
import { FRAME_BUDGET, MAX_FRAME_BYTES, ReconnectingSocket } from '../../src/transport/websocket.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A device that answers every request with {"ok":true} or, when `body` is set, that text. */
class PlainDevice extends HttpSimulator {
  body?: string;
  protected handle(): SimReply {
    return this.body !== undefined ? { status: 200, text: this.body } : { status: 200, body: { ok: true } };
  }
}

const silent = pino({ level: 'silent' });

describe('a device that answers with far more than a status', () => {
  let device: PlainDevice;

  afterEach(async () => {
    await device?.stop();
  });

  const client = async () => {
    device = new PlainDevice();
    await device.start();
    // the manual clock never moves here: any failure below is the size limit, not the timeout
    return new HttpClient({
      baseUrl: `http://127.0.0.1:${device.port}`,
      timeoutMs: 3000,
      clock: new ManualClock(),
      log: silent,
    });
  };

  it('refuses a reply that announces 600 MiB before reading it, and the next request works', async () => {
    const http = await client();
    device.hostile = 'huge';
    await expect(http.request('GET', '/status')).rejects.toThrow(
      'GET /status: reply too large (629145600 bytes; the limit is 1 MiB)',
    );
    device.hostile = undefined;
    expect((await http.request('GET', '/status')).json).toEqual({ ok: true });
  });

  it('stops reading an endless chunked reply at 1 MiB and drops the connection', async () => {
    const http = await client();
    device.hostile = 'endless';
    const before = process.memoryUsage().rss;
    await expect(http.request('GET', '/status')).rejects.toThrow(
      'GET /status: reply too large (more than 1 MiB; the limit is 1 MiB)',
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    device.hostile = undefined;
    expect((await http.request('GET', '/status')).json).toEqual({ ok: true });
  });

  it('refuses 2 MiB sent without a content-length', async () => {
    const http = await client();
    device.hostile = 'undeclared';
    await expect(http.request('GET', '/status')).rejects.toThrow('reply too large (more than 1 MiB');
  });

  it('still reads a large but honest reply just under the limit', async () => {
    const http = await client();
    device.body = JSON.stringify({ filler: 'x'.repeat(MAX_REPLY_BYTES - 100) });
    const r = await http.request('GET', '/status');
    expect((r.json as { filler: string }).filler).toHaveLength(MAX_REPLY_BYTES - 100);
  });
});

describe('a push socket that floods', () => {
  let wss: WebSocketServer | undefined;
  let socket: ReconnectingSocket | undefined;

  afterEach(async () => {
    socket?.close();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  });

  /** A push server that runs `onOpen` on each connection; resolves with its port and a connection count. */
  const server = async (onOpen: (ws: import('ws').WebSocket) => void) => {
    const s = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss = s;
    let connections = 0;
    s.on('connection', (ws) => {
      connections += 1;
      ws.on('error', () => {});
      onOpen(ws);
    });
    await new Promise<void>((resolve) => s.once('listening', () => resolve()));
    return { port: (s.address() as { port: number }).port, connections: () => connections };
  };

  const open = (port: number, clock: ManualClock, logs: MemoryLog) => {
    const received: string[] = [];
    const closes: number[] = [];
    const s = new ReconnectingSocket({
      url: `ws://127.0.0.1:${port}/ws`,
      clock,
      log: logs.bundle.log,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
    });
    s.on('message', (t: string) => received.push(t));
    s.on('open', () => closes.push(clock.now()));
    s.start();
    socket = s;
    return { received, opens: closes };
  };

  it('closes a socket that pushes a frame over 256 KiB, says so, and never delivers the frame', async () => {
    const srv = await server((ws) => ws.send(hugeFrame(MAX_FRAME_BYTES + 1024)));
    const clock = new ManualClock();
    const logs = new MemoryLog();
    const { received } = open(srv.port, clock, logs);
    await clock.advance(0, 150);
    expect(received).toHaveLength(0);
    expect(
      logs.find('the device pushed a frame over 256 KiB; dropped and the push socket closed'),
    ).toHaveLength(1);
    await clock.advance(1000, 150);
    expect(srv.connections()).toBe(2); // reconnects after the back-off
  });

  it('closes a socket that pushes more frames in a second than its budget, and backs off longer after each flood', async () => {
    const srv = await server((ws) => floodFrames(ws, 500, '{"amp":1}'));
    const clock = new ManualClock();
    const logs = new MemoryLog();
    const { received, opens } = open(srv.port, clock, logs);
    await clock.advance(0, 150);
    expect(received).toHaveLength(FRAME_BUDGET);
    expect(logs.find('more frames per second than a device does')).toHaveLength(1);
    // first flood: the reconnect waits 2 s; second: 4 s
    await clock.advance(1999, 100);
    expect(srv.connections()).toBe(1);
    await clock.advance(1, 150);
    expect(srv.connections()).toBe(2);
    await clock.advance(3999, 100);
    expect(srv.connections()).toBe(2);
    await clock.advance(1, 150);
    expect(srv.connections()).toBe(3);
    expect(opens).toHaveLength(3);
  });

  it('lets a device push its budget every second for as long as it likes', async () => {
    let peer: import('ws').WebSocket | undefined;
    const srv = await server((ws) => {
      peer = ws;
    });
    const clock = new ManualClock();
    const logs = new MemoryLog();
    const { received } = open(srv.port, clock, logs);
    await clock.advance(0, 150);
    for (let s = 0; s < 3; s++) {
      floodFrames(peer!, FRAME_BUDGET, '{"amp":1}');
      await clock.advance(1000, 100);
    }
    expect(received).toHaveLength(3 * FRAME_BUDGET);
    expect(srv.connections()).toBe(1);
  });
});
