import { money, num, power } from './format';
import type { Obj, State } from './store';

/** A figure of the strip, or the age of its stale meter instead of a number. */
function figure(
  site: Obj,
  value: unknown,
  role: string,
  info: Obj | null,
  fmt: (v: unknown) => string,
): string {
  const meters = ((info?.config as Obj | undefined)?.meters ?? []) as Array<{ id: string; role: string }>;
  const m = meters.find((x) => x.role === role);
  const reading = m ? ((site.meters as Obj | undefined)?.[m.id] as Obj | undefined) : undefined;
  if (reading?.stale === true)
    return typeof reading.age === 'number' ? `stale (${Math.round(reading.age)} s old)` : 'stale';
  return fmt(value);
}

/** Grid as import or export in words, so the sign is never left to guess. */
function grid(v: unknown): string {
  if (typeof v !== 'number') return '—';
  if (v > 0) return `${power(v)} import`;
  if (v < 0) return `${power(-v)} export`;
  return '0 W';
}

/** The site strip: grid, PV, house, chargers, surplus and the price now (a region named "Site"). */
export function SiteStrip({ s }: { s: State }) {
  const site = s.states.site;
  const chargers = s.devices.filter((d) => d.kind === 'charger');
  const total = chargers.reduce((sum, d) => {
    const p = s.states[d.id]?.power;
    return sum + (typeof p === 'number' ? p : 0);
  }, 0);
  const currency = ((s.info?.config as Obj | undefined)?.tariff as Obj | undefined)?.currency;
  return (
    <section class="site" aria-label="Site">
      <h2 class="visually-hidden">Site</h2>
      <dl class="figures">
        {site && 'grid_power' in site && (
          <div>
            <dt>Grid</dt>
            <dd>{figure(site, site.grid_power, 'grid', s.info, grid)}</dd>
          </div>
        )}
        {site && 'pv_power' in site && (
          <div>
            <dt>Solar</dt>
            <dd>{figure(site, site.pv_power, 'pv', s.info, power)}</dd>
          </div>
        )}
        {site && 'house_power' in site && (
          <div>
            <dt>House</dt>
            <dd>{figure(site, site.house_power, 'house', s.info, power)}</dd>
          </div>
        )}
        <div>
          <dt>Chargers</dt>
          <dd>{power(total)}</dd>
        </div>
        {site && 'surplus_power' in site && (
          <div>
            <dt>Surplus</dt>
            <dd>{power(site.surplus_power)}</dd>
          </div>
        )}
        {site && 'tariff_price' in site && (
          <div>
            <dt>Price now</dt>
            <dd>
              {typeof site.tariff_price === 'number'
                ? `${money(site.tariff_price, currency)}/kWh`
                : num(null, '')}
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}
