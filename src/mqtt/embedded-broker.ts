import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { type Clock, realClock } from '../core/clock.js';
import { guardFrames } from './frame-guard.js';
import { duplexPair } from './in-process.js';
import { MAX_OTHER_BYTES, RefusalLog, type TopicRules } from './topic-guard.js';

/** The largest packet a TCP client may send: the largest payload taken plus room for topic and properties, bytes. */
const MAX_PACKET_BYTES_TCP = MAX_OTHER_BYTES + 64 * 1024;

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** mqtt://host:port for clients. */
  url: string;
  host: string;
  port: number;
  /**
   * A new client connection inside the process (no TCP): the bridge's own connections use it.
   * The broker treats it as any client (user and password, will, keep-alive).
   */
  connect(): Duplex;
  /** Closes the listener, every client connection and the broker. */
  close(): Promise<void>;
}

/** Options of the embedded broker. */
export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  user?: string;
  password?: string;
  log: Logger;
  /** When the port is taken, take a free one (the demo) instead of failing. */
  fallbackToFreePort?: boolean;
  /** The bridge's topics: size limits, and outputs only its own in-process clients may publish. */
  rules?: TopicRules;
  /** Clock of the refusal log's rate limit (default: the real one). */
  clock?: Clock;
}

/**
 * Starts Aedes (MQTT 3.1.1) on a TCP port with TCP_NODELAY (docs/development.md: without it one QoS 1
 * round trip costs ~44 ms). With user and password set, every client must give them.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const inProcess = new WeakSet<object>();
  const refusals = new RefusalLog(opts.clock ?? realClock, opts.log);
  const broker = await Aedes.createBroker({
    ...(opts.user
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username === opts.user && safeEqual(password, opts.password ?? '');
            if (ok) done(null, true);
            else
              done(Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), false);
          },
        }
      : {}),
    ...(opts.rules ? { authorizePublish: guardPublish(opts.rules, inProcess, refusals) } : {}),
  });
  const connections = new Set<net.Socket | Duplex>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    broker.handle(socket);
    if (opts.rules)
      guardFrames(socket, MAX_PACKET_BYTES_TCP, (bytes) =>
        refusals.refused(
          { remote: socket.remoteAddress, bytes },
          bytes < 0
            ? 'dropped an MQTT client that sent a malformed packet length'
            : `dropped an MQTT client that announced a ${bytes}-byte packet (over the ${MAX_PACKET_BYTES_TCP / 1024} KiB limit)`,
        ),
      );
  });
  let port: number;
  try {
    port = await listen(server, opts.host, opts.port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    if (!opts.fallbackToFreePort) {
      broker.close();
      throw new Error(
        `embedded broker: port ${opts.port} on ${opts.host} is in use; set embedded_broker.port to a free port, or mqtt.server to the broker already running there`,
      );
    }
    port = await listen(server, opts.host, 0);
    opts.log.warn(
      { wanted: opts.port, port },
      `port ${opts.port} is taken; the embedded broker listens on ${port} instead`,
    );
  }
  opts.log.info({ host: opts.host, port }, 'embedded MQTT broker (Aedes, MQTT 3.1.1) listening');
  return {
    url: `mqtt://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    host: opts.host,
    port,
    connect: () => {
      const [client, server] = duplexPair();
      inProcess.add(server);
      connections.add(server);
      server.on('close', () => connections.delete(server));
      broker.handle(server);
      return client;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await drain(connections);
      await closed;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/**
 * The broker's publish rules (README, "Hostile input"): `$SYS/` is the broker's; other clients'
 * payloads over the limit of their topic are refused, and so are their publishes on the bridge's
 * own outputs (state, discovery, Homie), which only the bridge's in-process clients may write.
 * A refused publish closes that client's connection (MQTT 3.1.1 has no negative acknowledgement).
 */
function guardPublish(
  rules: TopicRules,
  inProcess: WeakSet<object>,
  refusals: RefusalLog,
): (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) => void {
  return (client, packet, done) => {
    const topic = packet.topic;
    if (topic.startsWith('$SYS/')) return done(new Error('$SYS/ topic is reserved'));
    // an obsolete will published after a restart has no client; the bridge's own have their stream
    if (!client || inProcess.has(client.conn)) return done(null);
    const bytes = packet.payload.length;
    const limit = rules.brokerLimit(topic);
    if (bytes > limit) {
      refusals.refused(
        { topic, bytes, limit_bytes: limit, client_id: client.id },
        `refused a ${bytes}-byte publish on ${topic} from ${client.id}: over the ${limit / 1024} KiB limit for that topic`,
      );
      return done(new Error('payload too large'));
    }
    if (rules.isOwnOutput(topic)) {
      refusals.refused(
        { topic, client_id: client.id },
        `refused a publish on ${topic} from ${client.id}: only evse2mqtt publishes its own state topics`,
      );
      return done(new Error('topic reserved for the bridge'));
    }
    done(null);
  };
}

/**
 * Lets every client get what the broker already accepted, then closes the connections. Aedes
 * acknowledges a QoS 1 publish before it has written it to every subscriber, so the last messages
 * of a shutdown (bridge/state offline, Homie `disconnected`) were lost when the connections were
 * destroyed at once. A few turns of the event loop, then an orderly close (pending writes go out
 * first), and after 1 s whatever is left is destroyed.
 */
async function drain(connections: Set<net.Socket | Duplex>): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  const open = [...connections].filter((s) => !s.destroyed);
  const ended = Promise.all(
    open.map((s) => new Promise((resolve) => (s.closed ? resolve(undefined) : s.once('close', resolve)))),
  );
  for (const s of open) s.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
  for (const s of connections) s.destroy();
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function safeEqual(given: Readonly<Buffer> | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? Buffer.alloc(0));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
