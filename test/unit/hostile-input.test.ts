import fs, { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { type FileOps, writeFileDurably } from '../../src/core/durable-write.js';
import { listProblems } from '../../src/core/problems.js';
import { StateStore } from '../../src/core/state-store.js';
import { implausible } from '../../src/meters/plausible.js';
import { redactUrl } from '../../src/mqtt/connection.js';

describe('error answers to hostile commands', () => {
  it('names the first 10 problems and counts the rest, under 16 KiB whatever was sent', () => {
    const problems = Array.from({ length: 50_000 }, (_, i) => `unknown key "k${i}"; writable keys: enabled`);
    const text = listProblems(problems);
    expect(text.startsWith('unknown key "k0"; writable keys: enabled; unknown key "k1"')).toBe(true);
    expect(text.endsWith('unknown key "k9"; writable keys: enabled; and 49990 more problems')).toBe(true);
    const long = listProblems(Array.from({ length: 12 }, () => `unknown key "${'x'.repeat(60_000)}"`));
    expect(Buffer.byteLength(long)).toBeLessThan(16 * 1024);
    expect(long.endsWith('; and 2 more problems')).toBe(true);
  });

  it('leaves a few problems as they are', () => {
    expect(listProblems(['a', 'b'])).toBe('a; b');
  });
});

describe('implausible meter readings', () => {
  it('refuses powers beyond 10 MW (and what is not a number) and currents beyond 10 kA', () => {
    expect(implausible(1.7e308, { power: 1.7e308 })).toBe('power beyond ±10 MW');
    expect(implausible(Number.POSITIVE_INFINITY, { power: 1 })).toBe('power beyond ±10 MW');
    expect(implausible(Number.NaN, { power: Number.NaN })).toBe('power beyond ±10 MW');
    expect(implausible(-10_000_001, { power: -10_000_001 })).toBe('power beyond ±10 MW');
    expect(implausible(500, { power: 500, current_l2: -20_000 })).toBe('a current beyond ±10 kA');
    expect(implausible(-9_999_999, { power: -9_999_999, current_l1: 63, current_l3: null })).toBeNull();
  });
});

describe('URL credentials', () => {
  it('redacts the whole userinfo, even with an unescaped @ or / in the password', () => {
    expect(redactUrl('mqtt://user:pass@host:1883')).toBe('mqtt://[redacted]@host:1883');
    expect(redactUrl('http://u:p@ss/w@influx:8086/x?y=1')).toBe('http://[redacted]@influx:8086/x?y=1');
    expect(redactUrl('mqtts://host:8883')).toBe('mqtts://host:8883');
  });
});

describe('saving state.json', () => {
  it('fsyncs the file before the rename and the folder after it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-durable-'));
    const file = path.join(dir, 'state.json');
    const calls: string[] = [];
    const name = new Map<number, string>();
    const ops: FileOps = {
      mkdirSync: fs.mkdirSync,
      openSync: ((p: string, flags: string) => {
        const fd = fs.openSync(p, flags);
        name.set(fd, path.basename(p));
        calls.push(`open ${path.basename(p)}`);
        return fd;
      }) as FileOps['openSync'],
      writeSync: ((fd: number, text: string) => {
        calls.push(`write ${name.get(fd)}`);
        return fs.writeSync(fd, text);
      }) as FileOps['writeSync'],
      fsyncSync: (fd: number) => {
        calls.push(`fsync ${name.get(fd)}`);
        fs.fsyncSync(fd);
      },
      closeSync: (fd: number) => {
        calls.push(`close ${name.get(fd)}`);
        fs.closeSync(fd);
      },
      renameSync: (a: fs.PathLike, b: fs.PathLike) => {
        calls.push(`rename ${path.basename(String(a))} ${path.basename(String(b))}`);
        fs.renameSync(a, b);
      },
    };
    try {
      writeFileDurably(file, '{"a":1}\n', ops);
      const d = path.basename(dir);
      expect(calls).toEqual([
        'open state.json.tmp',
        'write state.json.tmp',
        'fsync state.json.tmp',
        'close state.json.tmp',
        'rename state.json.tmp state.json',
        `open ${d}`,
        `fsync ${d}`,
        `close ${d}`,
      ]);
      expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is what the state store saves with: the saved mode survives a restart', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-durable-'));
    try {
      const log = pino({ level: 'silent' });
      new StateStore(dir, log).saveCharger('garage', { mode: 'fast' });
      const again = new StateStore(dir, log);
      again.load();
      expect(again.charger('garage').mode).toBe('fast');
      expect(fs.existsSync(path.join(dir, 'state.json.tmp'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
