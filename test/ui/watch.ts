import { expect, type Page } from '@playwright/test';

/** What a page did: console errors and warnings, page errors, failed requests, every URL and socket frame. */
export interface Watch {
  consoleErrors: string[];
  pageErrors: string[];
  failed: string[];
  urls: string[];
  framesIn: string[];
  framesOut: string[];
  /** No console error or warning, page error or failed request; every URL on the page's own origin. */
  assertClean(opts?: { allow?: RegExp[] }): void;
}

/** Starts recording `page` (call before the first goto). */
export function watch(page: Page, origin: string): Watch {
  const w: Watch = {
    consoleErrors: [],
    pageErrors: [],
    failed: [],
    urls: [],
    framesIn: [],
    framesOut: [],
    assertClean(opts = {}) {
      const allowed = (s: string) => (opts.allow ?? []).some((re) => re.test(s));
      expect(w.consoleErrors.filter((s) => !allowed(s))).toEqual([]);
      expect(w.pageErrors).toEqual([]);
      expect(w.failed.filter((s) => !allowed(s))).toEqual([]);
      const host = new URL(origin).host;
      for (const u of w.urls) expect(new URL(u).host, `request to ${u}`).toBe(host);
    },
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') w.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.pageErrors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && !r.url().startsWith('blob:')) w.urls.push(r.url());
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // a request the browser itself cancelled because the page navigated away (a reload while the
    // favicon still loads) is not a failure of the bridge; any other error is
    if (why === 'net::ERR_ABORTED' && r.resourceType() !== 'document') return;
    w.failed.push(`${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) w.failed.push(`${r.url()} HTTP ${r.status()}`);
  });
  page.on('websocket', (ws) => {
    w.urls.push(ws.url());
    ws.on('framereceived', (f) => w.framesIn.push(String(f.payload)));
    ws.on('framesent', (f) => w.framesOut.push(String(f.payload)));
  });
  return w;
}
