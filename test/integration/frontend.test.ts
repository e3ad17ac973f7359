import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/core/bus.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { FrontendServer } from '../../src/frontend/server.js';
import { type Harness, openevseCharger, startHarness } from '../helpers/harness.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PageSocket } from '../helpers/page-socket.js';

/** One HTTP request with explicit headers (Host and Origin as a browser or an attacker would send them). */
function http(
  port: number,
  pathname: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: pathname, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const MQTT_PW = 'pw-in-the-url-7731';
const CHARGER_PW = 'charger-pw-5512';

describe('the web page socket: snapshot, commands, allow-list, Host and Origin', () => {
  let sim: OpenEvseSimulator;
  let h: Harness;
  let port: number;
  let url: string;
  const origin = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn();
    h = await startHarness({
      chargers: [openevseCharger(sim.port, { password: CHARGER_PW, user: 'admin' })],
      config: {
        frontend: { port: 0, url: 'http://evse.example.org:8090/' },
        influxdb: {
          url: `http://writer:${MQTT_PW}@127.0.0.1:1/`,
          token: 'influx-token-0042',
          org: 'o',
          bucket: 'b',
        },
      },
    });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    port = h.bridge.frontend!.port;
    url = `ws://127.0.0.1:${port}/api`;
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('sends the snapshot on connect: bridge info and devices, bridge state, each device state and availability', async () => {
    const p = await PageSocket.open(url, { Origin: origin() });
    const info = await p.wait('bridge/info');
    expect(info.chargers).toEqual([expect.objectContaining({ id: 'garage', name: 'Garage' })]);
    const devices = (await p.wait('bridge/devices')) as unknown as Array<Record<string, unknown>>;
    expect(devices[0]).toMatchObject({ id: 'garage', kind: 'charger', read_only: false });
    expect(devices[0]!.modes).toEqual(
      expect.arrayContaining([
        { mode: 'manual', reason: null },
        {
          mode: 'solar',
          reason: 'solar needs a grid meter (meters[].role: grid), or a pv and a house meter',
        },
      ]),
    );
    expect(await p.wait('bridge/state')).toEqual({ state: 'online' });
    expect(await p.wait('garage')).toMatchObject({ vehicle_connected: true, mode: 'manual' });
    expect(await p.wait('garage/availability')).toEqual({ state: 'online' });
    await p.close();
  });

  it('sends a /set to the charger and answers the asking page only, with its transaction', async () => {
    const a = await PageSocket.open(url, { Origin: origin() });
    const b = await PageSocket.open(url, { Origin: origin() });
    await a.wait('garage');
    await b.wait('garage');
    a.send('garage/set', { charge_current: 11, transaction: 'tx-1' });
    const r = await a.wait('garage/response');
    expect(r).toMatchObject({ status: 'ok', transaction: 'tx-1', data: { charge_current: 11 } });
    expect(sim.pilot()).toBe(11);
    // the other page sees the new state, never the answer
    await b.wait('garage', (s) => s.charge_current === 11);
    await new Promise((res) => setTimeout(res, 50));
    expect(b.frames.some((f) => f.topic === 'garage/response')).toBe(false);
    // and MQTT gets no /response for a page's command
    expect(h.rec.messages.some((m) => m.topic === 'evse2mqtt/garage/response')).toBe(false);
    await a.close();
    await b.close();
  });

  it('gives a refusal in the same words as MQTT: a mode whose input is missing', async () => {
    const p = await PageSocket.open(url, { Origin: origin() });
    p.send('garage/set', { mode: 'solar', transaction: 2 });
    const page = await p.wait('garage/response');
    const since = h.rec.mark();
    await h.rec.publish('evse2mqtt/garage/set', '{"mode":"solar","transaction":2}');
    const mqtt = await h.rec.waitJson('evse2mqtt/garage/response', () => true, { since });
    expect(page.status).toBe('error');
    expect(page).toEqual(mqtt);
    await p.close();
  });

  it('answers an allowed bridge request on the asking socket, and an error frame for anything else', async () => {
    const p = await PageSocket.open(url, { Origin: origin() });
    p.send('bridge/request/health_check', { transaction: 9 });
    expect(await p.wait('bridge/response/health_check')).toEqual({
      status: 'ok',
      data: { healthy: true },
      transaction: 9,
    });
    for (const topic of [
      'bridge/request/restart',
      'garage/set/charge_current',
      'bridge/info',
      'nobody/set',
    ]) {
      p.send(topic, {});
      const e = await p.wait('error', (x) => x.topic === topic);
      expect(String(e.error)).toMatch(/is not allowed from the page/);
    }
    p.ws.send('not json');
    expect(String((await p.wait('error', (x) => x.topic === null)).error)).toMatch(/^malformed JSON/);
    await p.close();
  });

  it('refuses a socket from another local port (cross-site) and a foreign Host, even without a token', async () => {
    await expect(PageSocket.open(url, { Origin: 'http://127.0.0.1:9999' })).rejects.toThrow('HTTP 403');
    await expect(PageSocket.open(url, { Origin: 'http://localhost:9999' })).rejects.toThrow('HTTP 403');
    await expect(PageSocket.open(url, { Origin: 'null' })).rejects.toThrow('HTTP 403');
    await expect(
      PageSocket.open(url, { Host: 'attacker.example', Origin: 'http://attacker.example' }),
    ).rejects.toThrow('HTTP 403');
    expect((await http(port, '/', { headers: { Host: 'rebind.attacker.example' } })).status).toBe(403);
    // the public url's host and origin are accepted (a reverse proxy in front)
    const p = await PageSocket.open(url, {
      Host: 'evse.example.org:8090',
      Origin: 'http://evse.example.org:8090',
    });
    await p.wait('bridge/state');
    await p.close();
    expect((await http(port, '/auth', { headers: { Host: 'localhost' } })).status).toBe(200);
  });

  it('replays the last warnings to a page that connects later', async () => {
    h.bridge.log.warn('a warning for the page');
    await new Promise((res) => setTimeout(res, 50));
    const p = await PageSocket.open(url, { Origin: origin() });
    const rec = await p.wait('bridge/logging', (r) => r.message === 'a warning for the page');
    expect(rec.level).toBe('warn');
    await p.close();
  });

  it('never sends a secret: charger password, InfluxDB token, credentials inside a URL', async () => {
    const p = await PageSocket.open(url, { Origin: origin() });
    await p.wait('garage/availability');
    const all = p.raw.join('\n');
    expect(all).not.toContain(CHARGER_PW);
    expect(all).not.toContain(MQTT_PW);
    expect(all).not.toContain('influx-token-0042');
    expect(all).toContain('@127.0.0.1:1/'); // the URL is kept, its userinfo redacted
    await p.close();
  });

  it("gives Home Assistant the page's public url as the bridge device's configuration_url", async () => {
    const cfg = await h.rec.waitJson<{ device: Record<string, unknown> }>(
      'homeassistant/binary_sensor/evse2mqtt_bridge/connection_state/config',
    );
    expect(cfg.device.configuration_url).toBe('http://evse.example.org:8090/');
  });

  it("sends each charger's session as MQTT has it on <base>/<id>/session: live, in the snapshot, and its end", async () => {
    let since = h.rec.mark();
    sim.unplug();
    await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage', (v) => v.vehicle_connected === false, { since }),
    );
    const p = await PageSocket.open(url, { Origin: origin() });
    await p.wait('garage');
    since = h.rec.mark();
    sim.plugIn();
    const active = await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage/session', (v) => v.state === 'active', { since }),
    );
    expect(await p.wait('garage/session', (v) => v.state === 'active')).toEqual(active);
    const later = await PageSocket.open(url, { Origin: origin() });
    expect(await later.wait('garage/session')).toEqual(active);
    since = h.rec.mark();
    sim.unplug();
    const ended = await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage/session', (v) => v.state === 'ended', { since }),
    );
    expect(ended.id).toBe(active.id);
    expect(await p.wait('garage/session', (v) => v.state === 'ended')).toEqual(ended);
    await p.close();
    await later.close();
    since = h.rec.mark();
    sim.plugIn();
    await h.clock.runUntil(
      h.rec.waitJson('evse2mqtt/garage', (v) => v.vehicle_connected === true, { since }),
    );
  });

  it('answers with the security headers', async () => {
    const r = await http(port, '/auth');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['content-security-policy']).not.toMatch(/unsafe-(inline|eval)/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('the web page with auth_token and read_only', () => {
  const TOKEN = 'page-token-8842-abc';
  let sim: OpenEvseSimulator;
  let h: Harness;
  let port: number;
  let url: string;
  const origin = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    sim = new OpenEvseSimulator();
    await sim.start();
    sim.plugIn();
    h = await startHarness({
      chargers: [openevseCharger(sim.port)],
      config: { frontend: { port: 0, auth_token: TOKEN, read_only: true } },
    });
    await h.rec.waitJson('evse2mqtt/garage/availability', (v) => v.state === 'online');
    port = h.bridge.frontend!.port;
    url = `ws://127.0.0.1:${port}/api`;
  });

  afterAll(async () => {
    await h.stop();
    await sim.stop();
  });

  it('refuses a socket without the token with 401, and says 401 on auth', async () => {
    await expect(PageSocket.open(url, { Origin: origin() })).rejects.toThrow('HTTP 401');
    await expect(PageSocket.open(`${url}?token=wrong`, { Origin: origin() })).rejects.toThrow('HTTP 401');
    expect((await http(port, '/auth')).status).toBe(401);
  });

  it('accepts ?token= on the socket (scripts) and never echoes the token', async () => {
    const p = await PageSocket.open(`${url}?token=${TOKEN}`, { Origin: origin() });
    await p.wait('garage/availability');
    expect(p.raw.join('\n')).not.toContain(TOKEN);
    await p.close();
  });

  it('logs in with the form: an HttpOnly SameSite=Strict cookie holding a session id, never the token; log-out ends it', async () => {
    const login = await http(port, '/login', {
      method: 'POST',
      headers: { Origin: origin(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^evse2mqtt_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await http(port, '/auth', { headers: { Cookie: session } })).status).toBe(200);
    const p = await PageSocket.open(url, { Origin: origin(), Cookie: session });
    await p.wait('bridge/state');
    await p.close();
    const out = await http(port, '/logout', {
      method: 'POST',
      headers: { Origin: origin(), Cookie: session },
    });
    expect(out.status).toBe(200);
    expect((await http(port, '/auth', { headers: { Cookie: session } })).status).toBe(401);
    await expect(PageSocket.open(url, { Origin: origin(), Cookie: session })).rejects.toThrow('HTTP 401');
  });

  it('logs in from ?token= on the page address and sends the browser back to it without the token', async () => {
    const r = await http(port, `/?token=${TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('./');
    expect(String(r.headers['set-cookie'])).toMatch(/^evse2mqtt_session=[0-9a-f]{64};/);
  });

  it('refuses a login posted from another origin', async () => {
    const r = await http(port, '/login', {
      method: 'POST',
      headers: { Origin: 'http://127.0.0.1:9999', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(r.status).toBe(403);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('throttles failed logins: after five, even the right token waits', async () => {
    const post = (token: string) =>
      http(port, '/login', {
        method: 'POST',
        headers: { Origin: origin(), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `token=${token}`,
      });
    for (let i = 0; i < 5; i++) expect((await post('wrong')).status).toBe(401);
    const r = await post(TOKEN);
    expect(r.status).toBe(429);
    expect(r.body).toMatch(/too many failed logins; try again in \d+ s/);
    // a minute later (the bridge's clock) the right token works again
    await h.clock.advance(61_000);
    expect((await post(TOKEN)).status).toBe(200);
  });

  it('refuses commands when read_only, and nothing reaches the charger', async () => {
    const p = await PageSocket.open(`${url}?token=${TOKEN}`, { Origin: origin() });
    const before = sim.requests.filter((r) => r.method !== 'GET').length;
    p.send('garage/set', { charge_current: 10, transaction: 1 });
    expect(await p.wait('garage/response')).toEqual({
      status: 'error',
      error: 'this page is read-only (frontend.read_only): commands are refused',
      transaction: 1,
    });
    expect(sim.requests.filter((r) => r.method !== 'GET').length).toBe(before);
    const devices = (await p.wait('bridge/devices')) as unknown as Array<Record<string, unknown>>;
    expect(devices[0]!.read_only).toBe(true);
    await p.close();
  });
});

describe('the web page configuration and its static files', () => {
  it('refuses a non-loopback host without a token, naming the key; the env variable gives one', () => {
    const raw = { frontend: { host: '0.0.0.0' } };
    expect(validateConfig(raw, {}).problems).toEqual([
      {
        path: 'frontend.auth_token',
        reason:
          'is required when frontend.host is not a loopback address (0.0.0.0); set it or EVSE2MQTT_FRONTEND_AUTH_TOKEN',
      },
    ]);
    const ok = validateConfig(raw, { EVSE2MQTT_FRONTEND_AUTH_TOKEN: 'x-token-1' });
    expect(ok.problems).toEqual([]);
    expect(ok.config!.frontend.auth_token).toBe('x-token-1');
    expect(validateConfig({ frontend: { base_url: '/evse' } }, {}).config!.frontend.base_url).toBe('/evse/');
    expect(validateConfig({ frontend: { base_url: 'evse' } }, {}).problems[0]!.path).toBe(
      'frontend.base_url',
    );
  });

  it('serves index.html uncached and hashed assets cacheable, under base_url, nothing outside it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-page-'));
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(root, 'assets', 'app-ABCDEF12.js'), 'console.log(1)');
    writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const logs = new MemoryLog();
    const clock = new ManualClock();
    const server = new FrontendServer({
      cfg: { enabled: true, host: '127.0.0.1', port: 0, base_url: '/evse/', read_only: false },
      bus: new EventBus(),
      clock,
      log: logs.bundle.log,
      root,
      devices: () => [],
      info: () => ({}),
      deviceList: () => [],
      modeChoices: () => undefined,
      set: async () => ({ status: 'error', error: 'x' }),
      get: async () => undefined,
      request: async () => ({}),
    });
    await server.start();
    try {
      const port = server.port;
      const index = await http(port, '/evse/');
      expect(index.status).toBe(200);
      expect(index.headers['cache-control']).toBe('no-store');
      expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
      const asset = await http(port, '/evse/assets/app-ABCDEF12.js');
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await http(port, '/evse/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
      expect((await http(port, '/evse')).headers.location).toBe('/evse/');
      expect((await http(port, '/index.html')).status).toBe(404);
      expect((await http(port, '/evse/../etc/passwd')).status).toBe(404);
      expect((await http(port, '/evse/%2e%2e/x')).status).toBe(404);
      expect((await http(port, '/evse/%E0%A4%A')).status).toBe(400);
      expect((await http(port, '/evse/', { headers: { Host: 'evil.example' } })).status).toBe(403);
      expect((await http(port, '/elsewhere', { headers: { Host: 'evil.example' } })).status).toBe(403);
    } finally {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
