#!/usr/bin/env node
import v8 from 'node:v8';
import { main } from './cli-main.js';

// V8 lets its heap grow to ~4x the live data while collecting is cheap: at 1000 chargers ~75 MB
// live became a 320 MB heap and a 430 MB process. Growing by half at most keeps the peak near
// 280 MB for ~1 point of CPU (BENCHMARKS.md). Set here rather than in every way of starting the
// process; a --heap-growing-percent given in NODE_OPTIONS or on the node command line wins.
if (!`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('--heap-growing-percent'))
  v8.setFlagsFromString('--heap-growing-percent=50');

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
