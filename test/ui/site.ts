import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/core/logger.js';
import { OpenEvseSimulator } from '../../src/drivers/openevse/simulator.js';
import { PulsatrixSimulator } from '../../src/drivers/pulsatrix/simulator.js';

/** Secrets configured on the test site; none may ever reach the page. */
export const SECRETS = {
  broker: 'broker-pw-UI-3141',
  charger: 'charger-pw-UI-2718',
  token: 'page-token-UI-1618',
};

/** A bridge with simulated chargers and the web page, for the browser tests. */
export interface Site {
  bridge: Bridge;
  /** The page's URL, e.g. http://127.0.0.1:41234/ (with base_url). */
  url: string;
  port: number;
  openevse: OpenEvseSimulator;
  pulsatrix: PulsatrixSimulator;
  /** Extra OpenEVSE simulators (`chargers` option). */
  extra: OpenEvseSimulator[];
  /** An MQTT client on the bridge's embedded broker (the grid meter's topic is `test/grid`). */
  mqtt: MqttClient;
  /** Stops the bridge and starts a new one on the same ports (a bridge restart). */
  restart(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface SiteOptions {
  base_url?: string;
  auth_token?: string;
  read_only?: boolean;
  /** Extra OpenEVSE chargers (c001…) besides the two named ones. */
  chargers?: number;
  /** s after which the grid meter is stale (default 30). */
  gridMaxAge?: number;
}

const quiet = () => createLogger('info', { write: () => undefined });

/** Starts the simulators, a bridge on an embedded broker (free port) and the page (free port). */
export async function startSite(opts: SiteOptions = {}): Promise<Site> {
  const openevse = new OpenEvseSimulator({ user: 'admin', password: SECRETS.charger });
  const pulsatrix = new PulsatrixSimulator({ ownLimit: 32 });
  await openevse.start();
  await pulsatrix.start();
  openevse.startPhysics(500);
  pulsatrix.startPhysics(500);
  const extra: OpenEvseSimulator[] = [];
  for (let i = 0; i < (opts.chargers ?? 0); i++) {
    const s = new OpenEvseSimulator();
    await s.start();
    extra.push(s);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'evse2mqtt-ui-'));
  const raw = {
    mqtt: { server: 'embedded' },
    embedded_broker: { host: '127.0.0.1', port: 0, user: 'bridge', password: SECRETS.broker },
    data_dir: dataDir,
    homie: { enabled: false },
    frontend: {
      port: 0,
      ...(opts.base_url ? { base_url: opts.base_url } : {}),
      ...(opts.auth_token ? { auth_token: opts.auth_token } : {}),
      ...(opts.read_only ? { read_only: true } : {}),
    },
    chargers: [
      {
        id: 'garage',
        name: 'Garage',
        type: 'openevse',
        host: '127.0.0.1',
        port: openevse.port,
        user: 'admin',
        password: SECRETS.charger,
        max_current: 32,
        poll_interval: 1,
        smart_charging: { deadline: '07:00', energy: 12, minimum_energy: 0 },
      },
      {
        id: 'carport',
        name: 'Carport',
        type: 'pulsatrix',
        host: '127.0.0.1',
        port: pulsatrix.port,
        max_current: 16,
        phases: 3,
        poll_interval: 1,
      },
      ...extra.map((s, i) => ({
        id: `c${String(i + 1).padStart(3, '0')}`,
        name: `Charger ${i + 1}`,
        type: 'openevse',
        host: '127.0.0.1',
        port: s.port,
        max_current: 32,
        poll_interval: 5,
      })),
    ],
    meters: [
      {
        id: 'grid',
        role: 'grid',
        type: 'mqtt',
        topic: 'test/grid',
        value: 'power',
        max_age: opts.gridMaxAge ?? 30,
      },
    ],
    tariff: {
      currency: 'EUR',
      zones: [
        { from: '02:00', to: '06:00', price: 0.16 },
        { from: '17:00', to: '20:00', price: 0.36 },
      ],
      default_price: 0.25,
    },
  };
  const result = validateConfig(raw, {});
  if (!result.config) throw new Error(JSON.stringify(result.problems));
  let config: Config = result.config;
  let bridge = new Bridge({ config, logger: quiet(), retainedWindowMs: 200 });
  await bridge.start();
  await bridge.ready;
  const brokerPort = bridge.broker!.port;
  const port = bridge.frontend!.port;
  // later bridges (restart) take the same ports
  config = {
    ...config,
    embedded_broker: { ...config.embedded_broker, port: brokerPort },
    frontend: { ...config.frontend, port },
  };
  const client = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
    username: 'bridge',
    password: SECRETS.broker,
    reconnectPeriod: 200,
  });
  await new Promise<void>((r) => client.once('connect', () => r()));
  const site: Site = {
    bridge,
    url: `http://127.0.0.1:${port}${config.frontend.base_url}`,
    port,
    openevse,
    pulsatrix,
    extra,
    mqtt: client,
    restart: async ({ downMs = 1500 } = {}) => {
      await bridge.stop();
      await new Promise((r) => setTimeout(r, downMs));
      bridge = new Bridge({ config, logger: quiet(), retainedWindowMs: 200 });
      site.bridge = bridge;
      await bridge.start();
      await bridge.ready;
    },
    stop: async () => {
      client.end(true);
      await bridge.stop();
      for (const s of [openevse, pulsatrix]) {
        s.stopPhysics();
        await s.stop();
      }
      for (const s of extra) await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return site;
}

/** Publishes a grid reading (W, + import) on the grid meter's topic. */
export function publishGrid(site: Site, watts: number): Promise<void> {
  return new Promise((resolve, reject) =>
    site.mqtt.publish('test/grid', JSON.stringify({ power: watts }), { qos: 1 }, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
}
