import { createLogger, type LoggerBundle } from '../../src/core/logger.js';

/** A logger that keeps its JSON lines in memory, so tests can assert on logs (and on their absence). */
export class MemoryLog {
  readonly lines: string[] = [];
  readonly bundle: LoggerBundle;

  constructor(level: 'trace' | 'debug' | 'info' = 'debug') {
    this.bundle = createLogger(level, { write: (s: string) => void this.lines.push(s) });
  }

  /** Parsed records. */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Records whose msg contains `text`. */
  find(text: string): Array<Record<string, unknown>> {
    return this.records().filter((r) => typeof r.msg === 'string' && r.msg.includes(text));
  }

  /** All lines joined (to check that a secret never appears). */
  text(): string {
    return this.lines.join('\n');
  }
}
