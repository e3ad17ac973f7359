import { render } from 'preact';
import { useState } from 'preact/hooks';
import { useRoute, useStore } from './hooks';
import { BridgePage, ChargerPage, Logs, Overview } from './pages';
import { SessionsPage } from './sessions-page';
import { type State, store } from './store';
import './style.css';

const THEME_KEY = 'evse2mqtt-theme';

/** The theme in force: the remembered choice, else the system's. */
function currentTheme(): 'dark' | 'light' {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function applyTheme(): void {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') document.documentElement.dataset.theme = saved;
  else delete document.documentElement.dataset.theme;
}

/** The dark-mode toggle; the choice is remembered in this browser. */
function ThemeToggle() {
  const [dark, setDark] = useState(currentTheme() === 'dark');
  return (
    <button
      type="button"
      class="ghost"
      aria-pressed={dark}
      onClick={() => {
        localStorage.setItem(THEME_KEY, dark ? 'light' : 'dark');
        applyTheme();
        setDark(!dark);
      }}
    >
      Dark mode
    </button>
  );
}

/** The login form: the token is posted once; the bridge answers with a session cookie. */
function Login() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <h1>evse2mqtt</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          const token = new FormData(e.currentTarget as HTMLFormElement).get('token');
          const err = await store.login(String(token ?? '')).catch((x: Error) => x.message);
          setBusy(false);
          setError(err ?? '');
        }}
      >
        <label for="token">Access token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <p role="alert" class="answer error">
          {error}
        </p>
      </form>
    </main>
  );
}

const PAGES: Array<[string, string]> = [
  ['#/', 'Overview'],
  ['#/sessions', 'Sessions'],
  ['#/logs', 'Logs'],
  ['#/bridge', 'Bridge'],
];

function Page({ s, route }: { s: State; route: string }) {
  const charger = /^\/charger\/(.+)$/.exec(route);
  if (charger) return <ChargerPage s={s} id={decodeURIComponent(charger[1]!)} />;
  if (route === '/sessions') return <SessionsPage s={s} />;
  if (route === '/logs') return <Logs s={s} />;
  if (route === '/bridge') return <BridgePage s={s} />;
  return <Overview s={s} />;
}

/** The page: header with navigation, the disconnected banner, the current route. */
function App() {
  const s = useStore();
  const route = useRoute();
  if (s.loginNeeded) return <Login />;
  const current = `#${route}`;
  return (
    <>
      <header class="top">
        <h1>evse2mqtt</h1>
        <nav aria-label="Pages">
          {PAGES.map(([href, label]) => (
            <a key={href} href={href} aria-current={current === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="tools">
          <ThemeToggle />
          {store.loggedIn && (
            <button type="button" class="ghost" onClick={() => void store.logout()}>
              Log out
            </button>
          )}
        </div>
      </header>
      {!s.connected && !s.firstLoad && (
        <div class="banner" role="status">
          Disconnected from the bridge — reconnecting{s.retryIn ? ` (every ${s.retryIn} s)` : ''}…
        </div>
      )}
      <main id="main">{s.firstLoad && !s.connected ? <p>Connecting…</p> : <Page s={s} route={route} />}</main>
    </>
  );
}

applyTheme();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
render(<App />, document.getElementById('app')!);
void store.start();
