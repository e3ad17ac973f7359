import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { OcppChargePointSim } from '../../src/drivers/ocpp/simulator.js';
import { type OcppHarness, ocppCharger, startOcpp } from '../helpers/ocpp.js';

const AVAILABILITY = 'evse2mqtt/carport/availability';

/** The HTTP status of a WebSocket upgrade (101 when accepted). */
function upgradeStatus(url: string, opts: { protocols?: string[]; auth?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.protocols ?? ['ocpp1.6'], {
      ...(opts.auth
        ? { headers: { Authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } }
        : {}),
      rejectUnauthorized: false,
    });
    ws.on('upgrade', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });
}

describe('the OCPP central system at the door', () => {
  let h: OcppHarness;

  afterEach(async () => {
    await h?.stop();
  });

  it('refuses an unknown identity with 404 and names it on bridge/logging once an hour', async () => {
    h = await startOcpp();
    const since = h.rec.mark();
    expect(await upgradeStatus(`${h.endpoint}/WB999`)).toBe(404);
    expect(await upgradeStatus(`${h.endpoint}/WB999`)).toBe(404);
    const log = await h.rec.waitJson('evse2mqtt/bridge/logging', (v) => String(v.message).includes('WB999'), {
      since,
    });
    expect(log.message).toContain('charge_point_id: WB999');
    await h.clock.advance(100);
    const named = h.rec.on('evse2mqtt/bridge/logging', since).filter((m) => m.payload.includes('WB999'));
    expect(named).toHaveLength(1);
    await h.clock.advance(3_600_000);
    const later = h.rec.mark();
    expect(await upgradeStatus(`${h.endpoint}/WB999`)).toBe(404);
    await h.rec.waitJson('evse2mqtt/bridge/logging', (v) => String(v.message).includes('WB999'), {
      since: later,
    });
  });

  it('refuses a wrong or missing password with 401 and never logs the password', async () => {
    h = await startOcpp({ chargers: [ocppCharger({ password: 's3cret-pass' })] });
    expect(await upgradeStatus(`${h.endpoint}/CP1`)).toBe(401);
    expect(await upgradeStatus(`${h.endpoint}/CP1`, { auth: 'CP1:wrong' })).toBe(401);
    expect(await upgradeStatus(`${h.endpoint}/CP1`, { auth: 'CP1:s3cret-pass' })).toBe(101);
    const sim = await h.connect({ password: 's3cret-pass' });
    expect(sim.validationFailures).toEqual([]);
    expect(h.logs.text()).not.toContain('s3cret-pass');
    expect(JSON.stringify(h.rec.json('evse2mqtt/bridge/info'))).not.toContain('s3cret-pass');
  });

  it('refuses a connection without the ocpp1.6 subprotocol', async () => {
    h = await startOcpp();
    expect(await upgradeStatus(`${h.endpoint}/CP1`, { protocols: ['ocpp2.0.1'] })).toBe(400);
    expect(await upgradeStatus(`${h.endpoint}/CP1`, { protocols: ['ocpp1.6'] })).toBe(101);
  });

  it('lets a second connection with the same identity replace the first', async () => {
    h = await startOcpp();
    const first = await h.connect();
    const second = h.sim();
    await second.start();
    await h.clock.advance(100);
    await expect(first.call('Heartbeat', {})).rejects.toThrow();
    expect(await second.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(h.rec.json(AVAILABILITY)).toEqual({ state: 'online' });
  });

  it('stays online through a reconnect within 30 s and sees replayed samples as old', async () => {
    h = await startOcpp();
    const sim = await h.connect({ replaysOldSamples: true });
    await sim.sendMeterValues(new Date('2026-06-01T10:00:00Z'));
    sim.meterWh += 5000;
    await sim.sendMeterValues(new Date('2026-06-01T10:05:00Z'));
    await h.clock.advance(100);
    const energy = h.rec.json('evse2mqtt/carport').total_energy;
    const since = h.rec.mark();
    await sim.reconnect();
    await h.clock.advance(20_000);
    expect(h.rec.on(AVAILABILITY, since).map((m) => m.payload)).not.toContain('{"state":"offline"}');
    expect(h.rec.json('evse2mqtt/carport').total_energy).toBe(energy);
    // the reconnect sent no Boot: the bridge asks for one
    expect(sim.calls('TriggerMessage')).toContainEqual({ requestedMessage: 'BootNotification' });
  });

  it('does not hold up the bridge when no charger connects: it publishes the charger offline', async () => {
    h = await startOcpp();
    await h.rec.waitJson(AVAILABILITY, (v) => v.state === 'offline');
  });

  it('serves wss:// with the configured certificate', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    h = await startOcpp({ ocpp: { tls: { cert, key } } });
    const wss = h.endpoint.replace('ws://', 'wss://');
    expect(await upgradeStatus(`${wss}/CP1`)).toBe(101);
    const sim = new OcppChargePointSim({
      endpoint: wss,
      identity: 'CP1',
      wsOptions: { ca: readFileSync(cert), servername: 'localhost', checkServerIdentity: () => undefined },
    });
    try {
      await sim.start();
      expect(await sim.call('Heartbeat', {})).toHaveProperty('currentTime');
      expect(sim.validationFailures).toEqual([]);
    } finally {
      await sim.stop();
    }
  });
});
