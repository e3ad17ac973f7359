/**
 * The Homie node `session` of a charger (docs/sessions.md): energy (kWh), cost (tariff currency),
 * solar-share (%) and state of its charging session, from `<base>/<id>/session`; null values are
 * zero-length payloads.
 */

/** One property of the session node. */
export interface SessionProperty {
  id: string;
  attrs: Record<string, string>;
  /** The value as a Homie payload ('' = none). */
  value(session: Readonly<Record<string, unknown>>): string;
}

const text = (v: unknown): string =>
  typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v : '';

/** The session node's properties; `currency` null without a tariff. */
export function sessionProperties(currency: string | null): SessionProperty[] {
  return [
    {
      id: 'energy',
      attrs: { $name: 'Session energy', $datatype: 'float', $unit: 'kWh' },
      value: (s) => text(s.energy),
    },
    {
      id: 'cost',
      attrs: { $name: 'Session cost', $datatype: 'float', ...(currency ? { $unit: currency } : {}) },
      value: (s) => text(s.cost),
    },
    {
      id: 'solar-share',
      attrs: { $name: 'Session solar share', $datatype: 'float', $unit: '%' },
      value: (s) => (typeof s.solar_share === 'number' ? String(Math.round(s.solar_share * 1000) / 10) : ''),
    },
    {
      id: 'state',
      attrs: { $name: 'Session state', $datatype: 'enum', $format: 'active,ended' },
      value: (s) => text(s.state),
    },
  ];
}
