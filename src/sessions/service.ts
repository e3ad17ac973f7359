import type { TimerHandle } from '../core/clock.js';
import type { ChargerReading, TransactionInfo } from '../core/model.js';
import type { SessionCharger, SessionDeps, SessionsResponse } from './deps.js';
import { SessionLog } from './log-file.js';
import { answerQuery } from './query.js';
import { newSession, parseOpenSession, type RecordContext, toRecord } from './record.js';
import { chargedEnergy, dischargedEnergy, type EnergyMarks, gridFraction, intervalCost } from './split.js';
import type { OpenSession, SessionRecord } from './types.js';

export type { GridReading, SessionCharger, SessionDeps, SessionsResponse } from './deps.js';

/** Per charger: the open session and what the next reading is compared with. */
class Track {
  /** Vehicle present at the last reading; null before the first. */
  present: boolean | null = null;
  open: OpenSession | null = null;
  /** An ended session whose line is being written (still saved in state.json until then). */
  ending: OpenSession | null = null;
  /** `open` came from state.json: the first reading decides whether it goes on. */
  restored = false;
  lastEnded: SessionRecord | null = null;
  /** W this charger adds to the site's charging power. */
  contribution = 0;
  publishedAt = Number.NEGATIVE_INFINITY;
  publishedEnergy = -1;
  publishedDischarged = -1;
}

/** Longest state.json save delay after a start or an end, and after other progress, ms. */
const URGENT_SAVE_MS = 1_000;
const PROGRESS_SAVE_MS = 30_000;
/** `/session` is published at least this often while energy flows, ms. */
const PUBLISH_EVERY_MS = 60_000;
const HOUR = 3_600_000;

/** Tracks, stores and answers charging sessions. */
export class Sessions {
  readonly log: SessionLog;
  private readonly tracks = new Map<string, Track>();
  /** W of all charging chargers at their latest readings. */
  private chargingPower = 0;
  /** The grid import at `gridAt` (ms), null when stale or missing (cached per instant). */
  private gridAt = Number.NaN;
  private gridImport: number | null = null;
  /** The price in force over [priceFrom, priceTo), currency/kWh. */
  private price = 0;
  private priceFrom = 0;
  private priceTo = Number.NEGATIVE_INFINITY;
  private readonly cur: EnergyMarks = { at: 0, total: null, sessionEnergy: null, power: null };
  private saveTimer?: TimerHandle;
  private saveDue = Number.POSITIVE_INFINITY;
  private warnings: string[] = [];
  private orphans: OpenSession[] = [];
  private offTariff?: () => void;
  private readonly hasGrid: boolean;
  /** Record contexts of one-way and bidirectional chargers (made once: records are built every minute per charger). */
  private ctxs?: [RecordContext, RecordContext];

  constructor(private readonly deps: SessionDeps) {
    this.log = new SessionLog(deps.dataDir);
    this.hasGrid = deps.grid !== undefined;
  }

  /** Reads sessions.jsonl (setting a torn last line aside) and the open sessions saved in state.json. */
  load(): void {
    const now = this.deps.clock.now();
    const scan = this.log.scan(now);
    this.warnings = scan.warnings;
    const saved = this.deps.store.sessions();
    const ids = new Set(this.deps.chargers().map((c) => c.id));
    for (const c of this.deps.chargers()) {
      const t = this.track(c.id);
      t.lastEnded = scan.lastByCharger.get(c.id) ?? null;
      const s = parseOpenSession(saved[c.id]);
      // an id already in the log was stored just before a crash, before state.json caught up
      if (s && s.charger === c.id && !scan.ids.has(s.id)) {
        t.open = s;
        t.restored = true;
        t.present = true;
      }
      c.session = t.open ? toRecord(t.open, this.ctx(c), null, now) : t.lastEnded;
    }
    for (const [id, v] of Object.entries(saved)) {
      const s = parseOpenSession(v);
      if (s && !ids.has(id) && !scan.ids.has(s.id)) this.orphans.push(s);
    }
    this.offTariff = this.deps.tariff?.onChange(() => {
      this.priceTo = Number.NEGATIVE_INFINITY;
    });
    // a charger that went offline no longer counts in the site's charging power
    this.deps.bus.on(this, 'device.availability', ({ id, online }) => {
      const t = this.tracks.get(id);
      if (online || !t) return;
      this.chargingPower -= t.contribution;
      t.contribution = 0;
    });
  }

  /** After the MQTT connection is up: the load's warnings (log and bridge/logging); sessions of chargers no longer configured are ended. */
  async announce(): Promise<void> {
    for (const w of this.warnings) this.deps.log.warn(w);
    this.warnings = [];
    const orphans = this.orphans;
    this.orphans = [];
    for (const s of orphans) {
      const rec = toRecord(s, { ...this.baseCtx(), bidirectional: s.discharged > 0 }, s.lastSeen, s.lastSeen);
      await this.log.append(rec).catch((e: Error) => this.appendFailed(rec, e));
      this.deps.log.info(
        { session: s.id },
        'session of a charger no longer configured ended at its last-seen time',
      );
    }
    if (orphans.length > 0) this.save();
  }

