import { expect, test } from '@playwright/test';
import { publishGrid, type Site, startSite } from './site.js';
import { watch } from './watch.js';

let site: Site;

test.beforeAll(async () => {
  site = await startSite();
  site.openevse.plugIn({ evMaxCurrent: 32 });
  await publishGrid(site, 500);
});

test.afterAll(async () => {
  await site.stop();
});

test('logs: a garbage meter payload shows as a warning, and is still listed after a reload', async ({
  page,
}) => {
  const w = watch(page, site.url);
  await page.goto(`${site.url}#/logs`);
  await expect(page.getByRole('heading', { name: 'Logs' })).toBeVisible();
  await new Promise<void>((r) => site.mqtt.publish('test/grid', 'garbage{', { qos: 1 }, () => r()));
  const line = page.getByRole('listitem').filter({ hasText: 'grid' }).first();
  await expect(line).toContainText('Warning', { timeout: 2_000 });
  await page.reload();
  await expect(page.getByRole('listitem').filter({ hasText: 'grid' }).first()).toBeVisible();
  w.assertClean();
});

test('the charger page lists every entity, sets a writable one and shows the raw JSON', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(`${site.url}#/charger/garage`);
  await expect(page.getByRole('heading', { name: 'Garage' })).toBeVisible();
  await expect(page.getByRole('rowheader', { name: /Status/ })).toBeVisible();
  const input = page.getByRole('spinbutton', { name: 'Charge current' });
  await input.fill('12');
  await input.press('Enter');
  await expect(page.getByRole('status')).toHaveText('Bridge: Done');
  await expect.poll(() => site.openevse.pilot()).toBe(12);
  await expect(page.locator('pre').first()).toContainText('"charge_current": 12');
  w.assertClean();
});

test('the bridge page runs a health check and a refresh', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(`${site.url}#/bridge`);
  await page.getByRole('button', { name: 'Health check' }).click();
  await expect(page.getByText('ok {"healthy":true}')).toBeVisible();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByText('ok {"id":"garage"}')).toBeVisible();
  await expect(page.locator('pre')).toContainText('"version"');
  w.assertClean();
});

test('the sessions page asks the bridge and shows its list, or its error verbatim', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(`${site.url}#/sessions`);
  await expect(page.getByRole('heading', { name: 'Sessions' })).toBeVisible();
  const answer = page
    .locator('table')
    .or(page.getByText('No session in this selection.'))
    .or(page.getByText(/^error: /));
  await expect(answer.first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Download CSV' })).toBeEnabled();
  w.assertClean();
});
