import type { MeterConfig } from '../config/types.js';
import type { EntityDef } from './entities.js';

/** What decides a meter's entities: the keys its type provides for its configuration. */
export interface MeterContext {
  cfg: MeterConfig;
  provides: ReadonlySet<string>;
}

/** What decides the site's entities: which inputs are configured. */
export interface SiteContext {
  hasGrid: boolean;
  hasPv: boolean;
  hasHouse: boolean;
  /** Configured site.max_current, A, or null. */
  maxCurrent: number | null;
  /** The tariff's ISO 4217 currency, or null without a tariff. */
  currency: string | null;
}

/** Placeholder unit of prices, replaced by `<currency>/kWh` of the configured tariff. */
const CURRENCY_PER_KWH = '<currency>/kWh';

const has = (key: string) => (ctx: MeterContext) => ctx.provides.has(key);

/** Meter entities, in the order their keys appear in `<base>/<id>` (docs/mqtt-api.md#meter-state). */
export const METER_ENTITIES: ReadonlyArray<EntityDef<MeterContext>> = [
  {
    key: 'power',
    label: 'Power',
    kind: 'number',
    unit: 'W',
    doc: 'active power, W (grid: + import, − export)',
    has: () => true,
    nullable: true,
    ha: { component: 'sensor', device_class: 'power', state_class: 'measurement', precision: 0 },
  },
  {
    key: 'energy_import',
    label: 'Energy imported',
    kind: 'number',
    unit: 'kWh',
    doc: 'lifetime energy imported / consumed, kWh',
    has: has('energy_import'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'energy', state_class: 'total_increasing', precision: 2 },
  },
  {
    key: 'energy_export',
    label: 'Energy exported',
    kind: 'number',
    unit: 'kWh',
    doc: 'lifetime energy exported / returned, kWh',
    has: has('energy_export'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'energy', state_class: 'total_increasing', precision: 2 },
  },
  ...(['current_l1', 'current_l2', 'current_l3'] as const).map(
    (key): EntityDef<MeterContext> => ({
      key,
      label: `Current ${key.slice(-2).toUpperCase()}`,
      kind: 'number',
      unit: 'A',
      doc: `current on ${key.slice(-2).toUpperCase()}, A`,
      has: has(key),
      nullable: true,
      ha: { component: 'sensor', device_class: 'current', state_class: 'measurement', precision: 1 },
    }),
  ),
  {
    key: 'voltage',
    label: 'Voltage',
    kind: 'number',
    unit: 'V',
    doc: 'voltage, V',
    has: has('voltage'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'voltage', state_class: 'measurement', precision: 0 },
  },
  {
    key: 'last_seen',
    label: 'Last seen',
    kind: 'timestamp',
    doc: 'time of the last reading, ISO 8601',
    has: () => true,
    nullable: true,
    ha: { component: 'sensor', device_class: 'timestamp', entity_category: 'diagnostic' },
  },
];

const siteFigure = (
  key: string,
  label: string,
  doc: string,
  when: (c: SiteContext) => boolean,
): EntityDef<SiteContext> => ({
  key,
  label,
  kind: 'number',
  unit: 'W',
  doc,
  has: when,
  nullable: true,
  ha: { component: 'sensor', device_class: 'power', state_class: 'measurement', precision: 0 },
});

/** Site entities (`<base>/site`, docs/mqtt-api.md#site and docs/engine.md#site-figures). */
export const SITE_ENTITIES: ReadonlyArray<EntityDef<SiteContext>> = [
  siteFigure('grid_power', 'Grid power', 'grid meter, W: + import, − export', (c) => c.hasGrid),
  siteFigure('pv_power', 'PV power', 'sum of the pv meters, W', (c) => c.hasPv),
  siteFigure(
    'house_power',
    'House power',
    'house meter, else grid + pv − chargers, W',
    (c) => c.hasHouse || c.hasGrid,
  ),
  siteFigure(
    'surplus_power',
    'Surplus power',
    'what solar charging may use: −grid − residual_power + chargers in solar modes, W',
    (c) => c.hasGrid || (c.hasPv && c.hasHouse),
  ),
  {
    key: 'max_current',
    label: 'Maximum current',
    kind: 'number',
    unit: 'A',
    doc: 'per-phase limit at the grid connection in force, A (writable: only lower than configured; null restores)',
    has: (c) => c.maxCurrent !== null,
    writable: () => true,
    nullable: true,
    range: (c) => ({ min: 1, max: c.maxCurrent ?? 1, step: 1 }),
    homieDatatype: () => 'integer',
    ha: { component: 'sensor', writable: 'number', device_class: 'current', state_class: 'measurement' },
  },
  {
    key: 'residual_power',
    label: 'Residual power',
    kind: 'number',
    unit: 'W',
    doc: 'W the solar control leaves exported (writable)',
    has: (c) => c.hasGrid || (c.hasPv && c.hasHouse),
    writable: () => true,
    range: () => ({ min: -10000, max: 10000, step: 1 }),
    homieDatatype: () => 'integer',
    ha: { component: 'sensor', writable: 'number', device_class: 'power', state_class: 'measurement' },
  },
  {
    key: 'tariff_price',
    label: 'Tariff price',
    kind: 'number',
    // resolved per configuration by siteEntities(); HA's monetary class wants a bare currency
    // unit, so a price per kWh is a plain measurement (HA allows `monetary` only for amounts of money)
    unit: CURRENCY_PER_KWH,
    doc: 'price in force now, <currency>/kWh (topic price list while it covers now, else zones / default_price)',
    has: (c) => c.currency !== null,
    ha: { component: 'sensor', state_class: 'measurement', icon: 'mdi:cash', precision: 4 },
  },
];

/** The site's entities for `ctx`, with the tariff currency filled into units. */
export function siteEntities(ctx: SiteContext): Array<EntityDef<SiteContext>> {
  return SITE_ENTITIES.filter((e) => e.has(ctx)).map((e) =>
    e.unit === CURRENCY_PER_KWH ? { ...e, unit: `${ctx.currency}/kWh` } : e,
  );
}
