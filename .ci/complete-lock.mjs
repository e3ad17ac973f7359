// Adds to package-lock.json the optional, platform-specific packages (other OSes and CPUs) that
// `npm install` leaves out when the registry it reaches does not serve them; without their entries
// `npm ci` refuses the lock file ("Missing: @swc/core-darwin-arm64 from lock file"). Each entry is
// marked optional with its os/cpu/libc, so npm never fetches it on a machine it does not fit.
// Run after `npm install` changes the lock: node .ci/complete-lock.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const OS = ['darwin', 'win32', 'linux', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32'];
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const where = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (pkgs[where] || pkgs[hoisted]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('arm') ? 'arm' : undefined);
    if (!os && !cpu) continue; // not a platform package: leave npm's own decision
    pkgs[hoisted] = {
      version: String(range).replace(/^[\^~=]/, ''),
      optional: true,
      ...(meta.dev ? { dev: true } : {}),
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(parts.includes('musl') || parts.some((p) => p.startsWith('musl')) ? { libc: ['musl'] } : {}),
      ...(parts.includes('gnu') || parts.some((p) => p.startsWith('gnu')) ? { libc: ['glibc'] } : {}),
    };
    added += 1;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`package-lock.json: ${added} platform package entries added\n`);
