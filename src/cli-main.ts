import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge } from './bridge.js';
import { ConfigError, loadConfig, readConfigFile, validateConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { createLogger, type LogFormat, type LogOutput, resolveLogFormat } from './core/logger.js';
import { VERSION } from './core/version.js';
import { startDemo } from './demo.js';

const USAGE = `evse2mqtt ${VERSION}: EV chargers and energy meters on MQTT

Usage:
  evse2mqtt [--config FILE] [--check]

  --config FILE   configuration (YAML); also EVSE2MQTT_CONFIG=FILE. Default: config/configuration.yaml;
                  without one the demo runs (simulated chargers and meters, embedded broker)
  --check         validate the configuration and exit: 0 valid (warnings on stderr), 1 invalid
  --version       print the version
  --help          this text
`;

/** Where the CLI writes and what it reads (tests pass their own). */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  /** stdout is a terminal (logs are then readable lines with `log.format: auto`). */
  isTty?: boolean;
}

const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  isTty: process.stdout.isTTY === true,
};

/** Entry point: parses arguments, validates, runs the bridge or the demo, handles signals. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (args.values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (args.values.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const given = args.values.config ?? io.env.EVSE2MQTT_CONFIG;
  const fallback = path.resolve('config/configuration.yaml');
  const file = given ?? (existsSync(fallback) ? fallback : undefined);

  if (args.values.check) {
    if (!file) {
      io.stderr('nothing to check: give --config FILE (or EVSE2MQTT_CONFIG, or config/configuration.yaml)\n');
      return 1;
    }
    return check(file, io);
  }

  if (!file) return runDemo(io);

  let config: Config;
  try {
    const loaded = loadConfig(file, io.env);
    config = loaded.config;
    for (const w of loaded.warnings) io.stderr(`warning: ${w}\n`);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`invalid configuration ${file}:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const logger = createLogger(config.log.level, undefined, logOutput(config.log.format, io));
  logger.log.info({ version: VERSION, config: path.resolve(file) }, 'evse2mqtt starting');
  let bridge: Bridge | undefined;
  // bridge/request/restart: stop (chargers left as they are) and start again with the file read anew
  const start = async (cfg: Config): Promise<boolean> => {
    const b = new Bridge({ config: cfg, logger, onRestart: () => void restart() });
    bridge = b;
    try {
      await b.start();
      return true;
    } catch (e) {
      logger.log.error({ err: (e as Error).message }, `cannot start: ${(e as Error).message}`);
      await b.stop().catch(() => {});
      return false;
    }
  };
  const restart = async () => {
    let next = config;
    try {
      next = loadConfig(file, io.env).config;
    } catch (e) {
      logger.log.error(
        { err: (e as Error).message },
        'restart: the configuration is invalid now; keeping the running one',
      );
      return;
    }
    await bridge?.stop();
    logger.setLevel(next.log.level);
    await start(next);
  };
  if (!(await start(config))) return 1;
  return waitForSignal(async () => bridge?.stop({ exit: true }), logger.log);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    strict: true,
    allowPositionals: false,
  });
}

/** --check: every problem as `path: reason` on stderr; opens no network connection. */
function check(file: string, io: CliIo): number {
  try {
    const result = validateConfig(readConfigFile(file), io.env);
    for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
    if (result.config) {
      io.stderr(`${file}: valid\n`);
      return 0;
    }
    for (const p of result.problems) io.stderr(`${p.path}: ${p.reason}\n`);
    return 1;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function runDemo(io: CliIo): Promise<number> {
  const logger = createLogger(
    (io.env.EVSE2MQTT_LOG_LEVEL as 'info' | undefined) ?? 'info',
    undefined,
    logOutput('auto', io),
  );
  logger.log.info(
    { version: VERSION },
    'no --config and no config/configuration.yaml: running the DEMO (simulated chargers and meters on loopback, embedded broker)',
  );
  const demo = await startDemo(logger);
  return waitForSignal(() => demo.stop(), logger.log);
}

/** The log output for `log.format`: `auto` is readable on a terminal, JSON otherwise; colours on a terminal unless NO_COLOR. */
function logOutput(format: LogFormat, io: CliIo): LogOutput {
  const tty = io.isTty ?? false;
  return { format: resolveLogFormat(format, tty), colorize: tty && !io.env.NO_COLOR };
}

/** Resolves with the exit code after SIGTERM/SIGINT; a second signal exits at once; 5 s at most. */
function waitForSignal(
  stop: () => Promise<void>,
  log: { info(o: object, m: string): void },
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        log.info({ signal: sig }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal: sig }, 'stopping (send the signal again to exit at once)');
      const hard = setTimeout(() => {
        log.info({}, 'shutdown took more than 5 s; exiting');
        process.exit(0);
      }, 5000);
      hard.unref();
      stop()
        .catch(() => {})
        .finally(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