  /** Saves the open sessions now and stops the save timer. */
  stop(): void {
    this.offTariff?.();
    this.deps.bus.off(this);
    if (this.saveTimer) this.save();
  }

  /**
   * One reading of a charger: the hot path at every poll (a few numbers, no allocation, no disk
   * unless a session starts or ends).
   */
  onReading(c: SessionCharger, r: ChargerReading): void {
    const now = this.deps.clock.now();
    const t = this.track(c.id);
    const v = r.values;
    const power = typeof v.power === 'number' ? v.power : null;
    const contribution = r.charging && power !== null && power > 0 ? power : 0;
    this.chargingPower += contribution - t.contribution;
    t.contribution = contribution;
    const tx = r.transaction;
    const present = r.vehicleConnected || (tx !== undefined && tx.id !== null && tx.stopReason === null);
    const cur = this.cur;
    cur.at = now;
    cur.total = typeof v.total_energy === 'number' ? v.total_energy : null;
    cur.sessionEnergy = typeof v.session_energy === 'number' ? v.session_energy : null;
    cur.power = power;
    const s = t.open;
    if (s) {
      if (t.restored) {
        t.restored = false;
        if (!present) {
          t.present = false;
          void this.end(c, t, s.lastSeen);
          return;
        }
        this.deps.log.info({ session: s.id }, 'session goes on after the restart');
      }
      this.account(c, s, r.charging);
      let news = false;
      if (tx) news = this.noteTransaction(s, tx);
      if (!present) {
        t.present = false;
        void this.end(c, t, now);
        return;
      }
      s.lastSeen = now;
      if (s.modes[s.modes.length - 1] !== c.mode && !s.modes.includes(c.mode)) {
        s.modes.push(c.mode);
        news = true;
      }
      const flowed = s.energy !== t.publishedEnergy || s.discharged !== t.publishedDischarged || r.charging;
      if (news || (flowed && now - t.publishedAt >= PUBLISH_EVERY_MS)) this.publishOpen(c, t, s, now);
      this.markDirty(news ? URGENT_SAVE_MS : PROGRESS_SAVE_MS);
    } else if (present && t.present === false) {
      const n = newSession(c.id, now, { ...cur, charging: r.charging });
      n.modes.push(c.mode);
      if (power !== null) n.maxPower = power;
      if (tx) this.noteTransaction(n, tx);
      t.open = n;
      this.deps.log.info({ session: n.id, charger: c.id }, 'vehicle plugged in: session started');
      this.publishOpen(c, t, n, now);
      this.markDirty(URGENT_SAVE_MS);
    }
    t.present = present;
  }

  /** `bridge/request/sessions` as a function (the web interface offers the same request): the request object in, the response out. */
  async request(req: Record<string, unknown>): Promise<SessionsResponse> {
    const { transaction, ...body } = req;
    let out: SessionsResponse;
    try {
      out = { status: 'ok', data: await this.query(body) };
    } catch (e) {
      out = { status: 'error', data: {}, error: (e as Error).message };
    }
    if (transaction !== undefined) out.transaction = transaction;
    return out;
  }

