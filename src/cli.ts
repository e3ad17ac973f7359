#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge } from './bridge.js';
import { ConfigError, loadConfig, readConfigFile, validateConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { createLogger } from './core/logger.js';
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

/** Entry point: parses arguments, validates, runs the bridge or the demo, handles signals. */
async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const given = args.values.config ?? process.env.EVSE2MQTT_CONFIG;
  const fallback = path.resolve('config/configuration.yaml');
  const file = given ?? (existsSync(fallback) ? fallback : undefined);

  if (args.values.check) {
    if (!file) {
      process.stderr.write(
        'nothing to check: give --config FILE (or EVSE2MQTT_CONFIG, or config/configuration.yaml)\n',
      );
      return 1;
    }
    return check(file);
  }

  if (!file) return runDemo();

  let config: Config;
  try {
    const loaded = loadConfig(file);
    config = loaded.config;
    for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`invalid configuration ${file}:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const logger = createLogger(config.log.level);
  logger.log.info({ version: VERSION, config: path.resolve(file) }, 'evse2mqtt starting');
  const bridge = new Bridge({ config, logger });
  try {
    await bridge.start();
  } catch (e) {
    logger.log.error({ err: (e as Error).message }, `cannot start: ${(e as Error).message}`);
    await bridge.stop().catch(() => {});
    return 1;
  }
  return waitForSignal(async () => bridge.stop({ exit: true }), logger.log);
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
function check(file: string): number {
  try {
    const result = validateConfig(readConfigFile(file));
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    if (result.config) {
      process.stderr.write(`${file}: valid\n`);
      return 0;
    }
    for (const p of result.problems) process.stderr.write(`${p.path}: ${p.reason}\n`);
    return 1;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function runDemo(): Promise<number> {
  const logger = createLogger((process.env.EVSE2MQTT_LOG_LEVEL as 'info' | undefined) ?? 'info');
  logger.log.info(
    { version: VERSION },
    'no --config and no config/configuration.yaml: running the DEMO (simulated chargers and meters on loopback, embedded broker)',
  );
  const demo = await startDemo(logger);
  return waitForSignal(() => demo.stop(), logger.log);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // a clean stop leaves no handles; the timer only guards against a library that keeps one
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: Error) => {
    process.stderr.write(`evse2mqtt: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
