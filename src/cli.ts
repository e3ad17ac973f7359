#!/usr/bin/env node
import { main } from './cli-main.js';

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
