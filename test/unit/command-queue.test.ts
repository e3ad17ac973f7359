import { describe, expect, it } from '@jest/globals';
import { CommandQueue, SUPERSEDED } from '../../src/core/command-queue.js';
import type { CommandResult, SetOptions } from '../../src/core/set-command.js';

/** A device write the test finishes by hand. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const mqtt: SetOptions = { source: 'mqtt', rawTopic: false };
const rawTopic: SetOptions = { source: 'mqtt', rawTopic: true };
const ok = (data: Record<string, string | number | boolean | null> = {}): CommandResult => ({
  status: 'ok',
  data,
});

/** A queue whose person commands are recorded and held until `release()`. */
function queue() {
  const written: Array<{ raw: Record<string, unknown>; opts: SetOptions }> = [];
  const order: string[] = [];
  let current = gate();
  const q = new CommandQueue(async (raw, opts) => {
    written.push({ raw, opts });
    order.push(`set ${JSON.stringify(raw)}`);
    await current.promise;
    return ok({ written: written.length });
  });
  return {
    q,
    written,
    order,
    release: async () => {
      const g = current;
      current = gate();
      g.open();
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}

describe('a charger command queue', () => {
  it('writes 3000 commands sent in a burst as two writes, answers the merged-away ones superseded, and the last one with the result', async () => {
    const { q, written, release } = queue();
    const results = Array.from({ length: 3000 }, (_, i) => q.person({ charge_current: 6 + (i % 20) }, mqtt));
    const answered: CommandResult[] = [];
    results.forEach((p, i) => void p.then((r) => (answered[i] = r)));
    await new Promise((r) => setTimeout(r, 5));
    // the first is being written; 2..2999 were merged into the waiting one and answered at once
    expect(answered.filter((r) => r?.status === 'error')).toHaveLength(2998);
    expect(answered[1]).toEqual({ status: 'error', error: SUPERSEDED });
    expect(q.waiting).toBe(1);
    await release();
    await release();
    expect(written.map((w) => w.raw)).toEqual([{ charge_current: 6 }, { charge_current: 6 + (2999 % 20) }]);
    expect(await results[0]).toEqual(ok({ written: 1 }));
    expect(await results[2999]).toEqual(ok({ written: 2 }));
  });

  it('merges later keys over earlier ones and keeps which values came as raw text', async () => {
    const { q, written, release } = queue();
    void q.person({ enabled: true }, mqtt);
    void q.person({ charge_current: '10', mode: 'manual' }, rawTopic);
    void q.person({ charge_current: 12 }, mqtt);
    const last = q.person({ enabled: 'OFF' }, rawTopic);
    await release();
    await release();
    expect(written[1]!.raw).toEqual({ charge_current: 12, mode: 'manual', enabled: 'OFF' });
    expect(written[1]!.opts.rawTopic).toBe(false);
    expect([...(written[1]!.opts.rawKeys ?? [])].sort()).toEqual(['enabled', 'mode']);
    expect((await last).status).toBe('ok');
  });

  it('keeps one engine command waiting, replaced by a newer one, and runs waiting commands in the order they queued', async () => {
    const { q, order, release } = queue();
    void q.person({ charge_current: 6 }, mqtt); // being written
    const engine = (n: number) => () => {
      order.push(`engine ${n}`);
      return Promise.resolve(ok());
    };
    const first = q.control(engine(1));
    void q.person({ charge_current: 7 }, mqtt);
    const second = q.control(engine(2));
    expect(await first).toEqual({ status: 'error', error: SUPERSEDED });
    await release();
    await release();
    expect(await second).toEqual(ok());
    expect(order).toEqual(['set {"charge_current":6}', 'engine 2', 'set {"charge_current":7}']);
  });

  it('answers a command whose write throws with the rejection, and goes on with the next', async () => {
    const q = new CommandQueue(async (raw) => {
      if (raw.boom) throw new Error('driver bug');
      return ok();
    });
    await expect(q.person({ boom: true }, mqtt)).rejects.toThrow('driver bug');
    expect(await q.person({ charge_current: 6 }, mqtt)).toEqual(ok());
  });
});
