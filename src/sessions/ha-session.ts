/** Home Assistant entities of a charger's charging session (docs/sessions.md), read from `<base>/<id>/session`. */
import type { HaComponent } from '../core/entities.js';

/**
 * `session_cost` (monetary, the tariff currency, state_class total; only with a tariff) and
 * `session_solar_share` (%, measurement; only with a grid meter). Both render `None` (unknown in
 * HA) while the value is null.
 */
export function sessionEntities(
  base: string,
  id: string,
  currency: string | null,
  hasGrid: boolean,
): Array<{ component: HaComponent; key: string; config: Record<string, unknown> }> {
  const stateTopic = `${base}/${id}/session`;
  const out: Array<{ component: HaComponent; key: string; config: Record<string, unknown> }> = [];
  if (currency)
    out.push({
      component: 'sensor',
      key: 'session_cost',
      config: {
        name: 'Session cost',
        state_topic: stateTopic,
        value_template: '{{ value_json.cost }}',
        device_class: 'monetary',
        unit_of_measurement: currency,
        state_class: 'total',
        suggested_display_precision: 2,
      },
    });
  if (hasGrid)
    out.push({
      component: 'sensor',
      key: 'session_solar_share',
      config: {
        name: 'Session solar share',
        state_topic: stateTopic,
        value_template:
          "{{ (value_json.solar_share * 100) | round(1) if value_json.solar_share is not none else 'None' }}",
        unit_of_measurement: '%',
        state_class: 'measurement',
        icon: 'mdi:solar-power',
        suggested_display_precision: 0,
      },
    });
  return out;
}
