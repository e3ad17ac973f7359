/**
 * The latency floor: the broker's own publish → delivery time. One mqtt.js client publishes QoS 1
 * messages and a second one, subscribed, receives them (both with TCP_NODELAY, as the bridge's
 * connections); one message in flight at a time, paced, so that the figure is a round trip and not
 * a queue. Used against a bare Aedes process and against the bridge's embedded broker under load.
 */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { delay, now, type Stats, stats } from './common.js';

async function connect(url: string, clientId: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 0 });
  (c.stream as Socket).setNoDelay(true);
  return c;
}

/** Measures `samples` publish → delivery times (QoS 1), one every `intervalMs`. */
export async function measureFloor(url: string, samples = 500, intervalMs = 5): Promise<Stats> {
  const tag = Math.random().toString(16).slice(2, 10);
  const pub = await connect(url, `floor-pub-${tag}`);
  const sub = await connect(url, `floor-sub-${tag}`);
  const topic = `bench/floor/${tag}`;
  await sub.subscribeAsync(topic, { qos: 1 });
  const out: number[] = [];
  let lost = 0;
  try {
    for (let i = 0; i < samples; i++) {
      const payload = String(i);
      const got = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => {
          sub.off('message', onMessage);
          resolve(undefined);
        }, 2000);
        const onMessage = (_t: string, p: Buffer) => {
          if (p.toString() !== payload) return;
          clearTimeout(timer);
          sub.off('message', onMessage);
          resolve(now());
        };
        sub.on('message', onMessage);
      });
      const t0 = now();
      pub.publish(topic, payload, { qos: 1 });
      const t1 = await got;
      if (t1 === undefined) lost += 1;
      else out.push(t1 - t0);
      await delay(intervalMs);
    }
  } finally {
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  }
  return stats(out, lost);
}
