import { readFileSync } from 'node:fs';
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

/** The bridge's own answer to a sessions request (what the page must show). */
async function askBridge(body: Record<string, unknown> = {}): Promise<{ sessions: Rec[]; totals: Rec }> {
  const r = await site.bridge.sessions.request(body);
  expect(r.status).toBe('ok');
  return r.data as { sessions: Rec[]; totals: Rec };
}
type Rec = Record<string, unknown>;
const kwh = (v: unknown) => `${(v as number).toFixed(2)} kWh`;
const eur = (v: unknown) => `€${(v as number).toFixed(2)}`;
const CSV_HEADER =
  'id,charger,start,end,energy,discharged_energy,solar_energy,cost,currency,max_power,duration,charging_time,modes';

test('a real session: the card shows it, the sessions page lists it with totals, filters it and downloads it as CSV', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const w = watch(page, site.url);
  await page.goto(site.url);
  const carport = page.getByRole('article', { name: 'Carport' });
  // a car at the carport charges a while (10 simulated minutes at once) and leaves
  site.pulsatrix.plugIn({ evMaxCurrent: 16 });
  await expect(carport).toContainText(/This session: \d+\.\d\d kWh/, { timeout: 20_000 });
  const open = async () => (await askBridge({ charger: 'carport' })).sessions[0] ?? {};
  await expect.poll(async () => (await open()).energy, { timeout: 20_000 }).toBeGreaterThan(0);
  site.pulsatrix.tick(600_000);
  await expect.poll(async () => (await open()).energy, { timeout: 20_000 }).toBeGreaterThan(1);
  site.pulsatrix.unplug();
  await expect.poll(async () => (await open()).state, { timeout: 20_000 }).toBe('ended');
  const rec = await open();
  const share = typeof rec.solar_share === 'number' ? ` · ${Math.round(rec.solar_share * 100)} % solar` : '';
  await expect(carport).toContainText(`Last session: ${kwh(rec.energy)}${share} · ${eur(rec.cost)}`);

  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByRole('heading', { name: 'Sessions' })).toBeVisible();
  const rows = page.locator('tbody tr');
  const row = page.locator(`tr[data-id="${rec.id}"]`);
  await expect(row).toContainText('Carport');
  await expect(row).toContainText(kwh(rec.energy));
  await expect(row).toContainText(eur(rec.cost));
  await expect(row).toContainText('ended');
  // every session, the garage's active one too, newest first by start
  const all = await askBridge();
  expect(all.sessions.some((x) => x.charger === 'garage' && x.state === 'active')).toBe(true);
  await expect(rows).toHaveCount(all.sessions.length);
  await expect(page.locator('.totals')).toContainText(`${all.totals.count} session`);
  await expect(rows.first()).toHaveAttribute('data-id', String(all.sessions[0]!.id));

  // the charger filter narrows the list and the totals to the carport
  await page.getByLabel('Charger').selectOption({ label: 'Carport' });
  const mine = await askBridge({ charger: 'carport' });
  await expect(rows).toHaveCount(mine.sessions.length);
  for (const cell of await rows.locator('td:nth-child(2)').allTextContents()) expect(cell).toBe('Carport');
  await expect(page.locator('.totals')).toContainText(
    `${mine.totals.count} session${mine.totals.count === 1 ? '' : 's'} · ${kwh(mine.totals.energy)} · solar ${kwh(mine.totals.solar_energy)} · cost ${eur(mine.totals.cost)}`,
  );

  // the month filter: the session's own month lists it, another month none
  await page.getByLabel('Month').fill(String(rec.start).slice(0, 7));
  await expect(row).toBeVisible();
  await page.getByLabel('Month').fill('2020-01');
  await expect(page.getByText('No session in this selection.')).toBeVisible();
  await page.getByLabel('Month').fill('');
  await expect(row).toBeVisible();

  // Download CSV: the filtered selection as a file, with the header line
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(file.suggestedFilename()).toBe('sessions-carport.csv');
  const csv = readFileSync((await file.path())!, 'utf8');
  const lines = csv.split('\n');
  expect(lines[0]).toBe(CSV_HEADER);
  expect(
    lines.filter((l) => l.startsWith(`${rec.id},carport,${rec.start},${rec.end},${rec.energy},`)),
  ).toHaveLength(1);
  expect(csv).not.toContain('garage');
  expect(lines).toHaveLength(mine.sessions.length + 2);
  // the list is still there after the download
  await expect(row).toBeVisible();
  w.assertClean();
});

test("the sessions page shows the bridge's error verbatim", async ({ page }) => {
  const w = watch(page, site.url);
  // the page's requests pass through with a limit this bridge refuses (as from a newer page)
  await page.routeWebSocket(/\/api$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const f = JSON.parse(String(m)) as { topic: string; payload: Rec };
      if (f.topic === 'bridge/request/sessions') f.payload.limit = 20_000;
      server.send(JSON.stringify(f));
    });
  });
  const refused = await site.bridge.sessions.request({ limit: 20_000 });
  expect(refused.status).toBe('error');
  await page.goto(`${site.url}#/sessions`);
  await expect(page.getByRole('status')).toHaveText(`error: ${refused.error}`);
  await expect(page.locator('table')).toHaveCount(0);
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
