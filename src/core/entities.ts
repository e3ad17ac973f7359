import type { ChargerConfig } from '../config/types.js';
import type { ChargerCapabilities } from '../drivers/types.js';
import { type Mode, STATUSES } from './model.js';

/**
 * The one entity catalog (docs/architecture.md): every canonical key declared once with type, unit, range,
 * writability, the capability it needs, and its Home Assistant and Homie shape. The JSON, HA and
 * Homie publishers, `/set` validation and the README table all read it.
 */

export type ValueKind = 'number' | 'boolean' | 'enum' | 'string' | 'timestamp';
export type HaComponent = 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'text';

/** Home Assistant shape of an entity. `component` applies when it is read-only, `writable` otherwise. */
export interface HaShape {
  component: HaComponent;
  writable?: HaComponent;
  device_class?: string;
  state_class?: 'measurement' | 'total' | 'total_increasing';
  entity_category?: 'diagnostic' | 'config';
  icon?: string;
  /** Display precision hint. */
  precision?: number;
}

/** Numeric range of a writable number, in its unit. */
export interface Range {
  min: number;
  max: number;
  step: number;
}

/** One entity of the catalog, generic in the context that decides whether a device has it. */
export interface EntityDef<C> {
  key: string;
  /** Short label (HA `name`, Homie `$name`), never prefixed by the device name. */
  label: string;
  kind: ValueKind;
  unit?: string;
  /** One-line meaning with the unit (README table). */
  doc: string;
  /** Whether the device has this entity. */
  has(ctx: C): boolean;
  /** Whether the key is writable on this device. */
  writable?(ctx: C): boolean;
  /** Options of an enum. */
  options?(ctx: C): readonly string[];
  /** Range of a writable number. */
  range?(ctx: C): Range;
  /** Homie datatype override (default from kind: float / boolean / enum / string / datetime). */
  homieDatatype?(ctx: C): 'integer' | 'float';
  /** Value may be null (published as JSON null, empty Homie message). */
  nullable?: boolean;
  ha: HaShape;
}

/** What decides a charger's entities: its capabilities, configuration and available modes. */
export interface ChargerContext {
  caps: ChargerCapabilities;
  cfg: ChargerConfig;
  modes: readonly Mode[];
}

const always = () => true;
const provided = (key: string) => (ctx: ChargerContext) => ctx.caps.provides.has(key);
const intAt1A = (ctx: ChargerContext) =>
  (ctx.caps.resolution >= 1 ? 'integer' : 'float') as 'integer' | 'float';

/** Keys of the charger state that every charger has, whatever its type. */
export const CORE_CHARGER_KEYS = [
  'status',
  'vehicle_connected',
  'charging',
  'enabled',
  'charge_current',
  'min_current',
  'max_current',
  'mode',
  'failsafe',
  'error',
  'last_seen',
] as const;

