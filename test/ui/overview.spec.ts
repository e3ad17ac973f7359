import { expect, test } from '@playwright/test';
import { publishGrid, SECRETS, type Site, startSite } from './site.js';
import { watch } from './watch.js';

let site: Site;

test.beforeAll(async () => {
  site = await startSite();
  site.openevse.plugIn({ evMaxCurrent: 32 });
  await publishGrid(site, 1200);
});

test.afterAll(async () => {
  await site.stop();
});

test('loads clean and shows the site strip and one card per charger', async ({ page }) => {
  const w = watch(page, site.url);
  const res = await page.goto(site.url);
  expect(res?.status()).toBe(200);
  const garage = page.getByRole('article', { name: 'Garage' });
  const carport = page.getByRole('article', { name: 'Carport' });
  await expect(garage).toBeVisible();
  await expect(carport).toBeVisible();
  const strip = page.getByRole('region', { name: 'Site' });
  await expect(strip).toContainText('Grid');
  await expect(strip).toContainText('1.20 kW import');
  await expect(garage.getByRole('radiogroup', { name: 'Mode' })).toBeVisible();
  await expect(garage.getByRole('switch', { name: 'Charging enabled' })).toBeVisible();
  await expect(garage.getByRole('slider', { name: 'Charge current' })).toBeVisible();
  await expect(garage).toContainText(/connected|charging/i);
  w.assertClean();
  for (const s of Object.values(SECRETS)) expect(w.framesIn.join('\n')).not.toContain(s);
});
