import { useLayoutEffect, useState } from 'preact/hooks';
import { ChargerCard } from './charger-card';
import { SiteStrip } from './site-strip';
import { type EntityInfo, type Obj, type State, store } from './store';

/** Overview `#/`: the site strip and one card per charger. */
export function Overview({ s }: { s: State }) {
  const chargers = s.devices.filter((d) => d.kind === 'charger');
  // the time from a batch of frames to the cards in the DOM (the browser tests read it at 100 chargers)
  useLayoutEffect(() => {
    if (store.flushedAt > 0) performance.measure('evse2mqtt:cards', { start: store.flushedAt });
  });
  return (
    <>
      <SiteStrip s={s} />
      <div class="cards">
        {chargers.map((d) => (
          <ChargerCard key={d.id} d={d} s={s} />
        ))}
      </div>
      {s.connected && chargers.length === 0 && <p>No charger is configured.</p>}
    </>
  );
}

/** One writable entity as a control: a switch, a list or a number with a Set button. */
function EntityControl({
  id,
  e,
  value,
  disabled,
}: {
  id: string;
  e: EntityInfo;
  value: unknown;
  disabled: boolean;
}) {
  const [draft, setDraft] = useState<string>('');
  const send = (v: unknown) => store.send(`${id}/set`, { [e.key]: v }, id);
  if (e.kind === 'boolean')
    return (
      <button
        type="button"
        role="switch"
        class="switch"
        aria-checked={value === true}
        aria-label={e.label}
        disabled={disabled}
        onClick={() => send(value !== true)}
      >
        <span class="knob" aria-hidden="true" />
        <span>{value === true ? 'On' : 'Off'}</span>
      </button>
    );
  if (e.options)
    return (
      <select
        aria-label={e.label}
        value={String(value)}
        disabled={disabled}
        onChange={(ev) => send(ev.currentTarget.value)}
      >
        {e.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  if (e.kind === 'number')
    return (
      <form
        class="inline"
        onSubmit={(ev) => {
          ev.preventDefault();
          send(Number(draft));
        }}
      >
        <input
          type="number"
          aria-label={e.label}
          min={e.range?.min}
          max={e.range?.max}
          step={e.range?.step ?? 'any'}
          value={draft}
          placeholder={String(value ?? '')}
          onInput={(ev) => setDraft(ev.currentTarget.value)}
          disabled={disabled}
          required
        />
        <button type="submit" disabled={disabled}>
          Set
        </button>
      </form>
    );
  return null;
}

/** Charger page `#/charger/<id>`: every entity (writable ones as controls), the last answer, the raw JSON. */
export function ChargerPage({ s, id }: { s: State; id: string }) {
  const d = s.devices.find((x) => x.id === id);
  if (!d) return <p>{s.connected ? `No charger "${id}".` : 'Loading…'}</p>;
  const st = s.states[id] ?? {};
  const disabled = s.online[id] === false || !s.connected || d.read_only === true;
  const answer = s.answers[id];
  return (
    <section aria-labelledby="page-h">
      <p>
        <a href="#/">← Overview</a>
      </p>
      <h2 id="page-h">{d.name}</h2>
      <p class="muted">
        {[d.manufacturer, d.model].filter(Boolean).join(' ')} · {d.type} ·{' '}
        {s.online[id] === false ? 'Offline' : 'Online'}
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Value</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {(d.entities ?? []).map((e) => (
              <tr key={e.key}>
                <th scope="row">
                  {e.label} <code class="muted">{e.key}</code>
                </th>
                <td>
                  {st[e.key] === undefined || st[e.key] === null
                    ? '—'
                    : `${typeof st[e.key] === 'object' ? JSON.stringify(st[e.key]) : String(st[e.key])}${e.unit ? ` ${e.unit}` : ''}`}
                </td>
                <td>{e.writable && <EntityControl id={id} e={e} value={st[e.key]} disabled={disabled} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class={answer && !answer.ok ? 'answer error' : 'answer'} role="status" aria-live="polite">
        {answer ? `${answer.ok ? 'Bridge' : 'Refused'}: ${answer.text}` : 'No command sent yet.'}
      </p>
      <h3>Raw state</h3>
      <pre class="raw">{JSON.stringify(st, null, 2)}</pre>
      {s.plans[id] && (
        <>
          <h3>Raw plan</h3>
          <pre class="raw">{JSON.stringify(s.plans[id], null, 2)}</pre>
        </>
      )}
    </section>
  );
}

/** Logs `#/logs`: the bridge's warnings and errors (it replays its last 100 on connect). */
export function Logs({ s }: { s: State }) {
  const [level, setLevel] = useState<'all' | 'error'>('all');
  const list = s.logs
    .filter((l) => level === 'all' || l.level === 'error')
    .slice()
    .reverse();
  return (
    <section aria-labelledby="page-h">
      <h2 id="page-h">Logs</h2>
      <label>
        Show{' '}
        <select value={level} onChange={(e) => setLevel(e.currentTarget.value as 'all' | 'error')}>
          <option value="all">warnings and errors</option>
          <option value="error">errors only</option>
        </select>
      </label>
      {list.length === 0 ? (
        <p>No warning or error.</p>
      ) : (
        <ul class="logs">
          {list.map((l, i) => (
            <li key={i} class={l.level}>
              <strong>{l.level === 'error' ? 'Error' : 'Warning'}</strong>{' '}
              {l.time && <time dateTime={l.time}>{new Date(l.time).toLocaleTimeString('en-GB')}</time>}{' '}
              {l.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Bridge `#/bridge`: bridge/info, the health check, a refresh per charger. */
export function BridgePage({ s }: { s: State }) {
  const info = s.info ?? {};
  const health = s.requests.health_check;
  const refresh = s.requests['charger/refresh'];
  const chargers = s.devices.filter((d) => d.kind === 'charger');
  const [pick, setPick] = useState('');
  const target = pick || chargers[0]?.id || '';
  return (
    <section aria-labelledby="page-h">
      <h2 id="page-h">Bridge</h2>
      <dl class="figures">
        <div>
          <dt>Version</dt>
          <dd>{String(info.version ?? '—')}</dd>
        </div>
        <div>
          <dt>MQTT</dt>
          <dd>{String(info.mqtt_version ?? '—')}</dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>{s.bridgeOnline ? 'online' : 'offline'}</dd>
        </div>
        <div>
          <dt>Page socket</dt>
          <dd>{s.connected ? 'connected' : 'disconnected'}</dd>
        </div>
      </dl>
      <div class="actions">
        <button
          type="button"
          disabled={!s.connected}
          onClick={() => store.send('bridge/request/health_check', {})}
        >
          Health check
        </button>
        <span role="status">{health ? answerText(health) : ''}</span>
      </div>
      <div class="actions">
        <label>
          Charger{' '}
          <select value={target} onChange={(e) => setPick(e.currentTarget.value)}>
            {chargers.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!s.connected || !target}
          onClick={() => store.send('bridge/request/charger/refresh', { id: target })}
        >
          Refresh
        </button>
        <span role="status">{refresh ? answerText(refresh) : ''}</span>
      </div>
      <h3>bridge/info</h3>
      <pre class="raw">{JSON.stringify(info, null, 2)}</pre>
    </section>
  );
}

/** A bridge response in words: "ok" with its data, or the error verbatim. */
export function answerText(r: Obj): string {
  return r.status === 'ok' ? `ok ${JSON.stringify(r.data ?? {})}` : `error: ${String(r.error ?? '')}`;
}
