import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { main } from '../../src/cli-main.js';
import { validateConfig } from '../../src/config/load.js';

const charger = (extra: Record<string, unknown> = {}) => ({
  id: 'garage',
  type: 'openevse',
  host: '192.168.1.50',
  max_current: 32,
  ...extra,
});

/** The `path: reason` lines of an invalid configuration. */
function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  const r = validateConfig(raw, env);
  expect(r.config).toBeUndefined();
  return r.problems.map((p) => `${p.path}: ${p.reason}`);
}

describe('configuration defaults and overrides', () => {
  it('fills the documented defaults', () => {
    const r = validateConfig({ chargers: [charger()] }, {});
    expect(r.problems).toEqual([]);
    const c = r.config!;
    expect(c.mqtt).toMatchObject({
      server: 'embedded',
      base_topic: 'evse2mqtt',
      version: 'auto',
      reject_unauthorized: true,
    });
    expect(c.mqtt.client_id).toMatch(/^e2m[0-9a-f]{8}$/);
    expect(c.embedded_broker).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(c.data_dir).toBe('./data');
    expect(c.homeassistant).toEqual({
      enabled: true,
      discovery_topic: 'homeassistant',
      status_topic: 'homeassistant/status',
    });
    expect(c.homie).toEqual({ enabled: true, base_topic: 'homie' });
    expect(c.log.level).toBe('info');
    expect(c.chargers[0]).toMatchObject({
      name: 'garage',
      port: 80,
      poll_interval: 5,
      min_current: 6,
      max_discharge_current: 0,
      min_state_of_charge: 20,
      phases: 1,
      voltage: 230,
      watchdog: 60,
      mode: 'manual',
      on_exit: 'release',
      unit_id: 1,
    });
    expect(c.site).toMatchObject({
      max_current: null,
      residual_power: 0,
      load_follow_target: 100,
      failsafe: 'min_current',
      interval: 10,
    });
  });

  it('uses per-type defaults: 8 A minimum for technove, port 502 for wallbox-quasar', () => {
    const r = validateConfig(
      {
        chargers: [
          charger({ id: 'a', type: 'technove', host: 'a' }),
          charger({ id: 'b', type: 'wallbox-quasar', host: 'b' }),
        ],
      },
      {},
    );
    expect(r.config!.chargers[0]).toMatchObject({ min_current: 8, port: 80 });
    expect(r.config!.chargers[1]).toMatchObject({ min_current: 6, port: 502 });
  });

  it('lets the closed list of environment variables win over the file', () => {
    const r = validateConfig(
      {
        mqtt: { server: 'mqtt://file:1883', base_topic: 'fromfile', user: 'u1', password: 'p1' },
        log: { level: 'info' },
      },
      {
        EVSE2MQTT_MQTT_SERVER: 'mqtt://env:1883',
        EVSE2MQTT_MQTT_USER: 'u2',
        EVSE2MQTT_MQTT_PASSWORD: 'p2',
        EVSE2MQTT_MQTT_BASE_TOPIC: 'fromenv',
        EVSE2MQTT_LOG_LEVEL: 'debug',
        EVSE2MQTT_OTHER: 'ignored',
      },
    );
    expect(r.config!.mqtt).toMatchObject({
      server: 'mqtt://env:1883',
      user: 'u2',
      password: 'p2',
      base_topic: 'fromenv',
    });
    expect(r.config!.log.level).toBe('debug');
  });
});

