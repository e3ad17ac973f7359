/** Number, time and wording helpers of the page (English strings live here and in the components). */

/** A number with its unit, or an em dash when unknown. */
export function num(v: unknown, unit: string, digits = 0): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return `${v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

/** Power in W or kW. */
export function power(v: unknown): string {
  if (typeof v !== 'number') return '—';
  return Math.abs(v) >= 1000 ? num(v / 1000, 'kW', 2) : num(v, 'W');
}

/** A money amount in a currency. */
export function money(v: unknown, currency: unknown): string {
  if (typeof v !== 'number') return '—';
  const c = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  return c
    ? v.toLocaleString('en', { style: 'currency', currency: c, maximumFractionDigits: 2 })
    : v.toFixed(2);
}

/** Duration as "1 h 05 min" or "45 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A local time of day, e.g. 07:00, in the bridge's zone when given. */
export function clock(iso: unknown, timeZone?: string): string {
  if (typeof iso !== 'string') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  });
}

/** What each status word means, shown next to the word (status is never shown by colour alone). */
export const STATUS_TEXT: Record<string, string> = {
  charging: 'charging',
  discharging: 'giving power back',
  connected: 'vehicle connected, not drawing',
  paused: 'vehicle connected, paused',
  disconnected: 'no vehicle',
  disabled: 'locked at the charger',
  error: 'device fault',
};

/** Words for a next_change action. */
const ACTIONS: Record<string, string> = {
  start: 'Starts',
  stop: 'Stops',
  resume: 'Resumes',
  switch_to_1_phase: 'Switches to 1 phase',
  switch_to_3_phases: 'Switches to 3 phases',
};

/** The engine's decision as a sentence, e.g. "solar: 8 A wanted; held back by enable delay." */
export function decisionSentence(d: Record<string, unknown> | null | undefined): string | null {
  if (!d || typeof d !== 'object') return null;
  const parts: string[] = [];
  const target = d.target_current;
  const surplus = d.surplus_power;
  let s = `In ${String(d.mode)} mode`;
  if (typeof target === 'number')
    s += target === 0 ? ' the charger is held at 0 A' : ` it aims at ${target} A`;
  if (typeof surplus === 'number') s += ` (surplus ${power(surplus)})`;
  parts.push(`${s}.`);
  if (typeof d.blocked_by === 'string' && d.blocked_by) parts.push(`Held back by: ${d.blocked_by}.`);
  else parts.push('Nothing holds it back.');
  return parts.join(' ');
}

/** "Starts in 2 min 10 s" for a next_change, or null. */
export function nextChange(d: Record<string, unknown> | null | undefined, now: number): string | null {
  const n = d?.next_change as { action?: string; at?: string | null } | null | undefined;
  if (!n?.action) return null;
  const verb = ACTIONS[n.action] ?? n.action;
  if (!n.at) return `${verb} when conditions allow.`;
  const left = (new Date(n.at).getTime() - now) / 1000;
  return left > 0 ? `${verb} in ${duration(left)}.` : `${verb} now.`;
}

/** Plan states in words (docs/engine.md). */
export function planWords(state: unknown): string {
  const s = String(state ?? '');
  const words: Record<string, string> = {
    DISABLED: 'No plan (not in smart mode)',
    CONSIDERING: 'Considering: waiting for what the plan needs',
    'PLAN:EXECUTING:STARTING': 'Plan running: starting to charge',
    'PLAN:EXECUTING:STARTED': 'Plan running: charging',
    'PLAN:EXECUTING:START_FAILED': 'Plan running: the charger did not start',
    'PLAN:EXECUTING:STOPPING': 'Plan running: stopping',
    'PLAN:EXECUTING:STOPPED': 'Plan running: waiting for the next cheap slot',
    'PLAN:EXECUTING:STOP_FAILED': 'Plan running: the charger did not stop',
    'PLAN:EXECUTING:OVERRIDDEN': 'Charging now (plan overridden)',
    'PLAN:ENDED:FINISHED': 'Plan finished: energy reached',
    'PLAN:ENDED:UNPLUGGED': 'Plan ended: vehicle unplugged',
    'PLAN:ENDED:FAILED': 'Plan failed: charging at full current',
    'PLAN:ENDED:DISABLED': 'Plan ended: switched to manual',
    'PLAN:ENDED:DEADLINE_CHANGED': 'Plan ended: the deadline changed',
  };
  return words[s] ?? s;
}

/** Consideration keys in words. */
export const CONSIDERATION_TEXT: Record<string, string> = {
  is_plugged_in: 'a vehicle is plugged in',
  is_reachable: 'the charger is reachable',
  has_tariff: 'a tariff is configured',
  has_time: 'there is time before the deadline',
  needs_charge: 'energy is still needed',
  has_fresh_inputs: 'the inputs are fresh',
};

/** A charger's `/session` record in words: "This session: 1.23 kWh · 40 % solar · €0.31 so far", or null. */
export function sessionLine(r: Record<string, unknown> | undefined): string | null {
  if (!r || (r.state !== 'active' && r.state !== 'ended')) return null;
  const active = r.state === 'active';
  const parts = [num(r.energy, 'kWh', 2)];
  if (typeof r.solar_share === 'number') parts.push(`${Math.round(r.solar_share * 100)} % solar`);
  if (typeof r.cost === 'number') parts.push(`${money(r.cost, r.currency)}${active ? ' so far' : ''}`);
  return `${active ? 'This session' : 'Last session'}: ${parts.join(' · ')}`;
}
