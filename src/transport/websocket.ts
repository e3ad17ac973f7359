import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { backoff, type Clock, type TimerHandle } from '../core/clock.js';

/** Options of a reconnecting WebSocket. */
export interface SocketOptions {
  url: string;
  headers?: Record<string, string>;
  clock: Clock;
  log: Logger;
  /** First reconnect delay, ms (doubles up to maxDelayMs). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Keepalive: send `payload` every `intervalMs`; no message at all for 2 intervals = dead socket. */
  keepalive?: { intervalMs: number; payload: string };
}

/**
 * A WebSocket client that reconnects with back-off. Events: `open`, `message` (text), `lost`
 * (closed and the first reconnect failed), `restored` (open again after `lost`).
 */
export class ReconnectingSocket extends EventEmitter {
  private ws?: WebSocket;
  private timer?: TimerHandle;
  private keepTimer?: TimerHandle;
  private failures = 0;
  private lost = false;
  private stopped = false;
  private lastMessageAt = 0;

  constructor(private readonly opts: SocketOptions) {
    super();
  }

  /** Opens the socket (and keeps it open until close()). */
  start(): void {
    this.connect();
  }

  /** Sends one text frame; false when the socket is not open. */
  send(text: string): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.opts.log.debug({ frame: text }, 'ws send');
    this.ws.send(text);
    return true;
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Closes for good. */
  close(): void {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    this.opts.clock.clearTimeout(this.keepTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.opts.url, { headers: this.opts.headers, handshakeTimeout: 5000 });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.failures = 0;
      this.lastMessageAt = this.opts.clock.now();
      this.opts.log.debug({ url: this.opts.url }, 'ws open');
      this.emit('open');
      if (this.lost) {
        this.lost = false;
        this.emit('restored');
      }
      this.scheduleKeepalive();
    });
    ws.on('message', (data) => {
      this.lastMessageAt = this.opts.clock.now();
      const text = data.toString();
      this.opts.log.debug({ frame: text.length > 500 ? `${text.slice(0, 500)}…` : text }, 'ws recv');
      this.emit('message', text);
    });
    ws.on('error', (err) => {
      this.opts.log.debug({ err: err.message }, 'ws error');
    });
    ws.on('close', () => {
      if (this.ws !== ws || this.stopped) return;
      this.opts.clock.clearTimeout(this.keepTimer);
      this.failures += 1;
      // the first failure is the close itself; a failed reconnect after it means the device is gone
      if (!opened && !this.lost && this.failures >= 2) {
        this.lost = true;
        this.emit('lost', 'push socket closed and the reconnect failed');
      }
      const delay = backoff(this.opts.baseDelayMs, this.failures, this.opts.maxDelayMs);
      this.timer = this.opts.clock.setTimeout(() => this.connect(), delay);
    });
  }

  private scheduleKeepalive(): void {
    const k = this.opts.keepalive;
    if (!k) return;
    this.keepTimer = this.opts.clock.setTimeout(() => {
      if (this.opts.clock.now() - this.lastMessageAt > 2 * k.intervalMs) {
        this.opts.log.debug('ws keepalive timed out');
        this.ws?.terminate();
        return;
      }
      this.send(k.payload);
      this.scheduleKeepalive();
    }, k.intervalMs);
  }
}
