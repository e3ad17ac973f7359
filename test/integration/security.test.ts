import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { openevseCharger, startHarness } from '../helpers/harness.js';
import { MemoryLog } from '../helpers/logs.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MOSQUITTO, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const tools = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    execFileSync('mosquitto_passwd', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined;
  }
})();

// Broker security against a real Mosquitto with a password file and a certificate made here;
// reported as skipped by name where mosquitto (and its mosquitto_passwd) or openssl is missing.
const suite = MOSQUITTO && tools ? describe : describe.skip;

suite(
  MOSQUITTO && tools
    ? 'a secured broker (Mosquitto, password file, TLS)'
    : 'a secured broker (skipped: mosquitto or openssl missing)',
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-sec-'));
    const passwd = path.join(dir, 'passwd');
    const ca = path.join(dir, 'ca.crt');
    let plain: Mosquitto;
    let tls: Mosquitto;
    let sim: OpenEvseSimulator;

    beforeAll(async () => {
      execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'bridge', 's3cret-pw']);
      const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      run([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=evse2mqtt test CA',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
      ]);
      run([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-keyout',
        'server.key',
        '-out',
        'server.csr',
      ]);
      writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      run([
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        'san.ext',
        '-out',
        'server.crt',
      ]);
      plain = await startMosquitto([`password_file ${passwd}`, 'allow_anonymous false']);
      tls = await startMosquitto([
        `password_file ${passwd}`,
        'allow_anonymous false',
        `cafile ${ca}`,
        `certfile ${path.join(dir, 'server.crt')}`,
        `keyfile ${path.join(dir, 'server.key')}`,
      ]);
      sim = new OpenEvseSimulator();
      await sim.start();
    });

    afterAll(async () => {
      await plain?.stop();
      await tls?.stop();
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('connects with user and password (main and Homie connections) and keeps the password out of logs and MQTT', async () => {
      const h = await startHarness({
        brokerUrl: plain.url,
        mqtt: { user: 'bridge', password: 's3cret-pw' },
        recorder: { username: 'bridge', password: 's3cret-pw' },
        chargers: [openevseCharger(sim.port)],
      });
      await h.rec.waitFor((m) => m.topic === 'homie/evse2mqtt-garage/$state' && m.payload === 'ready');
      expect(h.rec.json('evse2mqtt/bridge/state')).toEqual({ state: 'online' });
      expect(h.logs.text()).not.toContain('s3cret-pw');
      expect(h.rec.messages.some((m) => m.payload.includes('s3cret-pw'))).toBe(false);
      await h.stop({ keepBroker: true });
    });

    it('with a wrong password logs one clear line per attempt, backs off, and never crashes', async () => {
      const logs = new MemoryLog();
      const clock = new ManualClock();
      const cfg = validateConfig(
        {
          mqtt: { server: plain.url, user: 'bridge', password: 'wrong-pw', client_id: 'e2mwrong' },
          data_dir: dir,
          frontend: { enabled: false },
          chargers: [],
        },
        {},
      ).config!;
      const bridge = new Bridge({ config: cfg, clock, logger: logs.bundle });
      await bridge.start();
      for (const ms of [200, 1000, 2000, 4000]) await clock.advance(ms, 150);
      const lines = logs.find(
        'MQTT broker unreachable (the broker refused the login: check mqtt.user and mqtt.password (and the broker ACL))',
      );
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.map((l) => l.retry_in_s)).toEqual(lines.map((_, i) => Math.min(60, 2 ** i)));
      expect(logs.text()).not.toContain('wrong-pw');
      await bridge.stop();
    });

    it('connects over TLS with the CA, and refuses a certificate it cannot verify', async () => {
      const url = tls.url.replace('mqtt://', 'mqtts://');
      const h = await startHarness({
        brokerUrl: url,
        mqtt: { user: 'bridge', password: 's3cret-pw', ca },
        recorder: { username: 'bridge', password: 's3cret-pw', ca: readFileSync(ca) },
        chargers: [openevseCharger(sim.port)],
      });
      expect(h.rec.json('evse2mqtt/bridge/state')).toEqual({ state: 'online' });
      await h.stop({ keepBroker: true });

      const logs = new MemoryLog();
      const clock = new ManualClock();
      const cfg = validateConfig(
        {
          mqtt: { server: url, user: 'bridge', password: 's3cret-pw', client_id: 'e2mnoca' },
          data_dir: dir,
          frontend: { enabled: false },
        },
        {},
      ).config!;
      const bridge = new Bridge({ config: cfg, clock, logger: logs.bundle });
      await bridge.start();
      await clock.advance(300, 300);
      expect(
        logs
          .find('MQTT broker unreachable')
          .map((l) => l.msg)
          .join('\n'),
      ).toMatch(/self.signed|certificate/i);
      await bridge.stop();
    });
  },
);
