/**
 * The page's mirror of the bridge, fed by one WebSocket (`api`, relative to the page so any path
 * prefix works): a snapshot on connect, then every change. Frames are `{topic, payload}` with the
 * MQTT base topic stripped (docs/web-interface.md).
 */

/** One charger, meter or the site as `bridge/devices` lists it (with the page-only extras). */
export interface DeviceEntry {
  id: string;
  name: string;
  type: string;
  kind: 'charger' | 'meter';
  model?: string;
  manufacturer?: string;
  modes?: Array<{ mode: string; reason: string | null }>;
  entities?: EntityInfo[];
  read_only?: boolean;
}

/** One entity of the catalog: label, unit, kind, writable, range, options. */
export interface EntityInfo {
  key: string;
  label: string;
  kind: string;
  unit?: string;
  writable: boolean;
  range?: { min: number; max: number; step: number };
  options?: string[];
}

/** A warning or error of the bridge. */
export interface LogEntry {
  level: 'warn' | 'error';
  message: string;
  time?: string;
}

/** The bridge's answer to the page's last command on a device. */
export interface Answer {
  ok: boolean;
  text: string;
  /** The command's data (targets) or null. */
  data?: Record<string, unknown>;
}

export type Obj = Record<string, unknown>;

/** Everything the page shows. */
export interface State {
  /** Socket open and the snapshot arrived. */
  connected: boolean;
  /** The first connection has not happened yet (no banner during the first load). */
  firstLoad: boolean;
  /** null = not known yet; true = the login form is shown. */
  loginNeeded: boolean | null;
  info: Obj | null;
  devices: DeviceEntry[];
  bridgeOnline: boolean;
  states: Record<string, Obj>;
  online: Record<string, boolean>;
  plans: Record<string, Obj>;
  /** Each charger's `<id>/session`: the active session, else the last ended one (docs/sessions.md). */
  sessions: Record<string, Obj>;
  logs: LogEntry[];
  answers: Record<string, Answer>;
  /** Answers to bridge requests by command (health_check, sessions…) and by the page's transaction. */
  requests: Record<string, Obj>;
  /** Seconds until the next reconnect attempt, while disconnected. */
  retryIn: number;
}

const LOG_LIMIT = 500;
const BACKOFF_S = [1, 2, 5];

type Listener = () => void;

/** The store: a state object replaced on every batch of frames, and the socket behind it. */
export class Store {
  state: State = {
    connected: false,
    firstLoad: true,
    loginNeeded: null,
    info: null,
    devices: [],
    bridgeOnline: false,
    states: {},
    online: {},
    plans: {},
    sessions: {},
    logs: [],
    answers: {},
    requests: {},
    retryIn: 0,
  };
  private ws?: WebSocket;
  private listeners = new Set<Listener>();
  private pending = new Map<string, string>();
  private seq = 0;
  private attempts = 0;
  private frameQueue: Array<{ topic: string; payload: unknown }> = [];
  private flushScheduled = false;
  private version?: unknown;
  private timer?: number;
  /** Logged in with a token (a log-out link is shown); false when the bridge needs none. */
  loggedIn = false;

  /** Calls `fn` after every change; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /** Asks whether a login is needed, then connects. */
  async start(): Promise<void> {
    try {
      const r = await fetch('auth', { credentials: 'same-origin', cache: 'no-store' });
      const text = await r.text();
      if (r.status === 401) {
        this.set({ loginNeeded: true });
        return;
      }
      this.loggedIn = text === 'session';
      this.set({ loginNeeded: false });
    } catch {
      // the bridge is down: keep trying like a dropped socket
      this.retry();
      return;
    }
    this.connect();
  }