describe('invalid configurations stop start-up with the key path and the reason', () => {
  it.each([
    [
      'max_current below min_current',
      { chargers: [charger({ max_current: 5 })] },
      'chargers[0].max_current: must be >= min_current (6)',
    ],
    [
      'max_current above 80',
      { chargers: [charger({ max_current: 96 })] },
      'chargers[0].max_current: must be <= 80, got 96',
    ],
    [
      'max_current missing',
      { chargers: [{ id: 'g', type: 'openevse', host: 'h' }] },
      'chargers[0].max_current: is required',
    ],
    [
      'min_current below 6',
      { chargers: [charger({ min_current: 5 })] },
      'chargers[0].min_current: must be >= 6 for openevse, got 5',
    ],
    [
      'technove min_current below 8',
      { chargers: [charger({ type: 'technove', min_current: 6 })] },
      'chargers[0].min_current: must be >= 8 for technove, got 6',
    ],
    [
      'an upper-case id',
      { chargers: [charger({ id: 'Garage' })] },
      'chargers[0].id: must be lower-case letters, digits and inner hyphens, got "Garage"',
    ],
    [
      'an id ending in a hyphen',
      { chargers: [charger({ id: 'garage-' })] },
      'chargers[0].id: must be lower-case letters, digits and inner hyphens, got "garage-"',
    ],
    [
      'the reserved id bridge',
      { chargers: [charger({ id: 'bridge' })] },
      'chargers[0].id: "bridge" is reserved by the bridge; choose another id',
    ],
    [
      'the reserved id site',
      { chargers: [charger({ id: 'site' })] },
      'chargers[0].id: "site" is reserved by the bridge; choose another id',
    ],
    [
      'an id shared by a charger and a meter',
      { chargers: [charger()], meters: [{ id: 'garage', role: 'pv', type: 'mqtt', topic: 'x' }] },
      'meters[0].id: "garage" is already used by chargers[0]',
    ],
    [
      'an unknown type',
      { chargers: [charger({ type: 'zappi' })] },
      'chargers[0].type: must be one of openevse, technove, pulsatrix, wallbox-quasar, ocpp, got "zappi"',
    ],
    [
      'a missing host',
      { chargers: [{ id: 'g', type: 'openevse', max_current: 16 }] },
      'chargers[0].host: is required',
    ],
    [
      'two chargers on one host and port',
      { chargers: [charger({ id: 'a' }), charger({ id: 'b' })] },
      'chargers[1].host: same host and port (192.168.1.50:80) as chargers[0]',
    ],
    [
      'discharge on a charger that cannot',
      { chargers: [charger({ max_discharge_current: 10 })] },
      'chargers[0].max_discharge_current: openevse cannot discharge; leave it 0',
    ],
    [
      'solar without a grid meter',
      { chargers: [charger({ mode: 'solar' })] },
      'chargers[0].mode: solar needs a grid meter (a meter with role: grid)',
    ],
    [
      'load_follow on a charger that cannot discharge',
      {
        chargers: [charger({ mode: 'load_follow' })],
        meters: [{ id: 'g', role: 'grid', type: 'mqtt', topic: 'x' }],
      },
      'chargers[0].mode: load_follow needs a bidirectional charger (wallbox-quasar), not openevse',
    ],
    [
      'smart without a policy',
      { chargers: [charger({ mode: 'smart' })] },
      'chargers[0].mode: smart needs a policy: add smart_charging with deadline ("HH:MM") and energy (kWh)',
    ],
    [
      'a malformed deadline',
      { chargers: [charger({ smart_charging: { deadline: '7h', energy: 20 } })] },
      'chargers[0].smart_charging.deadline: must be "HH:MM" (24 h), got "7h"',
    ],
    ['an unknown charger key', { chargers: [charger({ colour: 'red' })] }, 'chargers[0].colour: unknown key'],
    ['an unknown top-level key', { chargers: [], mqqt: {} }, 'mqqt: unknown key'],
    [
      'a base topic with a wildcard',
      { mqtt: { base_topic: 'evse/#' } },
      'mqtt.base_topic: must be a topic without + # $ and without a leading or trailing /, got "evse/#"',
    ],
    [
      'a base topic with a trailing slash',
      { mqtt: { base_topic: 'evse/' } },
      'mqtt.base_topic: must be a topic without + # $ and without a leading or trailing /, got "evse/"',
    ],
    [
      'a base topic equal to the discovery prefix',
      { mqtt: { base_topic: 'homeassistant' } },
      'mqtt.base_topic: must differ from homeassistant.discovery_topic (homeassistant)',
    ],
    [
      'a base topic equal to the Homie root',
      { mqtt: { base_topic: 'homie' } },
      'mqtt.base_topic: must differ from homie.base_topic (homie)',
    ],
    [
      'MQTT 5 with the embedded broker',
      { mqtt: { version: 5 } },
      'mqtt.version: 5 needs an external broker: the embedded broker speaks MQTT 3.1.1 only (use auto or 4)',
    ],
    [
      'an embedded broker on a LAN address without credentials',
      { embedded_broker: { host: '0.0.0.0' } },
      'embedded_broker.user: a non-loopback host (0.0.0.0) needs embedded_broker.user and embedded_broker.password',
    ],
    [
      'an unknown log level',
      { log: { level: 'verbose' } },
      'log.level: must be one of trace, debug, info, warn, error, got "verbose"',
    ],
    [
      'two grid meters',
      {
        meters: [
          { id: 'a', role: 'grid', type: 'mqtt', topic: 'a' },
          { id: 'b', role: 'grid', type: 'mqtt', topic: 'b' },
        ],
      },
      'meters[1].role: at most one meter may have role grid',
    ],
    [
      'an mqtt meter without a topic',
      { meters: [{ id: 'a', role: 'pv', type: 'mqtt' }] },
      'meters[0].topic: is required for type mqtt',
    ],
    [
      'a slow grid meter under load management',
      {
        site: { max_current: 40 },
        meters: [{ id: 'a', role: 'grid', type: 'mqtt', topic: 'a', max_age: 60 }],
      },
      'meters[0].max_age: must be <= 30 for a grid meter used by site.max_current, got 60',
    ],
    [
      'overlapping tariff zones',
      {
        tariff: {
          default_price: 0.25,
          zones: [
            { from: '22:00', to: '06:00', price: 0.1 },
            { from: '05:00', to: '07:00', price: 0.2 },
          ],
        },
      },
      'tariff.zones[1]: overlaps tariff.zones[0]',
    ],
    [
      'an unknown time zone',
      { site: { timezone: 'Mars/Olympus' } },
      'site.timezone: unknown IANA time zone "Mars/Olympus"',
    ],
    ['a section that is not a mapping', { mqtt: 'mqtt://x' }, 'mqtt: must be a mapping (key: value lines)'],
  ])('rejects %s', (_name, raw, line) => {
    expect(problems(raw)).toContain(line);
  });

  it('lists every problem at once', () => {
    const lines = problems({
      mqtt: { version: 7 },
      chargers: [charger({ max_current: 2 }), charger({ id: 'X', host: 'other' })],
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'mqtt.version: must be one of auto, 4, 5, got 7',
        'chargers[1].id: must be lower-case letters, digits and inner hyphens, got "X"',
      ]),
    );
  });

  it('warns when load_follow may never discharge (max_discharge_current 0)', () => {
    const r = validateConfig(
      {
        chargers: [
          { id: 'v2h', type: 'wallbox-quasar', host: '10.0.0.9', max_current: 32, mode: 'load_follow' },
        ],
        meters: [{ id: 'g', role: 'grid', type: 'mqtt', topic: 'x' }],
      },
      {},
    );
    expect(r.problems).toEqual([]);
    expect(r.warnings).toContain(
      'chargers[0].max_discharge_current: 0 with mode load_follow: it only charges from export and never discharges',
    );
  });

  it('warns when site.max_current relies on a charger without a watchdog', () => {
    const r = validateConfig({ site: { max_current: 40 }, chargers: [charger()] }, {});
    expect(r.problems).toEqual([]);
    expect(r.warnings.join('\n')).toContain('chargers[0]: openevse has no watchdog');
  });
});

