import { Duplex } from 'node:stream';

/**
 * One end of an in-process byte pipe: what is written to it is read from its peer, with
 * back-pressure (a write completes when the peer's reader has room). Ending one end ends the
 * other's readable side; destroying one end destroys the other, as a closed socket would.
 */
class PipeEnd extends Duplex {
  peer!: PipeEnd;
  /** The peer's pending write, completed when this end's reader wants more. */
  private blocked?: () => void;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.peer.destroyed) {
      done(new Error('in-process connection closed'));
      return;
    }
    if (this.peer.push(chunk)) done();
    else this.peer.blocked = () => done();
  }

  override _read(): void {
    const resume = this.blocked;
    this.blocked = undefined;
    resume?.();
  }

  override _final(done: (e?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.blocked = undefined;
    if (!this.peer.destroyed) this.peer.destroy();
    done(err);
  }
}

/**
 * Two connected duplex streams, like the two ends of a TCP connection but without the kernel:
 * the bridge's own connections to its embedded broker use one (at 1000 chargers the loopback
 * writes were ~15 % of the bridge's CPU, BENCHMARKS.md). Node 22.6 has `stream.duplexPair()`;
 * Node 20 does not.
 */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