/** Charger entities, in the order their keys appear in `<base>/<id>`. */
export const CHARGER_ENTITIES: ReadonlyArray<EntityDef<ChargerContext>> = [
  {
    key: 'status',
    label: 'Status',
    kind: 'enum',
    doc: `${STATUSES.join(' / ')} (derived, first match wins)`,
    has: always,
    options: () => STATUSES,
    ha: { component: 'sensor', device_class: 'enum', icon: 'mdi:ev-station' },
  },
  {
    key: 'vehicle_connected',
    label: 'Vehicle connected',
    kind: 'boolean',
    doc: 'a vehicle is plugged in',
    has: always,
    ha: { component: 'binary_sensor', device_class: 'plug' },
  },
  {
    key: 'charging',
    label: 'Charging',
    kind: 'boolean',
    doc: 'energy is flowing',
    has: always,
    ha: { component: 'binary_sensor', device_class: 'battery_charging' },
  },
  {
    key: 'enabled',
    label: 'Charging enabled',
    kind: 'boolean',
    doc: 'charging allowed; with no vehicle, the bridge target',
    has: always,
    writable: always,
    ha: { component: 'binary_sensor', writable: 'switch', icon: 'mdi:ev-plug-type2' },
  },
  {
    key: 'charge_current',
    label: 'Charge current',
    kind: 'number',
    unit: 'A',
    doc: 'current limit in force on the device, A (negative: discharge)',
    has: always,
    writable: always,
    range: (ctx) => ({
      // bidirectional: 0 is idle; magnitudes between 0 and min_current are rejected by the set rules
      min: ctx.caps.bidirectional ? -ctx.cfg.max_discharge_current : ctx.cfg.min_current,
      max: ctx.cfg.max_current,
      step: ctx.caps.resolution,
    }),
    homieDatatype: intAt1A,
    ha: { component: 'sensor', writable: 'number', device_class: 'current', state_class: 'measurement' },
  },
  {
    key: 'min_current',
    label: 'Minimum current',
    kind: 'number',
    unit: 'A',
    doc: 'effective minimum current (configuration ∩ device), A',
    has: always,
    homieDatatype: intAt1A,
    ha: {
      component: 'sensor',
      device_class: 'current',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    },
  },
  {
    key: 'max_current',
    label: 'Maximum current',
    kind: 'number',
    unit: 'A',
    doc: 'effective maximum current (configuration ∩ device), A',
    has: always,
    homieDatatype: intAt1A,
    ha: {
      component: 'sensor',
      device_class: 'current',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    },
  },
  ...(['current', 'current_l1', 'current_l2', 'current_l3'] as const).map(
    (key): EntityDef<ChargerContext> => ({
      key,
      label: key === 'current' ? 'Current' : `Current ${key.slice(-2).toUpperCase()}`,
      kind: 'number',
      unit: 'A',
      doc:
        key === 'current'
          ? 'measured current, highest phase, A'
          : `measured current on ${key.slice(-2).toUpperCase()}, A`,
      has: provided(key),
      nullable: true,
      ha: { component: 'sensor', device_class: 'current', state_class: 'measurement', precision: 1 },
    }),
  ),
  {
    key: 'voltage',
    label: 'Voltage',
    kind: 'number',
    unit: 'V',
    doc: 'measured voltage (L1), V',
    has: provided('voltage'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'voltage', state_class: 'measurement', precision: 0 },
  },
  {
    key: 'frequency',
    label: 'Frequency',
    kind: 'number',
    unit: 'Hz',
    doc: 'grid frequency measured by the charger, Hz',
    has: provided('frequency'),
    nullable: true,
    ha: {
      component: 'sensor',
      device_class: 'frequency',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      precision: 2,
    },
  },
  {
    key: 'power',
    label: 'Power',
    kind: 'number',
    unit: 'W',
    doc: 'active power, W, negative while discharging',
    has: provided('power'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'power', state_class: 'measurement', precision: 0 },
  },
  {
    key: 'session_energy',
    label: 'Session energy',
    kind: 'number',
    unit: 'kWh',
    doc: 'energy of the current or last session, kWh',
    has: provided('session_energy'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'energy', state_class: 'total_increasing', precision: 2 },
  },
  {
    key: 'total_energy',
    label: 'Total energy',
    kind: 'number',
    unit: 'kWh',
    doc: 'lifetime energy as the device reports it, kWh',
    has: provided('total_energy'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'energy', state_class: 'total_increasing', precision: 1 },
  },
  {
    key: 'temperature',
    label: 'Temperature',
    kind: 'number',
    unit: '°C',
    doc: 'charger temperature, °C',
    has: provided('temperature'),
    nullable: true,
    ha: {
      component: 'sensor',
      device_class: 'temperature',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      precision: 1,
    },
  },
  {
    key: 'state_of_charge',
    label: 'State of charge',
    kind: 'number',
    unit: '%',
    doc: 'vehicle battery, % (null when unknown)',
    has: provided('state_of_charge'),
    nullable: true,
    ha: { component: 'sensor', device_class: 'battery', state_class: 'measurement', precision: 0 },
  },
  {
    key: 'phases',
    label: 'Phases',
    kind: 'enum',
    doc: 'phases in use: 1 or 3 (writable where the charger can switch)',
    has: provided('phases'),
    writable: (ctx) => ctx.caps.writable.has('phases'),
    options: () => ['1', '3'],
    nullable: true,
    ha: { component: 'sensor', writable: 'select', icon: 'mdi:sine-wave' },
  },
  {
    key: 'auto_charge',
    label: 'Auto charge',
    kind: 'boolean',
    doc: 'the station starts charging by itself when a vehicle is plugged in (TechnoVE)',
    has: provided('auto_charge'),
    writable: (ctx) => ctx.caps.writable.has('auto_charge'),
    ha: { component: 'binary_sensor', writable: 'switch', entity_category: 'config', icon: 'mdi:auto-mode' },
  },
  {
    key: 'sharing_mode',
    label: 'Sharing mode',
    kind: 'boolean',
    doc: 'the station is in a load-sharing group; charge_current is then set by the group (TechnoVE)',
    has: provided('sharing_mode'),
    ha: { component: 'binary_sensor', entity_category: 'diagnostic', icon: 'mdi:share-variant' },
  },
  {
    key: 'update_available',
    label: 'Firmware update',
    kind: 'boolean',
    doc: 'a firmware update is available for the station',
    has: provided('update_available'),
    ha: { component: 'binary_sensor', device_class: 'update', entity_category: 'diagnostic' },
  },
  {
    key: 'mode',
    label: 'Mode',
    kind: 'enum',
    doc: 'manual / off / fast / solar / min_solar / smart / load_follow (those this charger can use)',
    has: always,
    writable: always,
    options: (ctx) => ctx.modes,
    ha: { component: 'sensor', writable: 'select', icon: 'mdi:state-machine' },
  },
  {
    key: 'failsafe',
    label: 'Fail-safe',
    kind: 'string',
    doc: 'why a fail-safe is active (stale input), null when none',
    has: always,
    nullable: true,
    ha: { component: 'sensor', icon: 'mdi:shield-alert' },
  },
  {
    key: 'error',
    label: 'Error',
    kind: 'string',
    doc: 'device error, or why the device did not follow; null when none',
    has: always,
    nullable: true,
    ha: { component: 'sensor', entity_category: 'diagnostic', icon: 'mdi:alert-circle' },
  },
  {
    key: 'last_seen',
    label: 'Last seen',
    kind: 'timestamp',
    doc: 'time of the last successful read, ISO 8601',
    has: always,
    nullable: true,
    ha: { component: 'sensor', device_class: 'timestamp', entity_category: 'diagnostic' },
  },
];

/** Entity lookup by key. */
export const CHARGER_ENTITY: ReadonlyMap<string, EntityDef<ChargerContext>> = new Map(
  CHARGER_ENTITIES.map((e) => [e.key, e]),
);

/** The charger's entities (those it really has), in catalog order. */
export function chargerEntities(ctx: ChargerContext): Array<EntityDef<ChargerContext>> {
  return CHARGER_ENTITIES.filter((e) => e.has(ctx));
}

/** The writable keys of a charger. */
export function writableKeys<C>(entities: ReadonlyArray<EntityDef<C>>, ctx: C): string[] {
  return entities.filter((e) => e.writable?.(ctx)).map((e) => e.key);
}
