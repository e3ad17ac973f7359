/**
 * The Homie node `plan` of a charger that can run smart plans: the plan's state, next start,
 * costs and considerations from `<base>/<id>/plan`, and the policy (deadline, energy,
 * minimum energy) settable as `…/plan/<property>/set`, which becomes `{"smart_charging": {…}}`.
 */
import { MAX_POLICY_ENERGY } from '../core/smart-policy.js';
import { CONSIDERATIONS, PLAN_STATES } from '../engine/smart-types.js';

/** One property of the plan node. */
export interface PlanProperty {
  id: string;
  attrs: Record<string, string>;
  /** The value as a Homie payload ('' = none). */
  value(plan: Readonly<Record<string, unknown>>): string;
  /** The `smart_charging` patch a `/set` payload asks for (settable properties only). */
  patch?(payload: string): Record<string, unknown>;
}

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'number' && !Number.isFinite(v) ? '' : String(v);
const policyOf = (plan: Readonly<Record<string, unknown>>) => (plan.policy ?? {}) as Record<string, unknown>;
const kWh = (payload: string): unknown => {
  const n = Number(payload.trim());
  return payload.trim() === '' || !Number.isFinite(n) ? payload : n;
};

/** The plan node's properties; `currency` null without a tariff (no cost properties). */
export function planProperties(currency: string | null): PlanProperty[] {
  const props: PlanProperty[] = [
    {
      id: 'state',
      attrs: { $name: 'Plan state', $datatype: 'enum', $format: PLAN_STATES.join(',') },
      value: (p) => text(p.state),
    },
    {
      id: 'next-start',
      attrs: { $name: 'Next start', $datatype: 'datetime' },
      value: (p) => text(p.next_start),
    },
    {
      id: 'charged-energy',
      attrs: { $name: 'Charged energy', $datatype: 'float', $unit: 'kWh' },
      value: (p) => text(p.charged_energy),
    },
    {
      id: 'deadline',
      attrs: { $name: 'Deadline', $datatype: 'string', $settable: 'true' },
      value: (p) => text(policyOf(p).deadline),
      patch: (payload) => ({ deadline: payload.trim() }),
    },
    ...(['energy', 'minimum_energy'] as const).map((k) => ({
      id: k.replace('_', '-'),
      attrs: {
        $name: k === 'energy' ? 'Energy to add' : 'Minimum energy',
        $datatype: 'float',
        $unit: 'kWh',
        $format: `0:${MAX_POLICY_ENERGY}`,
        $settable: 'true',
      },
      value: (p: Readonly<Record<string, unknown>>) => text(policyOf(p)[k]),
      patch: (payload: string) => ({ [k]: kWh(payload) }),
    })),
    ...CONSIDERATIONS.map((k) => ({
      id: k.replaceAll('_', '-'),
      attrs: { $name: k.replaceAll('_', ' '), $datatype: 'boolean' },
      value: (p: Readonly<Record<string, unknown>>) =>
        text((p.considerations as Record<string, unknown> | undefined)?.[k]),
    })),
  ];
  if (currency)
    for (const k of ['estimated_cost', 'non_smart_cost'] as const)
      props.push({
        id: k.replaceAll('_', '-'),
        attrs: {
          $name: k === 'estimated_cost' ? 'Estimated cost' : 'Cost charging at once',
          $datatype: 'float',
          $unit: currency,
        },
        value: (p) => text(p[k]),
      });
  return props;
}
