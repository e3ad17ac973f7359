import { useEffect, useRef, useState } from 'preact/hooks';
import { duration, money, num } from './format';
import { answerText } from './pages';
import { type Obj, type State, store } from './store';

/** `from`/`to` of a month "YYYY-MM" as local date-times without offset: the bridge reads them in its site's zone. */
function monthRange(month: string): { from?: string; to?: string } {
  if (!/^\d{4}-\d{2}$/.test(month)) return {};
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { from: `${month}-01T00:00:00`, to: `${next}-01T00:00:00` };
}

/** The CSV answer as a file download. */
function download(csv: string, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Sessions `#/sessions` (docs/sessions.md): list newest first with totals, filter by charger and month, CSV download. */
export function SessionsPage({ s }: { s: State }) {
  const [charger, setCharger] = useState('');
  const [month, setMonth] = useState('');
  const [listTx, setListTx] = useState('');
  const [csvTx, setCsvTx] = useState('');
  const saved = useRef('');
  const config = s.info?.config as Obj | undefined;
  const tz = (config?.site as Obj | undefined)?.timezone as string | undefined;
  const filters = (c: string, m: string) => ({ ...(c ? { charger: c } : {}), ...monthRange(m) });
  const list = (c = charger, m = month) => setListTx(store.send('bridge/request/sessions', filters(c, m)));
  useEffect(() => {
    if (s.connected) list();
  }, [s.connected]);
  const r = s.requests[listTx];
  const csvAnswer = s.requests[csvTx];
  useEffect(() => {
    const csv = (csvAnswer?.data as Obj | undefined)?.csv;
    if (typeof csv !== 'string' || saved.current === csvTx) return;
    saved.current = csvTx;
    download(csv, `sessions${charger ? `-${charger}` : ''}${month ? `-${month}` : ''}.csv`);
  }, [csvAnswer]);
  const data = (r?.data ?? {}) as Obj;
  const sessions = (Array.isArray(data.sessions) ? data.sessions : []) as Obj[];
  const totals = (data.totals ?? null) as Obj | null;
  const currency = (config?.tariff as Obj | undefined)?.currency ?? sessions[0]?.currency;
  const names = new Map(s.devices.map((d) => [d.id, d.name]));
  const errors = [r, csvAnswer].filter((a) => a && a.status !== 'ok') as Obj[];
  return (
    <section aria-labelledby="page-h">
      <h2 id="page-h">Sessions</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          list();
        }}
      >
        <label>
          Charger{' '}
          <select
            value={charger}
            onChange={(e) => {
              setCharger(e.currentTarget.value);
              list(e.currentTarget.value, month);
            }}
          >
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
          Month{' '}
          <input
            type="month"
            value={month}
            onChange={(e) => {
              setMonth(e.currentTarget.value);
              list(charger, e.currentTarget.value);
            }}
          />
        </label>
        <button type="submit" disabled={!s.connected}>
          Show
        </button>
        <button
          type="button"
          disabled={!s.connected}
          onClick={() =>
            setCsvTx(
              store.send('bridge/request/sessions', {
                ...filters(charger, month),
                format: 'csv',
                limit: 10_000,
              }),
            )
          }
        >
          Download CSV
        </button>
      </form>
      {errors.map((a) => (
        <p key={String(a.transaction)} class="answer error" role="status">
          {answerText(a)}
        </p>
      ))}
      {totals && (
        <p class="totals">
          {String(totals.count)} {totals.count === 1 ? 'session' : 'sessions'} ·{' '}
          {num(totals.energy, 'kWh', 2)} · solar {num(totals.solar_energy, 'kWh', 2)} · cost{' '}
          {money(totals.cost, currency)}
          {Number(totals.count) > sessions.length && ` (the newest ${sessions.length} listed)`}
        </p>
      )}
      {sessions.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls sideways on a phone; the keyboard must reach it (axe: scrollable-region-focusable)
        <section class="table-wrap nowrap" aria-label="Sessions list" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">Charger</th>
                <th scope="col">Energy</th>
                <th scope="col">Solar</th>
                <th scope="col">Cost</th>
                <th scope="col">Duration</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((x) => (
                <tr key={String(x.id)} data-id={String(x.id)}>
                  <td>
                    {new Date(String(x.start)).toLocaleString('en-GB', {
                      dateStyle: 'short',
                      timeStyle: 'short',
                      ...(tz ? { timeZone: tz } : {}),
                    })}
                  </td>
                  <td>{names.get(String(x.charger)) ?? String(x.charger)}</td>
                  <td>{num(x.energy, 'kWh', 2)}</td>
                  <td>{typeof x.solar_share === 'number' ? `${Math.round(x.solar_share * 100)} %` : '—'}</td>
                  <td>{money(x.cost, x.currency)}</td>
                  <td>{typeof x.duration === 'number' ? duration(x.duration) : '—'}</td>
                  <td>{String(x.state)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {r?.status === 'ok' && sessions.length === 0 && <p>No session in this selection.</p>}
    </section>
  );
}
