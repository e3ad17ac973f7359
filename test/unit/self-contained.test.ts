import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/*
 * The repository stands on its own: whoever clones it can follow every reference in it. Code,
 * comments, tests, fixtures and configuration point at docs/*.md or a driver's README, never at
 * texts that live outside the repository; and every relative link in the Markdown files leads to
 * a file (and heading) that exists.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Documents that other branches add; a link to one is checked once the file exists. */
const ADDED_ELSEWHERE = new Set(['docs/sessions.md', 'docs/web-interface.md', 'src/drivers/ocpp/README.md']);

/** The tracked files (git ls-files), or a walk of the tree outside git (an unpacked archive). */
function trackedFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
    return out.split('\0').filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
  } catch {
    const skip = new Set(['.git', 'node_modules', 'dist', 'data', 'coverage']);
    const walk = (dir: string): string[] =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = dir === '' ? e.name : `${dir}/${e.name}`;
        if (e.isDirectory()) return skip.has(e.name) ? [] : walk(rel);
        return e.isFile() ? [rel] : [];
      });
    return walk('');
  }
}

const FILES = trackedFiles();
const BASENAMES = new Set(FILES.map((f) => path.posix.basename(f)));

/** Text files only (a NUL byte marks a binary one). */
function readText(file: string): string | null {
  const full = path.join(ROOT, file);
  if (statSync(full).size > 5_000_000) return null;
  const text = readFileSync(full, 'utf8');
  return text.includes('\0') ? null : text;
}

// The names are assembled from parts so that this file does not match itself.
const SHARED_DIR = ['..', 'shared'].join('/');
const SHARED_ABS = ['', 'work', 'shared'].join('/');
const CONTRACT_SECTION = ['CONTRACT', '§'].join(' ');
/** Outside documents by file name; allowed only if the repository itself tracks a file of that name. */
const OUTSIDE_DOCS = ['CONTRACT', 'TOOLCHAIN', 'conventions', 'STYLE', 'webui', 'ocpp16'].map(
  (n) => `${n}.md`,
);
const PROTOCOLS_DIR = ['protocols', ''].join('/');

/** The references in `text` that lead outside the repository, one line each. */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    for (const needle of [SHARED_DIR, SHARED_ABS, CONTRACT_SECTION])
      if (line.includes(needle)) found.push(`${at}: "${needle}"`);
    for (const doc of OUTSIDE_DOCS)
      if (line.includes(doc) && !BASENAMES.has(doc)) found.push(`${at}: "${doc}"`);
    // a path through a folder named protocols, unless it is a URL or a file the repository tracks
    for (const m of line.matchAll(/[\w.:/@…-]*protocols\/[\w.…-]*/g)) {
      const ref = m[0].replace(/^(\.{1,2}\/)+/, '');
      if (ref.includes('://')) continue;
      if (!ref.includes(PROTOCOLS_DIR)) continue;
      if (FILES.some((f) => f === ref || f.endsWith(`/${ref}`))) continue;
      found.push(`${at}: "${m[0]}"`);
    }
  });
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown document's headings (repeats get -1, -2, … as on GitHub). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative link targets in a Markdown document (inline and reference style), outside code. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]!),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Broken relative links of one Markdown file, one line each. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const target of relativeLinks(markdown)) {
    const [pathPart = '', anchor] = target.split('#') as [string, string | undefined];
    const dest =
      pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
    const full = path.join(ROOT, dest);
    if (!existsSync(full)) {
      if (!ADDED_ELSEWHERE.has(dest)) broken.push(`${file}: (${target}) — no file ${dest}`);
      continue;
    }
    if (anchor && dest.endsWith('.md') && !anchors(readFileSync(full, 'utf8')).has(anchor))
      broken.push(`${file}: (${target}) — no heading #${anchor} in ${dest}`);
  }
  return broken;
}

/** Mentions of `docs/<page>.md#<heading>` in any text (code comments too) whose page or heading is missing. */
function brokenDocMentions(file: string, text: string): string[] {
  const broken: string[] = [];
  for (const m of text.matchAll(/(?<![\w/.-])docs\/([\w-]+\.md)(?:#([\w-]+))?/g)) {
    const dest = `docs/${m[1]}`;
    const full = path.join(ROOT, dest);
    if (!existsSync(full)) {
      if (!ADDED_ELSEWHERE.has(dest)) broken.push(`${file}: ${m[0]} — no file ${dest}`);
    } else if (m[2] && !anchors(readFileSync(full, 'utf8')).has(m[2])) {
      broken.push(`${file}: ${m[0]} — no heading #${m[2]} in ${dest}`);
    }
  }
  return broken;
}

describe('the repository stands on its own', () => {
  it('finds the tracked files', () => {
    expect(FILES).toContain('README.md');
    expect(FILES).toContain('docs/mqtt-api.md');
  });

  it('references no document outside the repository from any tracked file', () => {
    const found = FILES.flatMap((f) => {
      const text = readText(f);
      return text === null ? [] : outsideReferences(f, text);
    });
    expect(found).toEqual([]);
  });

  it('has every relative link in README.md, docs/ and the other Markdown files lead to a file and heading that exist', () => {
    const markdown = FILES.filter((f) => f.endsWith('.md'));
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/engine.md']));
    const broken = markdown.flatMap((f) => brokenLinks(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(broken).toEqual([]);
  });

  it('has every docs/<page>.md#<heading> named in code, comments and configuration lead to a page and heading that exist', () => {
    const self = path
      .relative(ROOT, fileURLToPath(import.meta.url))
      .split(path.sep)
      .join('/');
    const broken = FILES.filter((f) => !f.endsWith('.md') && f !== self).flatMap((f) => {
      const text = readText(f);
      return text === null ? [] : brokenDocMentions(f, text);
    });
    expect(broken).toEqual([]);
    expect(brokenDocMentions('x.ts', '// docs/engine.md#modes, docs/engine.md#nope, docs/nope.md')).toEqual([
      'x.ts: docs/engine.md#nope — no heading #nope in docs/engine.md',
      'x.ts: docs/nope.md — no file docs/nope.md',
    ]);
  });

  it('documents the reference pages the code comments point at', () => {
    for (const doc of ['docs/mqtt-api.md', 'docs/engine.md', 'docs/architecture.md', 'docs/configuration.md'])
      expect(FILES).toContain(doc);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/^## Documentation$/m);
    for (const dir of ['openevse', 'technove', 'pulsatrix', 'wallbox-quasar'])
      expect(readme).toContain(`(src/drivers/${dir}/README.md)`);
  });

  it('would catch an outside reference and a broken link (the checks can fail)', () => {
    expect(outsideReferences('x.ts', `// see ${SHARED_DIR}/spec/x`)).toHaveLength(1);
    expect(outsideReferences('x.ts', `// ${CONTRACT_SECTION}5`)).toHaveLength(1);
    expect(outsideReferences('x.ts', `// the ${PROTOCOLS_DIR}openevse.md notes`)).toHaveLength(1);
    expect(outsideReferences('x.ts', `// https://example.org/${PROTOCOLS_DIR}x.md is public`)).toEqual([]);
    expect(
      brokenLinks('docs/x.md', '[a](missing.md) [b](engine.md#no-such-heading) [c](engine.md#modes)'),
    ).toEqual([
      'docs/x.md: (missing.md) — no file docs/missing.md',
      'docs/x.md: (engine.md#no-such-heading) — no heading #no-such-heading in docs/engine.md',
    ]);
  });
});
