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
/** This file, as git names it. */
const SELF = path
  .relative(ROOT, fileURLToPath(import.meta.url))
  .split(path.sep)
  .join('/');
const BASENAMES = new Set(FILES.map((f) => path.posix.basename(f)));

/** Text files only (a NUL byte marks a binary one). */
function readText(file: string): string | null {
  const full = path.join(ROOT, file);
  if (statSync(full).size > 5_000_000) return null;
  const text = readFileSync(full, 'utf8');
  return text.includes('\0') ? null : text;
}

/** Names of the Markdown documents the repository tracks (a mention of another one leads nowhere). */
const TRACKED_DOCS = new Set([...BASENAMES].filter((b) => b.endsWith('.md')));

/**
 * The references in `text` that lead outside the repository, one line each: a relative path that
 * climbs above the repository root, a path on this machine's work folder, a Markdown document the
 * repository does not track, or a section (`NAME §4`) of such a document. URLs are public and fine.
 */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  const dir = path.posix.dirname(file);
  text.split('\n').forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    const prose = line.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, ''); // URLs are public
    for (const m of prose.matchAll(/(?:\.\.\/)+[\w.-]+/g))
      if (path.posix.normalize(path.posix.join(dir, m[0])).startsWith('../')) found.push(`${at}: "${m[0]}"`);
    for (const m of prose.matchAll(/(?<![\w.])\/work\/[\w.-]+/g)) found.push(`${at}: "${m[0]}"`);
    // a document named alone (a path inside an upstream repository names its folder)
    for (const m of prose.matchAll(/(?<![\w/-])([\w-]+\.md)\b/g))
      if (!TRACKED_DOCS.has(m[1]!)) found.push(`${at}: "${m[1]}"`);
    // a section of a document known by its capitalised name (public specs are cited with their URL)
    for (const m of prose.matchAll(/(?<![\w-])([A-Z]{3,}) §\s*\d/g))
      if (!TRACKED_DOCS.has(`${m[1]}.md`)) found.push(`${at}: "${m[0]}"`);
    // a path into a protocol-notes folder the repository does not have
    for (const m of prose.matchAll(/[\w.-]*protocols\/[\w.-]+/g))
      if (!FILES.some((f) => f.endsWith(m[0].replace(/^(\.{1,2}\/)+/, '')))) found.push(`${at}: "${m[0]}"`);
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
    // this file plants bad references on purpose, to show that the checks can fail
    const found = FILES.filter((f) => f !== SELF).flatMap((f) => {
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
    const broken = FILES.filter((f) => !f.endsWith('.md') && f !== SELF).flatMap((f) => {
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
    expect(outsideReferences('x.ts', '// see ../outside/spec/x')).toHaveLength(1);
    expect(outsideReferences('src/core/x.ts', "import { y } from '../engine/y.js';")).toEqual([]);
    expect(outsideReferences('x.ts', '// the spec, NOTES §5')).toHaveLength(1);
    expect(outsideReferences('x.ts', '// the vendor notes in spec/protocols/x-notes.md')).toHaveLength(1);
    expect(outsideReferences('x.ts', '// the missing-notes.md of the vendor')).toHaveLength(1);
    expect(outsideReferences('x.ts', '// docs/engine.md and README.md')).toEqual([]);
    expect(outsideReferences('x.ts', '// https://example.org/../x/missing-notes.md is public')).toEqual([]);
    expect(
      brokenLinks('docs/x.md', '[a](missing.md) [b](engine.md#no-such-heading) [c](engine.md#modes)'),
    ).toEqual([
      'docs/x.md: (missing.md) — no file docs/missing.md',
      'docs/x.md: (engine.md#no-such-heading) — no heading #no-such-heading in docs/engine.md',
    ]);
  });
});
