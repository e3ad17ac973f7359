import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

/** Keys shown in front of the message (who speaks), so they are not repeated after it. */
const WHO = ['module', 'charger', 'meter', 'homie'];

/**
 * A stream that turns pino's JSON lines into readable ones on `dest`: local time, the level (in
 * colour when `colorize`), the module and charger or meter, the message, then the remaining
 * fields as compact JSON on the same line. Synchronous, so nothing is lost at exit.
 */
export function prettyStream(dest: DestinationStream, colorize: boolean): DestinationStream {
  const format = pinoPretty.prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss',
    ignore: WHO.join(','),
    singleLine: true,
    messageFormat: (log, key, _level, { colors }) => {
      const who = WHO.filter((k) => k !== 'module' && typeof log[k] === 'string').map((k) => log[k]);
      const module = typeof log.module === 'string' ? log.module : '';
      const prefix = [module, ...who].filter(Boolean).join(' ');
      return `${prefix ? `${colors.bold(prefix)}: ` : ''}${String(log[key] ?? '')}`;
    },
  });
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = format(chunk.toString());
      if (text) dest.write(text);
      cb();
    },
  });
}
