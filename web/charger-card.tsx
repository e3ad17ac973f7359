import { Component } from 'preact';
import { CurrentSlider, EnableSwitch, ModeGroup, switchesToManual } from './controls';
import { decisionSentence, nextChange, num, power, STATUS_TEXT, sessionLine } from './format';
import { useNow } from './hooks';
import { PlanBlock } from './plan-block';
import { type DeviceEntry, type State, store } from './store';

/** The targets an accepted command left in force, e.g. " — mode manual, charge_current 10, enabled true". */
function summary(data: Record<string, unknown> | undefined): string {
  if (!data) return '';
  const parts = Object.entries(data).map(
    ([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  );
  return parts.length > 0 ? ` — ${parts.join(', ')}` : '';
}

/** The countdown to the engine's next change, ticking every second. */
function Countdown({ decision }: { decision: Record<string, unknown> }) {
  const now = useNow();
  const text = nextChange(decision, now);
  return text ? <p class="countdown">{text}</p> : null;
}

/** One charger: identity, status in words, figures, controls, the decision, the plan, the last answer. */
function Card({ d, s }: { d: DeviceEntry; s: State }) {
  const st = s.states[d.id] ?? {};
  const online = s.online[d.id] !== false && s.connected;
  const readOnly = d.read_only === true;
  const disabled = !online || !s.connected;
  const cc = d.entities?.find((e) => e.key === 'charge_current')?.range;
  const status = typeof st.status === 'string' ? st.status : 'unknown';
  const answer = s.answers[d.id];
  const decision = st.decision as Record<string, unknown> | undefined;
  const session = sessionLine(s.sessions[d.id]);
  const set = (payload: Record<string, unknown>) => store.send(`${d.id}/set`, payload, d.id);
  return (
    <article class={online ? 'card' : 'card offline'} aria-labelledby={`name-${d.id}`}>
      <header class="card-head">
        <h2 id={`name-${d.id}`}>
          <a href={`#/charger/${d.id}`}>{d.name}</a>
        </h2>
        <span class="model">{[d.manufacturer, d.model].filter(Boolean).join(' ') || d.type}</span>
        <span class={online ? 'badge' : 'badge off'}>{s.online[d.id] === false ? 'Offline' : 'Online'}</span>
      </header>
      <p class="status">
        <span class={`status-word st-${status}`}>{status}</span>
        <span class="muted"> — {STATUS_TEXT[status] ?? ''}</span>
      </p>
      <dl class="figures">
        <div>
          <dt>Power</dt>
          <dd>{power(st.power)}</dd>
        </div>
        <div>
          <dt>Current</dt>
          <dd>{num(st.current, 'A', 1)}</dd>
        </div>
        <div>
          <dt>Session</dt>
          <dd>{num(st.session_energy, 'kWh', 2)}</dd>
        </div>
      </dl>
      {session && <p class="small session-line">{session}</p>}
      {!readOnly && (
        <fieldset class="controls" disabled={disabled}>
          <legend class="visually-hidden">Controls of {d.name}</legend>
          <ModeGroup
            d={d}
            mode={st.mode}
            answer={answer}
            disabled={disabled}
            onPick={(mode) => set({ mode })}
          />
          <EnableSwitch
            id={d.id}
            on={st.enabled === true}
            disabled={disabled}
            onToggle={(enabled) => set({ enabled })}
          />
          {cc && typeof st.charge_current === 'number' && (
            <CurrentSlider
              id={d.id}
              value={st.charge_current}
              min={cc.min}
              max={cc.max}
              step={cc.step}
              disabled={disabled}
              onCommit={(charge_current) => set({ charge_current })}
            />
          )}
          {switchesToManual(st.mode) && (
            <p class="small muted">Changing the current or the switch puts this charger in manual mode.</p>
          )}
        </fieldset>
      )}
      {decision && (
        <div class="decision">
          <p>{decisionSentence(decision)}</p>
          <Countdown decision={decision} />
        </div>
      )}
      {typeof st.failsafe === 'string' && st.failsafe && (
        <p class="warn">
          <strong>Fail-safe:</strong> {st.failsafe}
        </p>
      )}
      {typeof st.error === 'string' && st.error && (
        <p class="warn">
          <strong>{st.error === 'changed at the device' ? 'Changed at the device' : 'Note'}:</strong>{' '}
          {st.error === 'changed at the device'
            ? 'a person changed it at the charger; the bridge follows (mode manual).'
            : st.error}
        </p>
      )}
      {st.mode === 'smart' && <PlanBlock id={d.id} s={s} disabled={disabled || readOnly} now={Date.now()} />}
      <p class={answer && !answer.ok ? 'answer error' : 'answer'} role="status" aria-live="polite">
        {answer
          ? answer.ok
            ? `Bridge: ${answer.text}${summary(answer.data)}`
            : `Refused: ${answer.text}`
          : ''}
      </p>
    </article>
  );
}

type CardProps = { d: DeviceEntry; s: State };

/** A card re-renders only when its own charger's data or the connection changed (100 chargers stay smooth). */
export class ChargerCard extends Component<CardProps> {
  override shouldComponentUpdate(next: CardProps): boolean {
    const a = this.props;
    const id = a.d.id;
    return !(
      a.d === next.d &&
      a.s.states[id] === next.s.states[id] &&
      a.s.online[id] === next.s.online[id] &&
      a.s.plans[id] === next.s.plans[id] &&
      a.s.sessions[id] === next.s.sessions[id] &&
      a.s.answers[id] === next.s.answers[id] &&
      a.s.connected === next.s.connected &&
      a.s.info === next.s.info
    );
  }

  override render() {
    return <Card d={this.props.d} s={this.props.s} />;
  }
}
