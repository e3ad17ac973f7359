import WebSocket from 'ws';

/** A frame of the web page's socket. */
export interface PageFrame {
  topic: string;
  payload: Record<string, unknown>;
}

/** A WebSocket client of the web page's `api`, as a browser page would open it, recording every frame. */
export class PageSocket {
  readonly frames: PageFrame[] = [];
  readonly raw: string[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const text = d.toString();
      this.raw.push(text);
      this.frames.push(JSON.parse(text) as PageFrame);
      for (const w of this.waiters) w();
    });
  }

  /** Opens the socket; rejects with the HTTP status when the server refuses the upgrade. */
  static open(url: string, headers: Record<string, string> = {}): Promise<PageSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const sock = new PageSocket(ws);
      ws.once('open', () => resolve(sock));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends a frame. */
  send(topic: string, payload: unknown): void {
    this.ws.send(JSON.stringify({ topic, payload }));
  }

  /** The first frame (from index `since`) on `topic` that matches `pred`. */
  async wait(
    topic: string,
    pred: (p: Record<string, unknown>) => boolean = () => true,
    opts: { since?: number; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const find = () => this.frames.slice(opts.since ?? 0).find((f) => f.topic === topic && pred(f.payload));
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      const f = find();
      if (f) return f.payload;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no frame on ${topic}; got ${this.frames.map((x) => x.topic).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.waiters = [];
    }
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise((r) => {
      if (this.ws.readyState === WebSocket.CLOSED) return r();
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}
