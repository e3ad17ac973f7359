/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { SECRETS, type Site, startSite } from './site.js';
import { watch } from './watch.js';

/** Listens on a free loopback port; returns the port. */
function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

/**
 * A reverse proxy in the manner of Home Assistant's ingress: it serves the page under `prefix`
 * and strips the prefix before passing requests (and the WebSocket upgrade) to the bridge.
 */
async function ingressProxy(target: number, prefix: string): Promise<{ port: number; close(): void }> {
  const strip = (url: string) => (url.startsWith(prefix) ? `/${url.slice(prefix.length)}` : url);
  const server = createServer((req, res) => {
    const up = request(
      {
        host: '127.0.0.1',
        port: target,
        path: strip(req.url ?? '/'),
        method: req.method,
        headers: req.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = connect(target, '127.0.0.1', () => {
      const lines = [`${req.method} ${strip(req.url ?? '/')} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  const port = await listen(server);
  return { port, close: () => server.close() };
}

test.describe('behind a path prefix', () => {
  let site: Site;
  test.beforeAll(async () => {
    site = await startSite({ base_url: '/evse' });
  });
  test.afterAll(async () => {
    await site.stop();
  });

  test('with base_url /evse: assets, socket, a deep link and its reload work', async ({ page }) => {
    const w = watch(page, site.url);
    expect(site.url).toMatch(/\/evse\/$/);
    await page.goto(`${site.url}#/logs`);
    await expect(page.getByRole('heading', { name: 'Logs' })).toBeVisible();
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Logs' })).toBeVisible();
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
    expect(w.urls.filter((u) => u.includes('/api')).every((u) => u.endsWith('/evse/api'))).toBe(true);
    w.assertClean();
  });

  test('behind an ingress-style proxy that strips its own prefix', async ({ page }) => {
    // the proxy strips its own prefix; the bridge still sees its base_url /evse/
    const proxy = await ingressProxy(site.port, '/api/hassio_ingress/AbC123/');
    try {
      const url = `http://127.0.0.1:${proxy.port}/api/hassio_ingress/AbC123/evse/`;
      const w = watch(page, url);
      await page.goto(url);
      await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
      await page.getByRole('link', { name: 'Bridge' }).click();
      await page.reload();
      await expect(page.getByRole('heading', { name: 'Bridge', exact: true })).toBeVisible();
      expect(
        w.urls.some((u) => u === `ws://127.0.0.1:${proxy.port}/api/hassio_ingress/AbC123/evse/api`),
      ).toBe(true);
      w.assertClean();
    } finally {
      proxy.close();
    }
  });
});

test.describe('with auth_token', () => {
  let site: Site;
  test.beforeAll(async () => {
    site = await startSite({ auth_token: SECRETS.token });
  });
  test.afterAll(async () => {
    await site.stop();
  });

  test('the login form: a wrong token is refused, the right one shows the cards, log-out ends it', async ({
    page,
  }) => {
    const w = watch(page, site.url);
    await page.goto(site.url);
    const token = page.getByLabel('Access token');
    await token.fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText('wrong token');
    await token.fill(SECRETS.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
    expect(page.url()).not.toContain(SECRETS.token);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['evse2mqtt_session', true, 'Strict'],
    ]);
    expect(cookies[0]!.value).not.toContain(SECRETS.token);
    await page.reload();
    await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByLabel('Access token')).toBeVisible();
    await page.reload();
    await expect(page.getByLabel('Access token')).toBeVisible();
    for (const s of Object.values(SECRETS)) expect(w.framesIn.join('\n')).not.toContain(s);
    // the 401s of auth and of the wrong token are the page asking, not errors of the page
    w.assertClean({ allow: [/status of 401/, /\/auth HTTP 401/, /\/login HTTP 401/] });
  });

  test('?token= on the page address logs in and leaves the address at once', async ({ page }) => {
    const w = watch(page, site.url);
    await page.goto(`${site.url}?token=${SECRETS.token}#/bridge`);
    await expect(page.getByRole('heading', { name: 'Bridge', exact: true })).toBeVisible();
    expect(page.url()).toBe(`${site.url}#/bridge`);
    w.assertClean();
  });
});

test.describe('on loopback without a token', () => {
  let site: Site;
  test.beforeAll(async () => {
    site = await startSite();
  });
  test.afterAll(async () => {
    await site.stop();
  });

  test('a page from another local port cannot open the socket (cross-site WebSocket hijacking)', async ({
    page,
  }) => {
    const evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end('<!doctype html><title>other app</title><link rel="icon" href="data:,">');
    });
    const port = await listen(evil);
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      const outcome = await page.evaluate(
        (target) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(target);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          }),
        `ws://127.0.0.1:${site.port}/api`,
      );
      expect(outcome).toBe('refused');
      expect(site.bridge.frontend!.hub.size).toBe(0);
    } finally {
      evil.close();
    }
  });

  test('the page fits the budget: at most 40 960 bytes gzip -9 of JS and CSS, index.html not cached, assets cacheable', async ({
    page,
  }) => {
    const sizes: Record<string, number> = {};
    const caching: Record<string, string> = {};
    page.on('response', async (r) => {
      const u = new URL(r.url());
      caching[u.pathname] = r.headers()['cache-control'] ?? '';
      if (/\.(js|css)$/.test(u.pathname)) {
        const body = await r.body();
        sizes[u.pathname] = gzipSync(body, { level: 9 }).length;
      }
    });
    const res = await page.goto(site.url);
    await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
    expect(res!.headers()['cache-control']).toBe('no-store');
    expect(res!.headers()['content-security-policy']).toContain("default-src 'self'");
    expect(res!.headers()['x-content-type-options']).toBe('nosniff');
    expect(res!.headers()['referrer-policy']).toBe('no-referrer');
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    test.info().annotations.push({ type: 'gzip bytes', description: String(total) });
    expect(Object.keys(sizes)).toHaveLength(2);
    expect(total).toBeLessThanOrEqual(40_960);
    for (const [p, cc] of Object.entries(caching))
      if (p.includes('/assets/')) expect(cc).toBe('public, max-age=31536000, immutable');
  });
});
