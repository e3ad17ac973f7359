#!/usr/bin/env node
import mqtt from 'mqtt';
import { loadConfig } from './config/load.js';

/**
 * Container health check: asks the running bridge `bridge/request/health_check` over MQTT and
 * exits 0 when it answers `ok` within 5 s, 1 otherwise (with the reason on stderr).
 */
async function main(): Promise<number> {
  const file = process.env.EVSE2MQTT_CONFIG ?? 'config/configuration.yaml';
  const { config } = loadConfig(file);
  const embedded = config.mqtt.server === 'embedded';
  const url = embedded ? `mqtt://127.0.0.1:${config.embedded_broker.port}` : config.mqtt.server;
  const base = config.mqtt.base_topic;
  const client = mqtt.connect(url, {
    clientId: `${config.mqtt.client_id}-hc`,
    username: embedded ? config.embedded_broker.user : config.mqtt.user,
    password: embedded ? config.embedded_broker.password : config.mqtt.password,
    reconnectPeriod: 0,
    connectTimeout: 4000,
    rejectUnauthorized: config.mqtt.reject_unauthorized,
  });
  const transaction = `hc-${process.pid}-${Date.now()}`;
  try {
    return await new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        process.stderr.write('no answer to bridge/request/health_check within 5 s\n');
        resolve(1);
      }, 5000);
      client.on('error', (e) => {
        clearTimeout(timer);
        process.stderr.write(`MQTT: ${e.message}\n`);
        resolve(1);
      });
      client.on('message', (_t, payload) => {
        try {
          const r = JSON.parse(payload.toString()) as { status?: string; transaction?: string };
          if (r.transaction !== transaction) return;
          clearTimeout(timer);
          resolve(r.status === 'ok' ? 0 : 1);
        } catch {
          /* not ours */
        }
      });
      client.on('connect', () => {
        client.subscribe(`${base}/bridge/response/health_check`, { qos: 1 }, () => {
          client.publish(`${base}/bridge/request/health_check`, JSON.stringify({ transaction }), { qos: 1 });
        });
      });
    });
  } finally {
    client.end(true);
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  },
);
