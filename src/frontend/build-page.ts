/**
 * Builds the web page (`web/`) into `dist/web/`: esbuild bundles the Preact app and its CSS into
 * hashed files under `assets/`, index.html links them, gzip -9 copies sit beside each file, and
 * the JS+CSS that index.html loads must fit the budget (docs/web-interface.md).
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Bytes of gzip -9 JS+CSS that index.html may load. */
export const BUDGET_BYTES = 40_960;

const repo = fileURLToPath(new URL('../../', import.meta.url));
const src = path.join(repo, 'web');
const out = path.join(repo, 'dist', 'web');

/** Writes `file` and its gzip -9 copy; returns the gzip size, bytes. */
function withGzip(file: string, body: Buffer): number {
  writeFileSync(file, body);
  const gz = gzipSync(body, { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  return gz.length;
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [path.join(src, 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'safari15', 'firefox100'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: 'assets/app-[hash]',
    assetNames: 'assets/[name]-[hash]',
    outdir: out,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  let js = '';
  let css = '';
  let gzipped = 0;
  for (const f of result.outputFiles) {
    const rel = path.relative(out, f.path).split(path.sep).join('/');
    mkdirSync(path.dirname(f.path), { recursive: true });
    gzipped += withGzip(f.path, Buffer.from(f.contents));
    if (rel.endsWith('.js')) js = rel;
    if (rel.endsWith('.css')) css = rel;
  }
  const html = readFileSync(path.join(src, 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css);
  withGzip(path.join(out, 'index.html'), Buffer.from(html));
  copyFileSync(path.join(src, 'favicon.svg'), path.join(out, 'favicon.svg'));
  console.log(`web page: ${js}, ${css}: ${gzipped} bytes gzip -9 (budget ${BUDGET_BYTES})`);
  if (gzipped > BUDGET_BYTES) {
    console.error(`web page over budget: ${gzipped} > ${BUDGET_BYTES} bytes gzip -9`);
    process.exit(1);
  }
}

void main().catch((e: Error) => {
  console.error(`web page build failed: ${e.message}`);
  process.exit(1);
});
