/**
 * Benchmark child process: the baseline loop. The same work as the bridge's steady state with no
 * bridge logic: an in-process Aedes broker (like the bridge's embedded one, TCP_NODELAY), one
 * mqtt.js client over TCP to it, and for each simulated charger the same protocol requests the
 * driver makes per poll (OpenEVSE GET /status, TechnoVE GET /station/get/info, pulsatrix the four
 * GET /api/v1/*, Quasar the same Modbus register blocks), plus the WebSocket push channels of
 * OpenEVSE and pulsatrix; after each poll or push one retained QoS 1 JSON state per charger.
 * Polls are scheduled as the bridge schedules them: charger i of N on the slots
 * start + (pollPhase(i, N) + k) × pollMs, so both spread the same load over the interval.
 */
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { Aedes } from 'aedes';
import ModbusRTU from 'modbus-serial';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { pollPhase, untilNextSlot } from '../core/poll-slots.js';
import { API_BASE, parseDeviceJson, TOPICS, WS_PATH } from '../drivers/pulsatrix/wire.js';
import { PATHS } from '../drivers/technove/wire.js';
import { READ_BLOCKS } from '../drivers/wallbox-quasar/registers.js';
import { forgetTransactions } from '../transport/modbus.js';
import type { BaselineStart, FromBaseline, SimInfo } from './common.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function send(msg: FromBaseline): void {
  process.send?.(msg);
}

/** GET a path on a simulator; resolves with the body text. */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** One charger's poll: returns its raw state object. */
type Reader = () => Promise<Record<string, unknown>>;

function reader(sim: SimInfo): Reader {
  switch (sim.type) {
    case 'openevse':
      return async () => JSON.parse(await get(sim.port, '/status')) as Record<string, unknown>;
    case 'technove':
      return async () => JSON.parse(await get(sim.port, PATHS.info)) as Record<string, unknown>;
    case 'pulsatrix':
      return async () => {
        const bodies = await Promise.all(TOPICS.map((t) => get(sim.port, `${API_BASE}/${t}`)));
        const out: Record<string, unknown> = {};
        TOPICS.forEach((t, i) => {
          out[t] = parseDeviceJson(bodies[i]!);
        });
        return out;
      };
    case 'wallbox-quasar': {
      const client = new ModbusRTU.default();
      let connected: Promise<void> | undefined;
      return async () => {
        connected ??= client.connectTCP('127.0.0.1', { port: sim.port }).then(() => {
          client.setID(1);
          client.setTimeout(3000); // modbus-serial sets TCP_NODELAY itself
        });
        await connected;
        const words: Record<string, number> = {};
        for (const [first, count] of READ_BLOCKS) {
          const r = await client.readHoldingRegisters(first, count);
          r.data.forEach((w, i) => {
            words[String(first + i)] = w;
          });
        }
        forgetTransactions(client); // the same modbus-serial work-around as the bridge's client
        return words;
      };
    }
  }
}

/** Opens the push channel of a push charger; each frame is merged into `state` and published. */
function listen(sim: SimInfo, onFrame: (frame: Record<string, unknown>) => void): WebSocket | undefined {
  if (sim.type !== 'openevse' && sim.type !== 'pulsatrix') return undefined;
  const path = sim.type === 'openevse' ? '/ws' : WS_PATH;
  const ws = new WebSocket(`ws://127.0.0.1:${sim.port}${path}`);
  ws.on('message', (data) => {
    try {
      const text = data.toString();
      const frame =
        sim.type === 'pulsatrix' ? parseDeviceJson(text) : (JSON.parse(text) as Record<string, unknown>);
      onFrame(frame);
    } catch {
      /* ignore what does not parse */
    }
  });
  ws.on('error', () => {});
  return ws;
}

async function run(cfg: BaselineStart): Promise<void> {
  const broker = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  send({ op: 'broker', port });
  const client: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'baseline',
    protocolVersion: 4,
    reconnectPeriod: 1000,
  });
  (client.stream as Socket).setNoDelay(true);
  const publish = (id: string, state: Record<string, unknown>) =>
    client
      .publishAsync(`${cfg.baseTopic}/${id}`, JSON.stringify(state), { qos: 1, retain: true })
      .catch(() => {});

  const start = Date.now();
  for (const [i, sim] of cfg.sims.entries()) {
    const read = reader(sim);
    const anchor = start + Math.floor(pollPhase(i, cfg.sims.length) * cfg.pollMs);
    let state: Record<string, unknown> = {};
    listen(sim, (frame) => {
      state = { ...state, ...frame };
      void publish(sim.id, { ...state, last_seen: new Date().toISOString() });
    });
    const poll = async () => {
      try {
        state = { ...state, ...(await read()) };
        await publish(sim.id, { ...state, last_seen: new Date().toISOString() });
      } catch {
        /* a failed poll is retried at the next interval */
      }
      setTimeout(() => void poll(), untilNextSlot(Date.now(), anchor, cfg.pollMs));
    };
    void poll();
  }
  send({ op: 'polling' });
}

process.on('message', (msg: BaselineStart) => {
  if (msg.op === 'start') run(msg).catch((e: Error) => send({ op: 'error', message: e.message }));
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
