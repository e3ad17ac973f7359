import { ocppMeta } from './ocpp/meta.js';
import { openevseMeta } from './openevse/meta.js';
import { pulsatrixMeta } from './pulsatrix/meta.js';
import { technoveMeta } from './technove/meta.js';
import type { ChargerOption, ChargerTypeMeta } from './types.js';
import { quasarMeta } from './wallbox-quasar/meta.js';

/** Static facts of every charger type, by configuration `type` (one line per type). */
export const CHARGER_TYPES: Readonly<Record<string, ChargerTypeMeta>> = {
  openevse: openevseMeta,
  technove: technoveMeta,
  pulsatrix: pulsatrixMeta,
  'wallbox-quasar': quasarMeta,
  ocpp: ocppMeta,
};

export const CHARGER_TYPE_NAMES = Object.keys(CHARGER_TYPES);

/** The facts of a type known to be valid (the configuration checked it). */
export function chargerMeta(type: string): ChargerTypeMeta {
  const meta = CHARGER_TYPES[type];
  if (!meta) throw new Error(`unknown charger type ${JSON.stringify(type)}`);
  return meta;
}

/** The top-level sections the types add (`ocpp:`), by name. */
export function chargerTypeSections(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const meta of Object.values(CHARGER_TYPES))
    if (meta.section) out[meta.section.name] = meta.section.schema;
  return out;
}

/**
 * Every option the types declare, merged by key: one schema entry per key, its doc naming the
 * types (`password` is an HTTP password for some, a WebSocket password for others).
 */
export function chargerTypeOptions(): Record<string, ChargerOption> {
  const out: Record<string, ChargerOption> = {};
  for (const meta of Object.values(CHARGER_TYPES)) {
    for (const [key, opt] of Object.entries(meta.options)) {
      const seen = out[key];
      if (!seen) out[key] = { ...opt, doc: `${opt.doc} (${meta.type})` };
      else if (seen.default !== opt.default)
        throw new Error(`charger option ${key}: ${meta.type} declares another default than an earlier type`);
      else
        out[key] = {
          ...seen,
          doc: `${seen.doc}; ${opt.doc} (${meta.type})`,
          sensitive: seen.sensitive === true || opt.sensitive === true,
        };
    }
  }
  return out;
}
