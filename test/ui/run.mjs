// `npm test`, second half: the browser tests of the web page (Playwright driving Debian's chromium).
// Without a browser at CHROMIUM_PATH (default /usr/bin/chromium) each one is reported skipped by name.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const config = 'test/ui/playwright.config.ts';
const npx = (args, opts) => spawnSync('npx', ['playwright', 'test', '-c', config, ...args], opts);

if (!existsSync(chromium)) {
  const list = npx(['--list'], { encoding: 'utf8' });
  const names = (list.stdout ?? '').split('\n').filter((l) => l.includes('›'));
  for (const n of names) console.log(`skipped (no browser at ${chromium}): ${n.trim()}`);
  console.log(`ui tests: ${names.length} skipped; install chromium (apt-get install chromium) to run them`);
  process.exit(0);
}
if (!existsSync('dist/web/index.html')) {
  const b = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const run = npx(process.argv.slice(2), { stdio: 'inherit' });
process.exit(run.status ?? 1);
