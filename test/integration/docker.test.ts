import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readConfigFile, validateConfig } from '../../src/config/load.js';

const compose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('deployment files', () => {
  // docker-compose (Debian's package) parses and validates the file without a Docker engine; CI installs it
  (compose ? it : it.skip)(
    compose
      ? 'docker/docker-compose.yml is valid for docker-compose config'
      : 'docker/docker-compose.yml is valid (skipped: docker-compose is not installed)',
    () => {
      const out = execFileSync('docker-compose', ['-f', 'docker/docker-compose.yml', 'config'], {
        env: { ...process.env, Z2M_MQTT_PASSWORD: 'x', EVSE2MQTT_MQTT_PASSWORD: 'y' },
        encoding: 'utf8',
      });
      const doc = parse(out) as { services: Record<string, { environment?: Record<string, string> }> };
      expect(Object.keys(doc.services).sort()).toEqual(['evse2mqtt', 'mosquitto', 'zigbee2mqtt']);
      expect(doc.services.evse2mqtt!.environment!.EVSE2MQTT_MQTT_SERVER).toBe('mqtt://mosquitto:1883');
    },
  );

  it('the compose configuration validates and reads a Zigbee2MQTT meter from the shared broker', () => {
    const r = validateConfig(readConfigFile('docker/configuration.yaml'), {
      EVSE2MQTT_MQTT_SERVER: 'mqtt://mosquitto:1883',
      EVSE2MQTT_MQTT_USER: 'evse2mqtt',
      EVSE2MQTT_MQTT_PASSWORD: 'y',
    });
    expect(r.problems).toEqual([]);
    expect(r.config!.meters[0]).toMatchObject({
      type: 'mqtt',
      topic: 'zigbee2mqtt/main_meter',
      role: 'grid',
    });
  });

  it('the image runs as a non-root user and has a health check', () => {
    const dockerfile = readFileSync('docker/Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*dist\/healthcheck\.js/m);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
  });
});