  /** The data of a sessions request; throws an Error naming every malformed field. */
  async query(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const chargers = this.deps.chargers();
    const now = this.deps.clock.now();
    return answerQuery(body, {
      chargers: chargers.map((c) => c.id),
      timezone: this.deps.timezone,
      stored: () => this.log.readAll(),
      active: () =>
        chargers.flatMap((c) => {
          const s = this.tracks.get(c.id)?.open;
          return s ? [toRecord(s, this.ctx(c), null, now)] : [];
        }),
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  private track(id: string): Track {
    let t = this.tracks.get(id);
    if (!t) {
      t = new Track();
      this.tracks.set(id, t);
    }
    return t;
  }

  private baseCtx(): Omit<RecordContext, 'bidirectional'> {
    return {
      timezone: this.deps.timezone,
      currency: this.deps.tariff?.currency ?? null,
      hasGrid: this.hasGrid,
    };
  }

  private ctx(c: SessionCharger): RecordContext {
    this.ctxs ??= [
      { ...this.baseCtx(), bidirectional: false },
      { ...this.baseCtx(), bidirectional: true },
    ];
    return this.ctxs[c.caps.bidirectional ? 1 : 0];
  }

  /** Adds the interval from the session's marks to this reading (`this.cur`) and moves the marks. */
  private account(c: SessionCharger, s: OpenSession, charging: boolean): void {
    const cur = this.cur;
    const maxGap = Math.max(3 * c.cfg.poll_interval * 1000, 30_000);
    const dt = cur.at - s.at;
    const e = chargedEnergy(s, cur, maxGap);
    const d = c.caps.bidirectional ? dischargedEnergy(s, cur, maxGap) : 0;
    if (dt > 0 && (e > 0 || d > 0 || (s.charging && dt <= maxGap))) s.chargingMs += dt;
    if (e > 0) {
      const f = gridFraction(this.chargingPower, this.gridNow(cur.at));
      const grid = e * f;
      s.energy += e;
      s.solar += e - grid;
      if (this.deps.tariff) s.cost += this.cost(grid, e - grid, s.at, cur.at);
    }
    s.discharged += d;
    if (cur.power !== null && (s.maxPower === null || cur.power > s.maxPower)) s.maxPower = cur.power;
    s.at = cur.at;
    s.total = cur.total;
    s.sessionEnergy = cur.sessionEnergy;
    s.power = cur.power;
    s.charging = charging;
  }

  /** The grid import now, W; null when there is no grid meter or it is stale. */
  private gridNow(now: number): number | null {
    const g = this.deps.grid;
    if (!g) return null;
    if (now !== this.gridAt) {
      const v = g.value();
      this.gridImport = v.stale || v.value === null ? null : v.value;
      this.gridAt = now;
    }
    return this.gridImport;
  }

  /** Cost of an interval [t0, t1), with the price in force cached until it changes. */
  private cost(grid: number, solar: number, t0: number, t1: number): number {
    const feedIn = this.deps.feedIn;
    if (t0 >= this.priceFrom && t1 <= this.priceTo) return grid * this.price + solar * feedIn;
    const tariff = this.deps.tariff!;
    const c = intervalCost(grid, solar, t0, t1, tariff.segments(t0, Math.max(t1, t0 + 1)), feedIn);
    // the slot in force at t1 (neighbours with the same price merged), which the next intervals share
    const slot = tariff.segments(t1 - HOUR, t1 + HOUR).find((x) => x.start <= t1 && t1 < x.end);
    if (slot) {
      this.price = slot.price;
      this.priceFrom = slot.start;
      this.priceTo = slot.end;
    }
    return c;
  }

  /** Takes the first accepted transaction's id and tag, and its stop reason; true when that is news. */
  private noteTransaction(s: OpenSession, tx: TransactionInfo): boolean {
    s.hasTransactions = true;
    if (tx.id === null) return false;
    if (s.transactionId === null) {
      s.transactionId = tx.id;
      s.idTag = tx.idTag;
      s.stopReason = tx.stopReason;
      return true;
    }
    if (tx.id === s.transactionId && tx.stopReason !== s.stopReason) {
      s.stopReason = tx.stopReason;
      return true;
    }
    return false;
  }

  private publishOpen(c: SessionCharger, t: Track, s: OpenSession, now: number): void {
    t.publishedAt = now;
    t.publishedEnergy = s.energy;
    t.publishedDischarged = s.discharged;
    this.publish(c, toRecord(s, this.ctx(c), null, now));
  }

  private publish(c: SessionCharger, rec: SessionRecord | null): void {
    c.session = rec;
    this.deps.bus.emit('device.session', { id: c.id, session: rec });
  }

  /** Ends `t.open` at `endMs`: its line is flushed to disk, then `/session` says ended. */
  private async end(c: SessionCharger, t: Track, endMs: number): Promise<void> {
    const s = t.open!;
    t.open = null;
    t.restored = false;
    const rec = toRecord(s, this.ctx(c), endMs, endMs);
    // a charger that keeps transactions (OCPP): a plug-in with no accepted transaction and no energy was refused
    if (s.hasTransactions && s.transactionId === null && s.energy === 0) {
      this.deps.log.info({ session: s.id }, 'plug-in without an accepted transaction: no session');
      this.publish(c, t.lastEnded);
      this.markDirty(URGENT_SAVE_MS);
      return;
    }
    t.ending = s;
    try {
      await this.log.append(rec);
    } catch (e) {
      this.appendFailed(rec, e as Error);
    }
    t.ending = null;
    t.lastEnded = rec;
    this.markDirty(URGENT_SAVE_MS);
    this.deps.log.info(
      { session: rec.id, energy: rec.energy, cost: rec.cost, solar_share: rec.solar_share },
      'vehicle unplugged: session ended',
    );
    this.publish(c, rec);
  }

  private appendFailed(rec: SessionRecord, e: Error): void {
    this.deps.log.error(
      { err: e.message, file: this.log.file, session: rec },
      `cannot store session ${rec.id} in ${this.log.file} (${e.message}); check data_dir is writable`,
    );
  }

  /** Saves state.json within `ms` (an earlier save already due stands). */
  private markDirty(ms: number): void {
    const due = this.deps.clock.now() + ms;
    if (this.saveTimer && this.saveDue <= due) return;
    this.deps.clock.clearTimeout(this.saveTimer);
    this.saveDue = due;
    this.saveTimer = this.deps.clock.setTimeout(() => this.save(), ms);
  }

  /** Writes every open (or still ending) session to state.json in one write. */
  private save(): void {
    this.deps.clock.clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.saveDue = Number.POSITIVE_INFINITY;
    const out: Record<string, OpenSession> = {};
    for (const [id, t] of this.tracks) {
      const s = t.open ?? t.ending;
      if (s) out[id] = s;
    }
    this.deps.store.saveSessions(out);
  }
}
