import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** A file of the built page, read once at start (the page is small). */
interface StaticFile {
  body: Buffer;
  /** The gzip -9 copy written by the build, when there is one. */
  gzip?: Buffer;
  type: string;
  /** Hashed asset names (`assets/app-<hash>.js`) never change: cacheable for a year. */
  immutable: boolean;
}

/** The built page's folder: `dist/web` next to the compiled server, or under the working folder. */
export function defaultPageRoot(): string {
  const candidates = [fileURLToPath(new URL('../web/', import.meta.url)), path.resolve('dist/web')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? candidates[0]!;
}

/** The built page (index.html, hashed assets, favicon) held in memory and served with its cache headers. */
export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  /** Reads every file under `root`; a missing folder leaves the page empty (the socket still works). */
  constructor(readonly root: string) {
    if (existsSync(root)) this.load(root, '');
  }

  /** Whether index.html was found. */
  get present(): boolean {
    return this.files.has('index.html');
  }

  /** Serves `rel` (a path below base_url, '' = index.html); false when there is no such file. */
  serve(rel: string, res: ServerResponse, acceptsGzip: boolean, head: boolean): boolean {
    const file = this.files.get(rel === '' ? 'index.html' : rel);
    if (!file) return false;
    const body = acceptsGzip && file.gzip ? file.gzip : file.body;
    res.setHeader('Content-Type', file.type);
    res.setHeader(
      'Cache-Control',
      file.immutable ? 'public, max-age=31536000, immutable' : rel === '' ? 'no-store' : 'no-cache',
    );
    if (file.gzip) res.setHeader('Vary', 'Accept-Encoding');
    if (body === file.gzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', body.length);
    res.writeHead(200);
    res.end(head ? undefined : body);
    return true;
  }

  private load(dir: string, prefix: string): void {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = prefix + name;
      if (statSync(full).isDirectory()) {
        this.load(full, `${rel}/`);
        continue;
      }
      if (name.endsWith('.gz')) continue;
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const gz = `${full}.gz`;
      this.files.set(rel, {
        body: readFileSync(full),
        ...(existsSync(gz) ? { gzip: readFileSync(gz) } : {}),
        type,
        immutable: rel.startsWith('assets/') && /-[A-Z0-9]{8,}\./i.test(name),
      });
    }
  }
}
