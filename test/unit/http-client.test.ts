import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { realClock } from '../../src/core/clock.js';
import { HttpClient } from '../../src/transport/http.js';

/**
 * A device whose HTTP server answers the first request on each connection with keep-alive and then
 * drops the connection when the next request on it arrives: what a kept-alive connection closed as
 * idle at the moment the next poll goes out looks like to the client.
 */
async function idleClosingDevice(): Promise<{
  port: number;
  connections: () => number;
  seen: string[];
  auths: string[];
  close(): Promise<void>;
}> {
  let connections = 0;
  const seen: string[] = [];
  const auths: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let requests = 0;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const head = buf.slice(0, buf.indexOf('\r\n\r\n'));
        const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const end = buf.indexOf('\r\n\r\n') + 4 + len;
        if (buf.length < end) return;
        const body = buf.slice(buf.indexOf('\r\n\r\n') + 4, end);
        buf = buf.slice(end);
        requests += 1;
        if (requests > 1) {
          socket.resetAndDestroy();
          return;
        }
        auths.push(/^authorization:\s*(.*)$/im.exec(head)?.[1] ?? '');
        seen.push(`${head.split(' ', 2).join(' ')} ${body}`.trim());
        const reply = '{"ok":true}';
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${reply.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n${reply}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    seen,
    auths,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('HttpClient and connections the device closes', () => {
  let device: Awaited<ReturnType<typeof idleClosingDevice>> | undefined;

  afterEach(async () => {
    await device?.close();
  });

  const client = (port: number) =>
    new HttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 3000,
      clock: realClock,
      log: pino({ level: 'silent' }),
    });

  it('sends a GET again on a new connection when the kept-alive one is reset, so the poll does not fail', async () => {
    device = await idleClosingDevice();
    const http = client(device.port);
    expect((await http.request('GET', '/status')).json).toEqual({ ok: true });
    const again = await http.request('GET', '/status');
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ ok: true });
    expect(device.connections()).toBe(2);
    expect(device.seen).toEqual(['GET /status', 'GET /status']);
  });

  it('does not send a POST twice: the reset is reported, naming the request', async () => {
    device = await idleClosingDevice();
    const http = client(device.port);
    await http.request('GET', '/status');
    await expect(http.request('POST', '/claims/1', { state: 'active' })).rejects.toThrow(
      'POST /claims/1: connection reset by the device',
    );
    expect(device.seen).toEqual(['GET /status']);
  });

  it('sends the body and basic auth header it was given', async () => {
    device = await idleClosingDevice();
    const http = new HttpClient({
      baseUrl: `http://127.0.0.1:${device.port}/`,
      user: 'admin',
      password: 'pw',
      timeoutMs: 3000,
      clock: realClock,
      log: pino({ level: 'silent' }),
    });
    const r = await http.request('POST', '/r', { a: 1 });
    expect(r.status).toBe(200);
    expect(device.seen).toEqual(['POST /r {"a":1}']);
    expect(device.auths).toEqual([`Basic ${Buffer.from('admin:pw').toString('base64')}`]);
  });
});
