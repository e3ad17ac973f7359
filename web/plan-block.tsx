import { useState } from 'preact/hooks';
import { CONSIDERATION_TEXT, clock, money, planWords } from './format';
import { type Obj, type State, store } from './store';

interface Zone {
  from: string;
  to: string;
  price: number;
}

/** The price at a local time of day ("HH:MM") from the tariff zones (daily; to <= from wraps past midnight). */
function zonePrice(hhmm: string, tariff: Obj | undefined): number | null {
  if (!tariff) return null;
  const zones = (tariff.zones ?? []) as Zone[];
  for (const z of zones) {
    const inside = z.from < z.to ? hhmm >= z.from && hhmm < z.to : hhmm >= z.from || hhmm < z.to;
    if (inside) return z.price;
  }
  return typeof tariff.default_price === 'number' ? tariff.default_price : null;
}

/** One bar per hour from now to the deadline: price, whether a slot charges in it. */
function bars(plan: Obj, tariff: Obj | undefined, tz: string | undefined, now: number) {
  const deadline = typeof plan.deadline === 'string' ? new Date(plan.deadline).getTime() : Number.NaN;
  if (!Number.isFinite(deadline) || deadline <= now) return [];
  const slots = ((plan.slots ?? []) as Array<{ start: string; end: string }>).map((x) => [
    new Date(x.start).getTime(),
    new Date(x.end).getTime(),
  ]);
  const out: Array<{ t: number; price: number | null; charging: boolean }> = [];
  const hour = 3_600_000;
  for (let t = Math.floor(now / hour) * hour; t < deadline && out.length < 48; t += hour) {
    const hhmm = clock(new Date(t).toISOString(), tz);
    out.push({
      t,
      price: zonePrice(hhmm, tariff),
      charging: slots.some(([a, b]) => a! < t + hour && b! > t),
    });
  }
  return out;
}

/** The smart-charging block: plan state in words, false considerations, price timeline, costs, inputs, Charge now. */
export function PlanBlock(props: { id: string; s: State; disabled: boolean; now: number }) {
  const plan = props.s.plans[props.id];
  const config = props.s.info?.config as Obj | undefined;
  const tz = (config?.site as Obj | undefined)?.timezone as string | undefined;
  const tariff = config?.tariff as Obj | undefined;
  const policy = (plan?.policy ?? {}) as Obj;
  const [deadline, setDeadline] = useState<string>(String(policy.deadline ?? '07:00'));
  const [energy, setEnergy] = useState<string>(String(policy.energy ?? 20));
  const [minimum, setMinimum] = useState<string>(String(policy.minimum_energy ?? 0));
  if (!plan) return <p class="muted">No plan yet.</p>;
  const falseOnes = Object.entries((plan.considerations ?? {}) as Record<string, boolean>).filter(
    ([, v]) => !v,
  );
  const list = bars(plan, tariff, tz, props.now);
  const max = Math.max(0.0001, ...list.map((b) => b.price ?? 0));
  const slots = (plan.slots ?? []) as Array<{ start: string; end: string }>;
  const save = (e: Event) => {
    e.preventDefault();
    store.send(
      `${props.id}/set`,
      { smart_charging: { deadline, energy: Number(energy), minimum_energy: Number(minimum) } },
      props.id,
    );
  };
  return (
    <section class="plan" aria-label="Smart charging plan">
      <h3>Plan</h3>
      <p>
        <strong>{planWords(plan.state)}</strong> ({String(plan.state)})
      </p>
      {falseOnes.length > 0 && (
        <p>Waiting because not yet: {falseOnes.map(([k]) => CONSIDERATION_TEXT[k] ?? k).join('; ')}.</p>
      )}
      {list.length > 0 && (
        <div>
          <div
            class="timeline"
            role="img"
            aria-label={`Prices per hour until the deadline ${clock(plan.deadline, tz)}; bars marked with a dot are planned charging`}
          >
            {list.map((b) => (
              <div
                key={b.t}
                class={b.charging ? 'bar charging' : 'bar'}
                style={{ height: `${Math.max(8, ((b.price ?? 0) / max) * 100)}%` }}
                title={`${clock(new Date(b.t).toISOString(), tz)} ${money(b.price, tariff?.currency)}/kWh${b.charging ? ', charging' : ''}`}
              >
                {b.charging ? '•' : ''}
              </div>
            ))}
            <div class="deadline" title="deadline" />
          </div>
          <div class="timeline-axis">
            <span>{clock(new Date(list[0]!.t).toISOString(), tz)}</span>
            <span>deadline {clock(plan.deadline, tz)}</span>
          </div>
        </div>
      )}
      <dl class="figures small">
        <div>
          <dt>Next start</dt>
          <dd>{plan.next_start ? clock(plan.next_start, tz) : '—'}</dd>
        </div>
        <div>
          <dt>Charged</dt>
          <dd>
            {String(plan.charged_energy ?? 0)} of {String(plan.energy ?? '—')} kWh
          </dd>
        </div>
        <div>
          <dt>Estimated cost</dt>
          <dd>{money(plan.estimated_cost, plan.currency)}</dd>
        </div>
        <div>
          <dt>Charging at once</dt>
          <dd>{money(plan.non_smart_cost, plan.currency)}</dd>
        </div>
      </dl>
      {slots.length > 0 && (
        <p class="small">
          Charging planned: {slots.map((x) => `${clock(x.start, tz)}–${clock(x.end, tz)}`).join(', ')}
        </p>
      )}
      {!props.disabled && (
        <form class="plan-form" onSubmit={save}>
          <label>
            Deadline
            <input
              type="time"
              value={deadline}
              onInput={(e) => setDeadline(e.currentTarget.value)}
              required
            />
          </label>
          <label>
            Energy (kWh)
            <input
              type="number"
              min="0"
              step="0.5"
              value={energy}
              onInput={(e) => setEnergy(e.currentTarget.value)}
              required
            />
          </label>
          <label>
            At once (kWh)
            <input
              type="number"
              min="0"
              step="0.5"
              value={minimum}
              onInput={(e) => setMinimum(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Save plan</button>
          <button type="button" onClick={() => store.send(`${props.id}/set`, { enabled: true }, props.id)}>
            Charge now
          </button>
        </form>
      )}
    </section>
  );
}
