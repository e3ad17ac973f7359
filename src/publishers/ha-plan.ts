/** Home Assistant entities of a charger's smart-charging plan, read from `<base>/<id>/plan`. */
import type { HaComponent } from '../core/entities.js';
import { MAX_POLICY_ENERGY } from '../core/smart-policy.js';
import { CONSIDERATIONS, PLAN_STATES } from '../engine/smart-types.js';

/** The deadline text's pattern: "HH:MM", or empty while the charger has no policy. */
export const DEADLINE_PATTERN = '^(\\d{2}:\\d{2})?$';

/**
 * The smart-charging plan's entities (docs/mqtt-api.md): state, one binary_sensor per consideration,
 * next start, estimated cost, and the policy (deadline text, energy numbers) written as
 * `{"smart_charging": {…}}` on `<base>/<id>/set`.
 */
export function planEntities(
  base: string,
  id: string,
  cur: string | null,
): Array<{ component: HaComponent; key: string; config: Record<string, unknown> }> {
  const stateTopic = `${base}/${id}/plan`;
  const set = `${base}/${id}/set`;
  const out: Array<{ component: HaComponent; key: string; config: Record<string, unknown> }> = [
    {
      component: 'sensor',
      key: 'plan_state',
      config: {
        name: 'Plan state',
        state_topic: stateTopic,
        value_template: '{{ value_json.state }}',
        device_class: 'enum',
        options: [...PLAN_STATES],
      },
    },
    ...CONSIDERATIONS.map((k) => ({
      component: 'binary_sensor' as const,
      key: k,
      config: {
        name: CONSIDERATION_LABELS[k],
        state_topic: stateTopic,
        value_template: `{{ 'ON' if value_json.considerations.${k} else 'OFF' }}`,
        entity_category: 'diagnostic',
      },
    })),
    {
      component: 'sensor',
      key: 'next_start',
      config: {
        name: 'Next start',
        state_topic: stateTopic,
        value_template: '{{ value_json.next_start }}',
        device_class: 'timestamp',
      },
    },
    {
      component: 'text',
      key: 'deadline',
      config: {
        name: 'Deadline',
        state_topic: stateTopic,
        // no policy (`policy: null`): an empty text, not None; HA's MQTT text keeps the rendered
        // string as its state and rejects one that breaks pattern or length, so '' must be allowed
        value_template: `{{ value_json.policy.deadline if value_json.policy else '' }}`,
        command_topic: set,
        command_template: '{"smart_charging":{"deadline":"{{ value }}"}}',
        pattern: DEADLINE_PATTERN,
        min: 0,
        max: 5,
        entity_category: 'config',
      },
    },
    ...(['energy', 'minimum_energy'] as const).map((k) => ({
      component: 'number' as const,
      key: k,
      config: {
        name: k === 'energy' ? 'Energy to add' : 'Minimum energy',
        state_topic: stateTopic,
        value_template: `{{ value_json.policy.${k} if value_json.policy else None }}`,
        command_topic: set,
        command_template: `{"smart_charging":{"${k}":{{ value }}}}`,
        min: 0,
        max: MAX_POLICY_ENERGY,
        step: 0.5,
        mode: 'box',
        unit_of_measurement: 'kWh',
        device_class: 'energy',
        entity_category: 'config',
      },
    })),
  ];
  if (cur)
    out.push({
      component: 'sensor',
      key: 'estimated_cost',
      config: {
        name: 'Estimated cost',
        state_topic: stateTopic,
        value_template: '{{ value_json.estimated_cost }}',
        device_class: 'monetary',
        unit_of_measurement: cur,
        suggested_display_precision: 2,
      },
    });
  return out;
}

const CONSIDERATION_LABELS: Record<(typeof CONSIDERATIONS)[number], string> = {
  is_plugged_in: 'Plan: plugged in',
  is_reachable: 'Plan: reachable',
  has_tariff: 'Plan: has tariff',
  has_time: 'Plan: has time',
  needs_charge: 'Plan: needs charge',
  has_fresh_inputs: 'Plan: fresh inputs',
};
