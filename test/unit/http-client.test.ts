import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { realClock } from '../../src/core/clock.js';
import { endpointOf, HttpClient, targetPath } from '../../src/transport/http.js';
import { ManualClock } from '../helpers/manual-clock.js';

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

describe('HttpClient request targets and time-outs', () => {
  it('keeps the base URL path prefix and encodes what a URL would encode', () => {
    const ep = endpointOf('http://192.168.1.50:8080/api/');
    expect(ep).toEqual({ https: false, hostname: '192.168.1.50', port: 8080, prefix: '/api' });
    expect(targetPath(ep, '/status')).toBe('/api/status');
    expect(targetPath(ep, 'status?x=1')).toBe('/api/status?x=1');
    expect(targetPath(ep, '/r?rapi=$SC 13 V')).toBe('/api/r?rapi=$SC%2013%20V');
    expect(targetPath(ep, '/a/../b')).toBe('/api/b');
    expect(endpointOf('https://[::1]/')).toEqual({
      https: true,
      hostname: '::1',
      port: undefined,
      prefix: '',
    });
    expect(endpointOf('http://u%40x:p@h:1').auth).toBe('u@x:p');
  });

  it('gives up when the device accepts but never answers, on the bridge clock, and the next request works', async () => {
    const sockets = new Set<net.Socket>();
    let answer = false;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {
        if (answer)
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}', () =>
            socket.end(),
          );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const clock = new ManualClock();
    const http = new HttpClient({
      baseUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      timeoutMs: 3000,
      clock,
      log: pino({ level: 'silent' }),
    });
    try {
      const hung = http.request('GET', '/status');
      const outcome = hung.then(
        () => 'answered',
        (e: Error) => e.message,
      );
      await clock.advance(2900);
      await new Promise((r) => setTimeout(r, 30));
      expect(sockets.size).toBe(1);
      await clock.advance(100);
      expect(await outcome).toBe('GET /status: no answer within 3 s');
      answer = true;
      expect((await http.request('GET', '/status')).json).toEqual({});
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
