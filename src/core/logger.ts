import { Writable } from 'node:stream';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { prettyStream } from './log-pretty.js';

/** Paths pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password',
  'token',
  '*.password',
  '*.token',
  '*.*.password',
  '*.*.token',
  'config.mqtt.password',
  'config.embedded_broker.password',
  'config.influxdb.token',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** `log.format`: readable lines on a terminal (auto), always readable (pretty), or JSON lines (json). */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** The format `format` means on an output that is (`isTty`) or is not a terminal. */
export function resolveLogFormat(format: LogFormat, isTty: boolean): 'pretty' | 'json' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

/** A warn/error log record as it goes out on `<base>/bridge/logging`. */
export interface LogRecord {
  level: 'warn' | 'error';
  message: string;
}

/** Receives warn and error records (the bridge/logging publisher plugs in here). */
export type LogSink = (record: LogRecord) => void;

/** Root logger plus a hook through which warn/error lines reach MQTT. */
export interface LoggerBundle {
  log: Logger;
  setSink(sink: LogSink | undefined): void;
  setLevel(level: LogLevel): void;
}

/** How createLogger writes: JSON lines (default) or readable lines, in colour or not. */
export interface LogOutput {
  format?: 'pretty' | 'json';
  /** Colours in readable lines; default true. */
  colorize?: boolean;
}

/**
 * Creates the root pino logger on `dest` (stdout by default): JSON lines, or readable lines with
 * `output.format: 'pretty'`. Secrets are redacted before either format sees a record.
 */
export function createLogger(
  level: LogLevel,
  dest: DestinationStream = pino.destination(1),
  output: LogOutput = {},
): LoggerBundle {
  let sink: LogSink | undefined;
  const mqttStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (sink) {
        try {
          const rec = JSON.parse(chunk.toString()) as {
            level: string | number;
            msg?: string;
            err?: { message?: string };
          };
          const lvl =
            rec.level === 'error' || rec.level === 'fatal' || Number(rec.level) >= 50 ? 'error' : 'warn';
          const message = rec.msg ?? rec.err?.message ?? '';
          sink({ level: lvl, message });
        } catch {
          /* a line we cannot parse is not worth an MQTT message */
        }
      }
      cb();
    },
  });
  const streams = pino.multistream([
    {
      level: 'trace' as Level,
      stream: output.format === 'pretty' ? prettyStream(dest, output.colorize ?? true) : dest,
    },
    { level: 'warn' as Level, stream: mqttStream },
  ]);
  const log = pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    streams,
  );
  return {
    log,
    setSink: (s) => {
      sink = s;
    },
    setLevel: (l) => {
      log.level = l;
    },
  };
}
