import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * What a hostile (or badly broken) device answers to every HTTP request, so tests keep the bridge's
 * limits honest (README, "Hostile input"):
 * - `huge`: announces a 600 MiB JSON body and streams it as fast as the client reads;
 * - `endless`: a chunked body that never ends (until the client hangs up);
 * - `undeclared`: 2 MiB without content-length, then the connection closes.
 */
export type HostileReply = 'huge' | 'endless' | 'undeclared';

const MiB = 1024 * 1024;
/** One 64 KiB chunk of JSON-ish filler, written again and again (no allocation per write). */
const FILLER = Buffer.alloc(64 * 1024, '9');

/** Answers `res` as a hostile device would; stops writing when the client goes away. */
export function sendHostile(res: ServerResponse, mode: HostileReply): void {
  const limit = mode === 'huge' ? 600 * MiB : mode === 'undeclared' ? 2 * MiB : Number.POSITIVE_INFINITY;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (mode === 'huge') headers['Content-Length'] = String(limit);
  if (mode === 'undeclared') headers.Connection = 'close';
  res.writeHead(200, headers);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < limit) {
      const n = Math.min(FILLER.length, limit - sent);
      sent += n;
      if (!res.write(n === FILLER.length ? FILLER : FILLER.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => res.off('drain', pump));
  pump();
}

/** Pushes `count` frames of `text` on a device's WebSocket at once: a flooding device. */
export function floodFrames(ws: WebSocket, count: number, text: string): void {
  for (let i = 0; i < count && ws.readyState === ws.OPEN; i++) ws.send(text);
}

/** A push frame of about `bytes` bytes: a JSON object with one long string. */
export function hugeFrame(bytes: number): string {
  return JSON.stringify({ filler: '9'.repeat(bytes) });
}
