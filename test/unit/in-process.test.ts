import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { duplexPair } from '../../src/mqtt/in-process.js';

describe('in-process duplex pair', () => {
  it('carries bytes both ways, in order', async () => {
    const [a, b] = duplexPair();
    const atB: Buffer[] = [];
    const atA: Buffer[] = [];
    b.on('data', (c: Buffer) => atB.push(c));
    a.on('data', (c: Buffer) => atA.push(c));
    a.write('one ');
    a.write(Buffer.from('two'));
    b.write('back');
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(atB).toString()).toBe('one two');
    expect(Buffer.concat(atA).toString()).toBe('back');
  });

  it('holds a writer back until the reader takes the data, losing nothing', async () => {
    const [a, b] = duplexPair();
    const chunk = Buffer.alloc(64 * 1024, 7);
    let accepted = 0;
    for (let i = 0; i < 8; i++) if (a.write(chunk)) accepted += 1;
    expect(accepted).toBeLessThan(8); // nobody reads yet: back-pressure reached the writer
    let read = 0;
    b.on('data', (c: Buffer) => {
      read += c.length;
    });
    a.end();
    await once(b, 'end');
    expect(read).toBe(8 * chunk.length);
  });

  it('ends the other side on end() and closes it on destroy(), as a socket would', async () => {
    const [a, b] = duplexPair();
    b.resume();
    a.end();
    await once(b, 'end');

    const [c, d] = duplexPair();
    const closed = once(d, 'close');
    c.destroy();
    await closed;
    expect(d.destroyed).toBe(true);
    await expect(
      new Promise((resolve, reject) => d.write('late', (e) => (e ? reject(e) : resolve(e)))),
    ).rejects.toThrow();
  });
});