describe('command line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-cli-'));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), env });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('--check exits 0 for a valid file and prints warnings on stderr', async () => {
    const f = write(
      'ok.yaml',
      'site:\n  max_current: 40\nchargers:\n  - {id: garage, type: openevse, host: 10.0.0.5, max_current: 16}\n',
    );
    const r = await run(['--config', f, '--check']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: chargers[0]: openevse has no watchdog');
  });

  it('--check exits 1 with each problem as a line `path: reason`', async () => {
    const f = write(
      'bad.yaml',
      'chargers:\n  - {id: garage, type: openevse, host: 10.0.0.5, max_current: 4}\n',
    );
    const r = await run(['--config', f, '--check']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toContain('chargers[0].max_current: must be >= min_current (6)');
  });

  it('takes the file from EVSE2MQTT_CONFIG', async () => {
    const f = write(
      'env.yaml',
      'chargers:\n  - {id: garage, type: openevse, host: 10.0.0.5, max_current: 4}\n',
    );
    const r = await run(['--check'], { EVSE2MQTT_CONFIG: f });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('chargers[0].max_current');
  });

  it('reports a YAML syntax error with its line', async () => {
    const f = write('syntax.yaml', 'mqtt:\n  server: [unclosed\n');
    const r = await run(['--config', f, '--check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/syntax\.yaml: line \d+, column \d+: /);
  });

  it('treats a given file that does not exist as an error, never the demo', async () => {
    const r = await run(['--config', path.join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.yaml: file not found');
  });

  it('refuses to start with an invalid file and lists the problems', async () => {
    const f = write('start-bad.yaml', 'mqtt:\n  version: 5\n');
    const r = await run(['--config', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mqtt.version: 5 needs an external broker');
  });

  it('rejects unknown options with the usage', async () => {
    const r = await run(['--frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage:');
  });
});
