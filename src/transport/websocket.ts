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
  /** Frames per second a device may push before the socket is closed as a flood (default FRAME_BUDGET). */
  frameBudget?: number;
}

/** The largest push frame accepted, bytes (larger closes the socket: code 1009). */
export const MAX_FRAME_BYTES = 256 * 1024;

/** Frames per second per socket: a device pushes a few; far more is a flood (README, "Hostile input"). */
export const FRAME_BUDGET = 50;

/** How long a flooding device is kept away before its penalty is forgotten, ms. */
const FLOOD_MEMORY_MS = 10 * 60_000;

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
  /** Frames received in the current one-second window, and when the window began (clock ms). */
  private frames = 0;
  private windowAt = 0;
  /** Floods seen lately: each one doubles the next reconnect delay again. */
  private floods = 0;
  private lastFloodAt = 0;

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
    const ws = new WebSocket(this.opts.url, {
      headers: this.opts.headers,
      handshakeTimeout: 5000,
      maxPayload: MAX_FRAME_BYTES,
    });
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
      const now = this.opts.clock.now();
      this.lastMessageAt = now;
      if (this.overBudget(now)) {
        this.flooded(ws, now);
        return;
      }
      const text = data.toString();
      this.opts.log.debug({ frame: text.length > 500 ? `${text.slice(0, 500)}…` : text }, 'ws recv');
      this.emit('message', text);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.opts.log.warn(
          { url: this.opts.url, limit_bytes: MAX_FRAME_BYTES },
          'the device pushed a frame over 256 KiB; dropped and the push socket closed',
        );
      else this.opts.log.debug({ err: err.message }, 'ws error');
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
      const delay = backoff(this.opts.baseDelayMs, this.failures + this.floods, this.opts.maxDelayMs);
      this.timer = this.opts.clock.setTimeout(() => this.connect(), delay);
    });
  }

  /** Counts a frame in its one-second window; true when the window holds more than the budget. */
  private overBudget(now: number): boolean {
    if (now - this.windowAt >= 1000) {
      this.windowAt = now;
      this.frames = 0;
    }
    this.frames += 1;
    return this.frames > (this.opts.frameBudget ?? FRAME_BUDGET);
  }

  /** A flood: the socket is closed and the next connection waits longer (back-off doubles per flood). */
  private flooded(ws: WebSocket, now: number): void {
    if (now - this.lastFloodAt > FLOOD_MEMORY_MS) this.floods = 0;
    this.floods += 1;
    this.lastFloodAt = now;
    this.frames = 0;
    this.opts.log.warn(
      { url: this.opts.url, budget: this.opts.frameBudget ?? FRAME_BUDGET, floods: this.floods },
      'the device pushed more frames per second than a device does; push socket closed, reconnecting later',
    );
    ws.removeAllListeners('message');
    ws.terminate();
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
