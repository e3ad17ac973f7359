import { schemaDefaults } from '../config/defaults.js';
import type { ChargerConfig, ChargerType } from '../config/types.js';
import { CHARGER_ENTITIES, type ChargerContext, type EntityDef } from '../core/entities.js';
import { MODES } from '../core/model.js';
import { CHARGER_TYPE_NAMES, chargerMeta } from '../drivers/meta.js';
import { homieDatatype } from '../publishers/homie.js';

/** A charger configuration good enough to evaluate the catalog for `type` (3 phases wired, discharge allowed). */
function sampleConfig(type: ChargerType): ChargerConfig {
  const meta = chargerMeta(type);
  return {
    ...schemaDefaults(meta.options),
    id: 'x',
    name: 'x',
    type,
    host: 'h',
    port: meta.defaultPort ?? 0,
    poll_interval: 5,
    min_current: meta.minCurrentFloor,
    max_current: 32,
    max_discharge_current: meta.bidirectional ? 16 : 0,
    min_state_of_charge: 20,
    phases: 3,
    voltage: 230,
    mode: 'manual',
    on_exit: 'release',
  };
}

function context(type: ChargerType): ChargerContext {
  const cfg = sampleConfig(type);
  return { cfg, caps: chargerMeta(type).capabilities(cfg), modes: MODES };
}

const short = (type: string) => chargerMeta(type).shortName;

function typeCell(e: EntityDef<ChargerContext>): string {
  const types = CHARGER_TYPE_NAMES.filter((t) => e.has(context(t)));
  if (types.length === CHARGER_TYPE_NAMES.length) return 'all';
  return types.map(short).join(', ');
}

function writableCell(e: EntityDef<ChargerContext>): string {
  const types = CHARGER_TYPE_NAMES.filter((t) => e.has(context(t)) && e.writable?.(context(t)));
  if (types.length === 0) return '';
  const all = CHARGER_TYPE_NAMES.filter((t) => e.has(context(t)));
  return types.length === all.length ? 'yes' : `yes (${types.map(short).join(', ')})`;
}

/** The charger entity table of the README, generated from the catalog. */
export function chargerEntityTable(): string {
  const rows = CHARGER_ENTITIES.map((e) => {
    const ctx = context(CHARGER_TYPE_NAMES.find((t) => e.has(context(t))) ?? 'openevse');
    const writable = e.writable?.(ctx) === true;
    const ha = writable && e.ha.writable ? `${e.ha.component} / ${e.ha.writable}` : e.ha.component;
    const cls = e.ha.device_class ? ` (${e.ha.device_class})` : '';
    return `| \`${e.key}\` | ${e.kind}${e.unit ? `, ${e.unit}` : ''} | ${writableCell(e)} | ${typeCell(e)} | ${ha}${cls} | ${homieDatatype(e, ctx)} | ${e.doc} |`;
  });
  return [
    '| key | type, unit | writable | chargers | Home Assistant | Homie | meaning |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in `doc`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} … ${end} section`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

/** Every generated README section, by name. */
export function generatedSections(): Record<string, string> {
  return { 'charger-entities': chargerEntityTable() };
}
