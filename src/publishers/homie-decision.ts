/**
 * The Homie node `decision` of a charger: why the engine does what it does (docs/engine.md), read
 * from the `decision` object of `<base>/<id>`: mode, surplus offered, target current, phases, what
 * blocks it and the next change it will make by itself. Read-only; a value the decision does not
 * hold (no engine, or `null` in it) is a zero-length message.
 */

/** One property of the decision node. */
export interface DecisionProperty {
  id: string;
  attrs: Record<string, string>;
  /** The value as a Homie payload ('' = none) from the state's `decision` (absent: undefined). */
  value(decision: Readonly<Record<string, unknown>> | undefined): string;
}

const number = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `next_change` {action, at} as one readable string: `start at 2026-06-02T02:00:00+02:00`. */
export function nextChangeText(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '';
  const { action, at } = v as { action?: unknown; at?: unknown };
  if (typeof action !== 'string') return '';
  return typeof at === 'string' ? `${action} at ${at}` : action;
}

/** The decision node's properties for a charger with these modes. */
export function decisionProperties(modes: readonly string[]): DecisionProperty[] {
  return [
    {
      id: 'mode',
      attrs: { $name: 'Decided for mode', $datatype: 'enum', $format: modes.join(',') },
      value: (d) => (typeof d?.mode === 'string' && modes.includes(d.mode) ? d.mode : ''),
    },
    {
      id: 'surplus-power',
      attrs: { $name: 'Surplus offered', $datatype: 'float', $unit: 'W' },
      value: (d) => number(d?.surplus_power),
    },
    {
      id: 'target-current',
      attrs: { $name: 'Target current', $datatype: 'float', $unit: 'A' },
      value: (d) => number(d?.target_current),
    },
    {
      id: 'phases',
      attrs: { $name: 'Phases decided', $datatype: 'enum', $format: '1,3' },
      value: (d) => (d?.phases === 1 || d?.phases === 3 ? String(d.phases) : ''),
    },
    {
      id: 'blocked-by',
      attrs: { $name: 'Blocked by', $datatype: 'string' },
      value: (d) => text(d?.blocked_by),
    },
    {
      id: 'next-change',
      attrs: { $name: 'Next change', $datatype: 'string' },
      value: (d) => nextChangeText(d?.next_change),
    },
  ];
}
