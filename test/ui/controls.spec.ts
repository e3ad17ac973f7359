import { expect, test } from '@playwright/test';
import { publishGrid, SECRETS, type Site, startSite } from './site.js';
import { watch } from './watch.js';

let site: Site;

test.beforeAll(async () => {
  site = await startSite();
  site.openevse.plugIn({ evMaxCurrent: 32 });
  await publishGrid(site, 800);
});

test.afterAll(async () => {
  await site.stop();
});

/** The bridge's state of a charger, as it publishes it. */
const state = (id: string) => site.bridge.charger(id)!.current;

test('shows live updates without a reload: a car plugged in at the carport', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const carport = page.getByRole('article', { name: 'Carport' });
  await expect(carport.locator('.status-word')).toHaveText('disconnected');
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  site.pulsatrix.plugIn();
  await expect(carport.locator('.status-word')).toHaveText(/^(connected|charging)$/);
  expect(navigations).toEqual([]);
  site.pulsatrix.unplug();
  await expect(carport.locator('.status-word')).toHaveText('disconnected');
  w.assertClean();
});

test('the mode, the switch and the slider reach the charger and show the bridge answer', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const garage = page.getByRole('article', { name: 'Garage' });
  await expect(garage.getByRole('radio', { name: 'manual', exact: true })).toBeVisible();

  await garage.getByRole('radio', { name: 'fast', exact: true }).check();
  await expect(garage.getByRole('status')).toContainText('Bridge: Done');
  await expect.poll(() => site.openevse.pilot()).toBe(32);
  expect(state('garage').mode).toBe('fast');

  await garage.getByRole('radio', { name: 'manual', exact: true }).check();
  await expect.poll(() => state('garage').mode).toBe('manual');

  const slider = garage.getByRole('slider', { name: 'Charge current' });
  await expect(slider).toHaveAttribute('min', '6');
  await expect(slider).toHaveAttribute('max', '32');
  await slider.fill('10');
  await expect(garage.getByRole('status')).toContainText('charge_current 10');
  await expect.poll(() => site.openevse.pilot()).toBe(10);

  const enable = garage.getByRole('switch', { name: 'Charging enabled' });
  await enable.click();
  await expect(enable).toHaveAttribute('aria-checked', 'false');
  await expect.poll(() => site.openevse.target().props.state).toBe('disabled');
  await enable.click();
  await expect(enable).toHaveAttribute('aria-checked', 'true');
  await expect.poll(() => site.openevse.target().props.state).toBe('active');

  // pulsatrix: 0.1 A steps
  const carport = page.getByRole('article', { name: 'Carport' });
  const cslider = carport.getByRole('slider', { name: 'Charge current' });
  await expect(cslider).toHaveAttribute('step', '0.1');
  await cslider.fill('10.5');
  await expect.poll(() => site.pulsatrix.commands.map((c) => c.frame).join('|')).toContain('10.5');
  w.assertClean();
  for (const s of Object.values(SECRETS)) expect(w.framesIn.join('\n')).not.toContain(s);
});

test('a refused command shows the bridge error verbatim and the mode stays as it is', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const carport = page.getByRole('article', { name: 'Carport' });
  // the carport has no smart_charging policy: the bridge refuses smart
  await carport.getByRole('radio', { name: 'smart', exact: true }).click();
  await expect(carport.getByRole('status')).toHaveText(
    'Refused: mode: smart needs a policy; send smart_charging {"deadline":"HH:MM","energy":kWh} with it, or configure chargers[].smart_charging',
  );
  await expect(carport.getByRole('radio', { name: 'manual', exact: true })).toBeChecked();
  expect(state('carport').mode).toBe('manual');
  w.assertClean();
});

test('smart mode shows the plan: state in words, price timeline, costs, Charge now', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const garage = page.getByRole('article', { name: 'Garage' });
  await garage.getByRole('radio', { name: 'smart', exact: true }).check();
  const plan = garage.getByRole('region', { name: 'Smart charging plan' });
  await expect(plan).toBeVisible();
  await expect(plan).toContainText(/Plan running|Considering/);
  await expect(plan.getByRole('img')).toHaveAttribute('aria-label', /deadline 07:00/);
  await expect(plan).toContainText('Estimated cost');
  await plan.getByRole('button', { name: 'Charge now' }).click();
  await expect(plan).toContainText('Charging now (plan overridden)');
  await garage.getByRole('radio', { name: 'manual', exact: true }).check();
  await expect.poll(() => state('garage').mode).toBe('manual');
  w.assertClean();
});

test('two tabs agree: a change made in one shows in the other', async ({ context }) => {
  const a = await context.newPage();
  const b = await context.newPage();
  const wa = watch(a, site.url);
  const wb = watch(b, site.url);
  await a.goto(site.url);
  await b.goto(site.url);
  const target = state('garage').charge_current === 14 ? '15' : '14';
  await a
    .getByRole('article', { name: 'Garage' })
    .getByRole('slider', { name: 'Charge current' })
    .fill(target);
  await expect(
    b.getByRole('article', { name: 'Garage' }).getByRole('slider', { name: 'Charge current' }),
  ).toHaveValue(target);
  // the answer goes to the asking tab only
  await expect(a.getByRole('article', { name: 'Garage' }).getByRole('status')).toContainText('Bridge: Done');
  await expect(b.getByRole('article', { name: 'Garage' }).getByRole('status')).toHaveText('');
  wa.assertClean();
  wb.assertClean();
});

test('an offline charger is greyed and its controls disabled, then usable again', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  const carport = page.getByRole('article', { name: 'Carport' });
  await expect(carport.getByRole('switch', { name: 'Charging enabled' })).toBeEnabled();
  await site.pulsatrix.stop();
  await expect(carport).toHaveClass(/offline/, { timeout: 15_000 });
  await expect(carport).toContainText('Offline');
  await expect(carport.getByRole('switch', { name: 'Charging enabled' })).toBeDisabled();
  await expect(carport.getByRole('radio', { name: 'fast', exact: true })).toBeDisabled();
  await site.pulsatrix.start();
  await expect(carport).not.toHaveClass(/offline/, { timeout: 20_000 });
  await expect(carport.getByRole('switch', { name: 'Charging enabled' })).toBeEnabled();
  w.assertClean();
});

test('a bridge restart: a banner while it is away, then the same cards', async ({ page }) => {
  const w = watch(page, site.url);
  await page.goto(site.url);
  await expect(page.getByRole('article')).toHaveCount(2);
  const restarted = site.restart({ downMs: 2500 });
  await expect(page.getByText('Disconnected from the bridge')).toBeVisible();
  await restarted;
  await expect(page.getByText('Disconnected from the bridge')).toBeHidden({ timeout: 15_000 });
  await expect(page.getByRole('article')).toHaveCount(2);
  await expect(
    page.getByRole('article', { name: 'Garage' }).getByRole('switch', { name: 'Charging enabled' }),
  ).toBeEnabled();
  // while the bridge was away the socket and auth requests failed; nothing else
  w.assertClean({
    allow: [/WebSocket connection to .* failed/, /ERR_CONNECTION_REFUSED/, /Failed to load resource/],
  });
});
