/** An InfluxDB point per ended charging session, at its end time, over a real HTTP write. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { EventBus } from '../../src/core/bus.js';
import { InfluxOutput, sessionLine } from '../../src/outputs/influx.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ENDED: SessionRecord = {
  id: 'garage-1796392800',
  charger: 'garage',
  state: 'ended',
  start: '2026-12-04T15:00:00+01:00',
  end: '2026-12-04T16:30:00+01:00',
  energy: 7.42,
  solar_energy: 5.1,
  solar_share: 0.687,
  cost: 0.988,
  currency: 'EUR',
  average_price: 0.1332,
  max_power: 7360,
  duration: 5400,
  charging_time: 3720,
  modes: ['solar'],
};

describe('the InfluxDB point of a session', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('carries energy, solar energy, cost and duration, stamped with the end', () => {
    expect(sessionLine(ENDED)).toBe(
      'evse2mqtt_session,charger=garage energy=7.42,solar_energy=5.1,cost=0.988,duration=5400,charging_time=3720,max_power=7360 1796398200000',
    );
    expect(sessionLine({ ...ENDED, solar_energy: null, cost: null })).toBe(
      'evse2mqtt_session,charger=garage energy=7.42,duration=5400,charging_time=3720,max_power=7360 1796398200000',
    );
  });

  it('is written once the session has ended, not while it is active', async () => {
    const bodies: string[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const bus = new EventBus();
    const out = new InfluxOutput(
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, org: 'home', bucket: 'evse' },
      { bus, clock: new ManualClock(), log: new MemoryLog().bundle.log, devices: () => [] },
    );
    out.start();
    bus.emit('device.session', { id: 'garage', session: { ...ENDED, state: 'active', end: null } });
    bus.emit('device.session', { id: 'garage', session: ENDED });
    await out.stop();
    expect(bodies.join('\n').split('\n')).toEqual([sessionLine(ENDED)]);
  });
});
