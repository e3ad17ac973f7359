import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createLogger } from '../../src/core/logger.js';
import { type Demo, startDemo } from '../../src/demo.js';
import { watch } from './watch.js';

let demo: Demo;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-ui-demo-'));
  demo = await startDemo(createLogger('info', { write: () => undefined }), {
    brokerPort: 0,
    frontendPort: 0,
    dataDir,
  });
  await demo.bridge.ready;
});

test.afterAll(async () => {
  await demo.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the demo page: four chargers moving, screenshots (README pictures with npm run screenshots)', async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  const url = demo.bridge.frontend!.localUrl;
  const w = watch(page, url);
  await page.goto(url);
  for (const name of ['Demo OpenEVSE', 'Demo TechnoVE', 'Demo pulsatrix', 'Demo Quasar'])
    await expect(page.getByRole('article', { name })).toBeVisible();
  // the demo's first car arrives at the solar charger within seconds and charges from the surplus
  // within about half a minute (the other cars come later in the simulated day)
  await expect(page.getByRole('article', { name: 'Demo OpenEVSE' }).locator('.status-word')).toHaveText(
    /^charging$/,
    { timeout: 75_000 },
  );
  await page.waitForTimeout(2000);
  // the README's pictures change only on request (`npm run screenshots`): a test run leaves the tree clean
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/img' : info.outputDir;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({
    path: path.join(dir, `web-${info.project.name}.png`),
    fullPage: info.project.name !== 'phone',
  });
  w.assertClean();
});
