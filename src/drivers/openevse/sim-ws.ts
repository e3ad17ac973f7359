import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { floodFrames } from '../../sim/hostile.js';

/** Keys of the controller's state group: a change of one pushes them all, as its $AT event does. */
const STATE_GROUP = [
  'state',
  'status',
  'vehicle',
  'pilot',
  'max_current',
  'manual_override',
  'flags',
  'colour',
];

/**
 * The WiFi firmware's `/ws` push on the simulator's HTTP server: a new client gets the whole
 * status, then partial objects with the keys that changed; `{"ping":1}` is answered `{"pong":1}`.
 */
export class StatusPush {
  private wss?: WebSocketServer;
  private readonly clients = new Set<WebSocket>();
  private lastPushed: Record<string, unknown> = {};

  /** `status` computes the full GET /status object. */
  constructor(private readonly status: () => Record<string, unknown>) {}

  /** Serves `/ws` upgrades on `server`. */
  attach(server: http.Server): void {
    const wss = new WebSocketServer({ noServer: true });
    this.wss = wss;
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (!req.url?.startsWith('/ws')) {
        socket.destroy();
        return;
      }
      // the firmware registers /ws without the auth pre-check (see the driver README)
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.add(ws);
        ws.on('close', () => this.clients.delete(ws));
        ws.on('error', () => ws.terminate());
        ws.on('message', (data) => {
          try {
            const msg = JSON.parse(data.toString()) as Record<string, unknown>;
            if ('ping' in msg) ws.send(JSON.stringify({ pong: 1 }));
          } catch {
            /* the firmware ignores what it cannot parse */
          }
        });
        const full = this.status();
        this.lastPushed = full;
        ws.send(JSON.stringify(full));
      });
    });
  }

  /** Closes every client and the WebSocket server. */
  detach(): void {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
    this.wss?.close();
    this.wss = undefined;
  }

  /** A hostile device: pushes `text` `count` times at once to every /ws client. */
  flood(count: number, text: string): void {
    for (const ws of this.clients) floodFrames(ws, count, text);
  }

  /** Number of open /ws clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Pushes the keys that changed since the last push; a `periodic` push only while charging (state 3). */
  changed(periodic = false): void {
    const now = this.status();
    if (this.clients.size === 0) {
      this.lastPushed = now;
      return;
    }
    const frame: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(now)) {
      if (k === 'time') continue;
      if (this.lastPushed[k] !== v) frame[k] = v;
    }
    if (STATE_GROUP.some((k) => k in frame)) for (const k of STATE_GROUP) frame[k] = now[k];
    this.lastPushed = now;
    if (Object.keys(frame).length === 0 || (periodic && now.state !== 3 && !('state' in frame))) return;
    const text = JSON.stringify(frame);
    for (const ws of this.clients) ws.send(text);
  }
}
