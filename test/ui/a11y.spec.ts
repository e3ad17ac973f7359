/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { publishGrid, type Site, startSite } from './site.js';
import { watch } from './watch.js';

let site: Site;

test.beforeAll(async () => {
  site = await startSite();
  site.openevse.plugIn({ evMaxCurrent: 32 });
  await publishGrid(site, -2500);
});

test.afterAll(async () => {
  await site.stop();
});

for (const route of ['#/', '#/charger/garage', '#/sessions', '#/logs', '#/bridge']) {
  test(`axe finds no serious or critical violation on ${route}`, async ({ page }) => {
    await page.goto(`${site.url}${route}`);
    await expect(page.locator('main')).not.toContainText('Connecting…');
    await page.waitForTimeout(300);
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect(bad).toEqual([]);
  });
}

test('axe finds no serious or critical violation in dark mode either (contrast)', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(site.url);
  await expect(page.getByRole('article', { name: 'Garage' })).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(bad).toEqual([]);
  await context.close();
});

test('no horizontal scroll, and every control offers a 44 px target', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  await expect(page.getByRole('article', { name: 'Garage' }).getByRole('slider')).toBeVisible();
  const width = page.viewportSize()!.width;
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  const small = await page.evaluate(() => {
    const targets = [
      ...document.querySelectorAll<HTMLElement>(
        '.seg-opt, button, [role="switch"], input[type="range"], nav a',
      ),
    ];
    return targets
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
      .map(({ el, r }) => `${el.tagName} "${el.textContent?.trim()}" ${r.width}x${r.height}`);
  });
  expect(small).toEqual([]);
  w.assertClean();
});

test('keyboard: arrows change the mode, focus is visible, Tab reaches the slider', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const carport = page.getByRole('article', { name: 'Carport' });
  const manual = carport.getByRole('radio', { name: 'manual', exact: true });
  await expect(manual).toBeChecked();
  await manual.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => site.bridge.charger('carport')!.current.mode).toBe('off');
  const outline = await page.evaluate(() => {
    const label = document.activeElement?.closest('label');
    return label ? getComputedStyle(label).outlineStyle : 'none';
  });
  expect(outline).not.toBe('none');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => site.bridge.charger('carport')!.current.mode).toBe('manual');
  // the page shows the bridge's answer and keeps the focus on the chosen mode
  await expect(manual).toBeChecked();
  await expect(manual).toBeFocused();
  // Tab moves on from the mode group to the switch, then to the slider
  await page.keyboard.press('Tab');
  await expect(carport.getByRole('switch', { name: 'Charging enabled' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(carport.getByRole('slider', { name: 'Charge current' })).toBeFocused();
  w.assertClean();
});

test('dark mode follows the system, and the toggle overrides it and is remembered', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(site.url);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const dark = (c: string) => {
    const [r, g, b] = c.match(/\d+/g)!.map(Number) as [number, number, number];
    return r + g + b < 200;
  };
  await expect.poll(async () => dark(await bg())).toBe(true);
  const toggle = page.getByRole('button', { name: 'Dark mode' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await toggle.click();
  await expect.poll(async () => dark(await bg())).toBe(false);
  await page.reload();
  await expect.poll(async () => dark(await bg())).toBe(false);
  await expect(page.getByRole('button', { name: 'Dark mode' })).toHaveAttribute('aria-pressed', 'false');
  await context.close();
});
