import { pino } from 'pino';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/mqtt/embedded-broker.js';

const silent = pino({ level: 'silent' });

/** An in-process Aedes broker on a free loopback port (or `port`, to restart on the same one). */
export async function startBroker(
  port = 0,
  auth?: { user: string; password: string },
): Promise<EmbeddedBroker> {
  return startEmbeddedBroker({ host: '127.0.0.1', port, log: silent, ...(auth ?? {}) });
}
