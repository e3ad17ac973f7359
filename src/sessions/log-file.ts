/**
 * `<data_dir>/sessions.jsonl`: one line per ended session, appended and flushed to disk (fsync)
 * before the session is published as ended. A torn last line (a power cut in the middle of a
 * write) is moved to `sessions.jsonl.torn-<ms>` at start with a warning; nothing else is lost.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionRecord } from './types.js';

/** What the start-up read found. */
export interface LogScan {
  /** The last ended session per charger. */
  lastByCharger: Map<string, SessionRecord>;
  /** Ids of every stored session. */
  ids: Set<string>;
  /** Warnings to log (a torn last line set aside, unreadable lines skipped). */
  warnings: string[];
}

/** Reads a record line; null when it is not a session record. */
export function parseRecordLine(line: string): SessionRecord | null {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const r = v as Record<string, unknown>;
    return typeof r.id === 'string' && typeof r.charger === 'string' && typeof r.start === 'string'
      ? (v as SessionRecord)
      : null;
  } catch {
    return null;
  }
}

/** The session log of one data_dir. */
export class SessionLog {
  readonly file: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.resolve(dataDir, 'sessions.jsonl');
  }

  /** Reads the file at start; a torn last line is cut off and kept beside it. Synchronous: runs once before polling starts. */
  scan(now: number): LogScan {
    const out: LogScan = { lastByCharger: new Map(), ids: new Set(), warnings: [] };
    if (!existsSync(this.file)) return out;
    let text = readFileSync(this.file, 'utf8');
    const lastNl = text.lastIndexOf('\n');
    const tail = text.slice(lastNl + 1);
    const tailRecord = tail.trim() === '' ? null : parseRecordLine(tail);
    if (tail.trim() !== '') {
      // a last line without its newline is torn unless it parses whole; keep it, then end it
      if (tailRecord) {
        writeFileSync(this.file, '\n', { flag: 'a' });
        text += '\n';
      } else {
        const aside = `${this.file}.torn-${now}`;
        writeFileSync(aside, tail);
        truncateSync(this.file, Buffer.byteLength(text.slice(0, lastNl + 1)));
        text = text.slice(0, lastNl + 1);
        out.warnings.push(
          `the last line of ${this.file} was torn (${Buffer.byteLength(tail)} bytes, a write cut short); moved to ${aside}; every complete session is kept`,
        );
      }
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const r = parseRecordLine(line);
      if (!r) {
        bad += 1;
        continue;
      }
      out.ids.add(r.id);
      out.lastByCharger.set(r.charger, r);
    }
    if (bad > 0) out.warnings.push(`${bad} unreadable line(s) in ${this.file} skipped (left in the file)`);
    return out;
  }

  /** Appends one ended session and flushes it to disk; appends run one after the other. */
  append(record: SessionRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const run = this.chain.then(async () => {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const fh = await open(this.file, 'a');
      try {
        await fh.writeFile(line);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Every stored session, in file order (oldest first); unreadable lines are skipped. */
  async readAll(): Promise<SessionRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: SessionRecord[] = [];
    let from = 0;
    while (from < text.length) {
      let to = text.indexOf('\n', from);
      if (to < 0) to = text.length;
      if (to > from) {
        const r = parseRecordLine(text.slice(from, to));
        if (r) out.push(r);
      }
      from = to + 1;
    }
    return out;
  }
}

/** Synchronous append with fsync (tests and tools that write a log directly). */
export function appendRecordSync(file: string, record: SessionRecord): void {
  const fd = openSync(file, 'a');
  try {
    writeFileSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
