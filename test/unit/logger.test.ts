import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { createLogger, resolveLogFormat } from '../../src/core/logger.js';

/** A logger writing to memory in `format`; returns what it wrote. */
function capture(format: 'pretty' | 'json', colorize = false) {
  const lines: string[] = [];
  const bundle = createLogger('info', { write: (s: string) => void lines.push(s) }, { format, colorize });
  return { log: bundle.log, lines };
}

describe('log format', () => {
  it('is JSON when stdout is not a terminal and readable lines when it is (log.format: auto)', () => {
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('auto', true)).toBe('pretty');
  });

  it('is what log.format forces, terminal or not', () => {
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
    expect(resolveLogFormat('json', true)).toBe('json');
  });

  it('defaults log.format to auto and names the allowed values when it is wrong', () => {
    expect(validateConfig({}, {}).config?.log.format).toBe('auto');
    expect(validateConfig({ log: { format: 'pretty' } }, {}).config?.log.format).toBe('pretty');
    const bad = validateConfig({ log: { format: 'fancy' } }, {});
    expect(bad.config).toBeUndefined();
    expect(bad.problems).toContainEqual({
      path: 'log.format',
      reason: 'must be one of auto, pretty, json, got "fancy"',
    });
  });

  it('prints a readable line: time, level, module and charger, message, the other fields', () => {
    const { log, lines } = capture('pretty');
    log.child({ module: 'charger', charger: 'garage' }).info({ charge_current: 10 }, 'command sent');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\] INFO: charger garage: command sent \{"charge_current":10\}\n$/,
    );
  });

  it('colours the level of a readable line when asked', () => {
    const { log, lines } = capture('pretty', true);
    log.child({ module: 'bridge' }).warn('meter stale');
    // ANSI yellow around WARN
    expect(lines[0]).toContain('\u001b[33mWARN\u001b[39m');
  });

  it('writes JSON lines in json format', () => {
    const { log, lines } = capture('json');
    log.child({ module: 'bridge' }).info({ chargers: 2 }, 'bridge ready');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      module: 'bridge',
      chargers: 2,
      msg: 'bridge ready',
    });
  });

  it('redacts secrets in both formats', () => {
    for (const format of ['pretty', 'json'] as const) {
      const { log, lines } = capture(format);
      log.info({ config: { mqtt: { password: 'hunter2' } }, token: 'tok-123' }, 'starting');
      const text = lines.join('');
      expect(text).toContain('starting');
      expect(text).toContain('[redacted]');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('tok-123');
    }
  });
});
