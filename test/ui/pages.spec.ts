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

test.describe('what the bridge says about a charger', () => {
  let quick: Site;
  test.beforeAll(async () => {
    quick = await startSite({ gridMaxAge: 2 });
    quick.openevse.plugIn({ evMaxCurrent: 32 });
  });
  test.afterAll(async () => {
    await quick.stop();
  });

  test('a stale grid meter shows its age in the site strip and the fail-safe on a solar card', async ({
    page,
  }) => {
    const w = watch(page, quick.url);
    await page.goto(quick.url);
    const garage = page.getByRole('article', { name: 'Garage' });
    await garage.getByRole('radio', { name: 'solar', exact: true }).check();
    await publishGrid(quick, -3000);
    await expect(page.getByRole('region', { name: 'Site' })).toContainText('3.00 kW export');
    await expect(page.getByRole('region', { name: 'Site' })).toContainText(/stale \(\d+ s old\)/, {
      timeout: 20_000,
    });
    await expect(garage).toContainText('Fail-safe: grid meter stale', { timeout: 20_000 });
    await garage.getByRole('radio', { name: 'manual', exact: true }).check();
    w.assertClean();
  });

  test('a change made at the charger itself is shown as such', async ({ page }) => {
    const w = watch(page, quick.url);
    await page.goto(quick.url);
    const garage = page.getByRole('article', { name: 'Garage' });
    await garage.getByRole('slider', { name: 'Charge current' }).fill('16');
    await expect.poll(() => quick.openevse.pilot()).toBe(16);
    quick.openevse.setOverride({ charge_current: 8 });
    await expect(garage).toContainText('Changed at the device', { timeout: 20_000 });
    await expect(garage.getByRole('radio', { name: 'manual', exact: true })).toBeChecked();
    quick.openevse.clearOverride();
    w.assertClean();
  });
});