  /** Posts the token once; on success the bridge sets its session cookie. Returns the error text or null. */
  async login(token: string): Promise<string | null> {
    const r = await fetch('login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    const text = await r.text();
    if (!r.ok) return text || `HTTP ${r.status}`;
    this.loggedIn = true;
    this.set({ loginNeeded: false });
    this.connect();
    return null;
  }

  /** Ends the session on the bridge and shows the login form. */
  async logout(): Promise<void> {
    await fetch('logout', { method: 'POST', credentials: 'same-origin' }).then((r) => r.text());
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    this.loggedIn = false;
    this.set({ loginNeeded: true, connected: false });
  }

  private connect(): void {
    window.clearTimeout(this.timer);
    const url = new URL('api', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    url.search = '';
    const ws = new WebSocket(url.href);
    this.ws = ws;
    ws.onmessage = (ev) => {
      try {
        this.frameQueue.push(JSON.parse(String(ev.data)) as { topic: string; payload: unknown });
      } catch {
        return;
      }
      // frames are applied once per animation frame: at 100 chargers a burst is one render
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        const flush = () => this.flush();
        if (document.visibilityState === 'visible') requestAnimationFrame(flush);
        else window.setTimeout(flush, 50);
      }
    };
    ws.onopen = () => {
      this.attempts = 0;
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.set({ connected: false, bridgeOnline: false });
      this.retry();
    };
  }

  private retry(): void {
    const wait = BACKOFF_S[Math.min(this.attempts, BACKOFF_S.length - 1)]!;
    this.attempts++;
    this.set({ retryIn: wait, firstLoad: this.state.firstLoad && this.attempts < 2 });
    this.timer = window.setTimeout(() => void this.reconnect(), wait * 1000);
  }

  private async reconnect(): Promise<void> {
    try {
      const r = await fetch('auth', { credentials: 'same-origin', cache: 'no-store' });
      await r.text();
      if (r.status === 401) return this.set({ loginNeeded: true });
    } catch {
      return this.retry();
    }
    this.connect();
  }

  /** Sends a command; its answer is shown on `answerKey` (a device id). Returns its transaction. */
  send(topic: string, payload: Obj, answerKey?: string): string {
    const transaction = `p${++this.seq}`;
    if (answerKey) {
      this.pending.set(transaction, answerKey);
      this.set({ answers: { ...this.state.answers, [answerKey]: { ok: true, text: 'Sending…' } } });
    }
    this.ws?.send(JSON.stringify({ topic, payload: { ...payload, transaction } }));
    return transaction;
  }

  /** performance.now() when the last batch of frames was applied (the page measures its render from here). */
  flushedAt = 0;

  private flush(): void {
    this.flushScheduled = false;
    this.flushedAt = performance.now();
    const frames = this.frameQueue;
    this.frameQueue = [];
    const s: State = {
      ...this.state,
      states: { ...this.state.states },
      online: { ...this.state.online },
      plans: { ...this.state.plans },
      sessions: { ...this.state.sessions },
    };
    for (const f of frames) this.apply(s, f.topic, f.payload);
    this.state = s;
    for (const l of this.listeners) l();
  }

  private apply(s: State, topic: string, payload: unknown): void {
    const p = (payload ?? {}) as Obj;
    if (topic === 'bridge/info') {
      if (this.version !== undefined && p.version !== this.version) location.reload();
      this.version = p.version;
      s.info = p;
      s.connected = true;
      s.firstLoad = false;
      return;
    }
    if (topic === 'bridge/devices') {
      s.devices = Array.isArray(payload) ? (payload as DeviceEntry[]) : [];
      return;
    }
    if (topic === 'bridge/state') {
      s.bridgeOnline = p.state === 'online';
      return;
    }
    if (topic === 'bridge/logging') {
      s.logs = [...s.logs, p as unknown as LogEntry].slice(-LOG_LIMIT);
      return;
    }
    if (topic === 'error') {
      s.logs = [...s.logs, { level: 'error' as const, message: `page: ${String(p.error)}` }].slice(
        -LOG_LIMIT,
      );
      return;
    }
    const response = /^bridge\/response\/(.+)$/.exec(topic);
    if (response) {
      // by command (the last answer) and by transaction (the page's own request, e.g. a CSV download)
      s.requests = { ...s.requests, [response[1]!]: p };
      if (typeof p.transaction === 'string') s.requests[p.transaction] = p;
      return;
    }
    const m = /^(.+?)(?:\/(availability|plan|session|response))?$/.exec(topic);
    if (!m) return;
    const id = m[1]!;
    if (m[2] === 'availability') s.online[id] = p.state === 'online';
    else if (m[2] === 'plan') s.plans[id] = p;
    else if (m[2] === 'session') s.sessions[id] = p;
    else if (m[2] === 'response') {
      const key = this.pending.get(String(p.transaction)) ?? id;
      this.pending.delete(String(p.transaction));
      const ok = p.status === 'ok';
      s.answers = {
        ...s.answers,
        [key]: ok
          ? { ok, text: 'Done', data: (p.data ?? {}) as Obj }
          : { ok, text: String(p.error ?? 'refused') },
      };
    } else s.states[id] = p;
  }
}

/** The page's one store. */
export const store = new Store();
