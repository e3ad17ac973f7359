import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { floodFrames } from './hostile.js';

/**
 * The WebSocket push channel of a device simulator, on the simulator's own HTTP server: upgrades
 * on one path, a set of open clients, text frames to all of them, and a flood for hostile tests.
 */
export class PushServer {
  private wss?: WebSocketServer;
  private readonly clients = new Set<WebSocket>();

  /** Accepts upgrades under `path`; `onOpen` greets each client, `onText` gets its frames. */
  attach(
    server: http.Server,
    path: string,
    onOpen: (ws: WebSocket) => void,
    onText?: (ws: WebSocket, text: string) => void,
  ): void {
    const wss = new WebSocketServer({ noServer: true });
    this.wss = wss;
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (!req.url?.startsWith(path)) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.add(ws);
        ws.on('close', () => this.clients.delete(ws));
        ws.on('error', () => ws.terminate());
        if (onText) ws.on('message', (data) => onText(ws, data.toString()));
        onOpen(ws);
      });
    });
  }

  /** Drops every client and stops accepting (the device went away). */
  detach(): void {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
    this.wss?.close();
    this.wss = undefined;
  }

  /** Sends one text frame to every client. */
  send(text: string): void {
    for (const ws of this.clients) ws.send(text);
  }

  /** A hostile device: `text` `count` times at once to every client. */
  flood(count: number, text: string): void {
    for (const ws of this.clients) floodFrames(ws, count, text);
  }

  /** Number of open clients. */
  get size(): number {
    return this.clients.size;
  }
}
