import { useEffect, useState } from 'preact/hooks';
import { money, num } from './format';
import { answerText } from './pages';
import { type Obj, type State, store } from './store';

/** `from`/`to` (ISO) of a month "YYYY-MM", local time. */
function monthRange(month: string): { from?: string; to?: string } {
  if (!/^\d{4}-\d{2}$/.test(month)) return {};
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { from: new Date(y, m - 1, 1).toISOString(), to: new Date(y, m, 1).toISOString() };
}

/** Sessions `#/sessions`: list with totals, filter by charger and month, CSV download. */
export function SessionsPage({ s }: { s: State }) {
  const [charger, setCharger] = useState('');
  const [month, setMonth] = useState('');
  const [wantCsv, setWantCsv] = useState(false);
  const r = s.requests.sessions;
  const query = (format: 'json' | 'csv') => {
    setWantCsv(format === 'csv');
    store.send('bridge/request/sessions', {
      ...(charger ? { charger } : {}),
      ...monthRange(month),
      ...(format === 'csv' ? { format } : {}),
    });
  };
  useEffect(() => {
    if (s.connected && !r) query('json');
  }, [s.connected]);
  useEffect(() => {
    const csv = (r?.data as Obj | undefined)?.csv;
    if (!wantCsv || typeof csv !== 'string') return;
    setWantCsv(false);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    a.download = `sessions${charger ? `-${charger}` : ''}${month ? `-${month}` : ''}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  }, [r]);
  const data = (r?.data ?? {}) as Obj;
  const sessions = (Array.isArray(data.sessions) ? data.sessions : []) as Obj[];
  const totals = (data.totals ?? null) as Obj | null;
  return (
    <section aria-labelledby="page-h">
      <h2 id="page-h">Sessions</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          query('json');
        }}
      >
        <label>
          Charger{' '}
          <select value={charger} onChange={(e) => setCharger(e.currentTarget.value)}>
            <option value="">all</option>
            {s.devices
              .filter((d) => d.kind === 'charger')
              .map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          Month <input type="month" value={month} onInput={(e) => setMonth(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!s.connected}>
          Show
        </button>
        <button type="button" disabled={!s.connected} onClick={() => query('csv')}>
          Download CSV
        </button>
      </form>
      {r && r.status !== 'ok' && (
        <p class="answer error" role="status">
          {answerText(r)}
        </p>
      )}
      {totals && (
        <p>
          {String(totals.count)} sessions · {num(totals.energy, 'kWh', 2)} · solar{' '}
          {num(totals.solar_energy, 'kWh', 2)} · cost {money(totals.cost, sessions[0]?.currency)}
        </p>
      )}
      {sessions.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">Charger</th>
                <th scope="col">Energy</th>
                <th scope="col">Solar</th>
                <th scope="col">Cost</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((x) => (
                <tr key={String(x.id)}>
                  <td>{new Date(String(x.start)).toLocaleString('en-GB')}</td>
                  <td>{String(x.charger)}</td>
                  <td>{num(x.energy, 'kWh', 2)}</td>
                  <td>{typeof x.solar_share === 'number' ? `${Math.round(x.solar_share * 100)} %` : '—'}</td>
                  <td>{money(x.cost, x.currency)}</td>
                  <td>{String(x.state)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r?.status === 'ok' && sessions.length === 0 && <p>No session in this selection.</p>}
    </section>
  );
}
