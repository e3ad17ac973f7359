/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { type Site, startSite } from './site.js';
import { watch } from './watch.js';

let site: Site;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  site = await startSite({ chargers: 98 });
});

test.afterAll(async () => {
  await site.stop();
});

test('100 chargers: every card renders; the render time is measured, not asserted', async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  const w = watch(page, site.url);
  await page.goto(site.url);
  await page.waitForFunction(() => document.querySelectorAll('article').length === 100, undefined, {
    timeout: 30_000,
  });
  // the page measures each render of the overview from the batch of frames that caused it
  await page.waitForTimeout(3000);
  const renders = await page.evaluate(() =>
    performance.getEntriesByName('evse2mqtt:cards').map((e) => Math.round(e.duration * 10) / 10),
  );
  const firstMs = renders[0] ?? Number.NaN;
  const sorted = [...renders.slice(1)].sort((a, b) => a - b);
  const updateMs = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const width = page.viewportSize()!.width;
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  const figures = {
    project: info.project.name,
    cards: 100,
    snapshot_render_ms: firstMs,
    update_render_ms_median: updateMs,
    renders: renders.length,
  };
  console.log(`ui scale: ${JSON.stringify(figures)}`);
  info.annotations.push({ type: 'ui scale', description: JSON.stringify(figures) });
  writeFileSync(info.outputPath('scale.json'), JSON.stringify(figures));
  w.assertClean();
});
