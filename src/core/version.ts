import { readFileSync } from 'node:fs';

/** The fields of package.json the bridge reports. */
function readPackage(): { version?: string; homepage?: string } {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
      homepage?: string;
    };
  } catch {
    return {};
  }
}

const pkg = readPackage();

/** The package version, read once from package.json next to src/ or dist/. */
export const VERSION: string = pkg.version ?? '0.0.0';

/** package.json `homepage` (HA discovery `origin.support_url`), null when it is not set. */
export const HOMEPAGE: string | null =
  typeof pkg.homepage === 'string' && pkg.homepage.trim() !== '' ? pkg.homepage.trim() : null;
