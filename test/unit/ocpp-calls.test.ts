import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { CallQueue, type CallTarget } from '../../src/drivers/ocpp/call-queue.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A charger whose answers the test releases one by one. */
function fakeCharger() {
  const calls: Array<{ method: string; params: unknown; answer: (v: unknown) => void }> = [];
  const target: CallTarget = {
    call: (method, params, opts) =>
      new Promise((resolve, reject) => {
        calls.push({ method, params, answer: resolve });
        opts.signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  };
  return { calls, target };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('calls to an OCPP charger', () => {
  it('keeps one call outstanding, and a newer target replaces a queued one for both callers', async () => {
    const clock = new ManualClock();
    const q = new CallQueue(clock);
    const { calls, target } = fakeCharger();
    q.attach(target);
    q.bootAccepted();
    const a = q.call('GetConfiguration', {}, { timeoutMs: 10_000 });
    const b = q.call('SetChargingProfile', { limit: 6 }, { timeoutMs: 10_000, key: 'target' });
    const c = q.call('SetChargingProfile', { limit: 8 }, { timeoutMs: 10_000, key: 'target' });
    await tick();
    expect(calls.map((x) => x.method)).toEqual(['GetConfiguration']);
    calls[0]!.answer({ configurationKey: [] });
    await tick();
    expect(calls.map((x) => x.params)).toEqual([{}, { limit: 8 }]);
    calls[1]!.answer({ status: 'Accepted' });
    await expect(a).resolves.toEqual({ configurationKey: [] });
    await expect(b).resolves.toEqual({ status: 'Accepted' });
    await expect(c).resolves.toEqual({ status: 'Accepted' });
  });

  it('sends nothing but boot-time calls before the BootNotification was answered', async () => {
    const clock = new ManualClock();
    const q = new CallQueue(clock);
    const { calls, target } = fakeCharger();
    q.attach(target);
    void q.call('GetConfiguration', {}, { timeoutMs: 60_000 }).catch(() => {});
    void q.call(
      'TriggerMessage',
      { requestedMessage: 'BootNotification' },
      { timeoutMs: 60_000, beforeBoot: true },
    );
    await tick();
    expect(calls.map((x) => x.method)).toEqual(['TriggerMessage']);
  });

  it('fails with "charger did not answer" at the deadline and "charger offline" when the socket closes', async () => {
    const clock = new ManualClock();
    const q = new CallQueue(clock);
    const { target } = fakeCharger();
    q.attach(target);
    q.bootAccepted();
    const late = q.call('Reset', { type: 'Soft' }, { timeoutMs: 10_000 }).catch((e: Error) => e.message);
    const queued = q.call('Reset', { type: 'Hard' }, { timeoutMs: 60_000 }).catch((e: Error) => e.message);
    await clock.advance(10_000);
    expect(await late).toBe('charger did not answer');
    q.detach();
    expect(await queued).toBe('charger offline');
    await expect(q.call('Reset', {}, { timeoutMs: 1000 })).rejects.toThrow('charger offline');
  });
});

describe('OCPP configuration checks', () => {
  const cfg = (chargers: unknown[], ocpp: Record<string, unknown> = {}) =>
    validateConfig({ chargers, ocpp }, {});
  const cp = (extra: Record<string, unknown> = {}) => ({
    id: 'carport',
    type: 'ocpp',
    charge_point_id: 'WB1',
    max_current: 16,
    ...extra,
  });
  const lines = (r: ReturnType<typeof validateConfig>) => r.problems.map((p) => `${p.path}: ${p.reason}`);

  it('fills the defaults of an OCPP charger and of the ocpp section', () => {
    const r = cfg([cp()]);
    expect(r.problems).toEqual([]);
    expect(r.config!.chargers[0]).toMatchObject({
      connector: 1,
      authorize: 'accept_all',
      remote_start: false,
      id_tag: 'evse2mqtt',
      profile: 'tx_default',
      meter_interval: 10,
    });
    expect(r.config!.ocpp).toEqual({
      host: '0.0.0.0',
      port: 8887,
      path: '/ocpp',
      heartbeat_interval: 300,
      tls: { cert: null, key: null },
    });
  });

  it('requires a unique charge_point_id and tags of at most 20 characters', () => {
    expect(lines(cfg([cp({ charge_point_id: undefined })]))).toContain(
      'chargers[0].charge_point_id: is required for type ocpp',
    );
    expect(lines(cfg([cp(), cp({ id: 'other' })]))).toContain(
      'chargers[1].charge_point_id: "WB1" is already used by chargers[0]',
    );
    expect(lines(cfg([cp({ id_tag: 'x'.repeat(21) })]))[0]).toMatch(
      /^chargers\[0\]\.id_tag: must be 1 to 20 characters/,
    );
    expect(lines(cfg([cp({ authorize: 'list', id_tags: ['ok', 'y'.repeat(21)] })]))).toContain(
      `chargers[0].id_tags[1]: must be a tag of 1 to 20 characters, got "${'y'.repeat(21)}"`,
    );
  });

  it('checks that TLS files exist', () => {
    expect(lines(cfg([cp()], { tls: { cert: '/nope/cert.pem', key: '/nope/key.pem' } }))).toEqual([
      'ocpp.tls.cert: file not found: /nope/cert.pem',
      'ocpp.tls.key: file not found: /nope/key.pem',
    ]);
  });

  it('warns when the central system listens beyond loopback and a charger has no password', () => {
    expect(cfg([cp()]).warnings.join('\n')).toContain(
      'ocpp.host: the central system listens on 0.0.0.0 and carport has no password',
    );
    expect(cfg([cp({ password: 'x' })]).warnings.join('\n')).not.toContain('no password');
    expect(cfg([cp()], { host: '127.0.0.1' }).warnings.join('\n')).not.toContain('no password');
  });

  it('says host and poll_interval do not apply to an OCPP charger', () => {
    expect(cfg([cp({ host: '10.0.0.2', poll_interval: 5 })]).warnings).toEqual(
      expect.arrayContaining([
        'chargers[0].host: ignored by ocpp',
        'chargers[0].poll_interval: ignored by ocpp',
      ]),
    );
  });
});
