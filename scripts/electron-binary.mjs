// The Electron binary is not part of the electron npm package: it is downloaded (~100 MB) from GitHub into
// node_modules/electron/dist. Electron's own package only does that lazily, on the first require('electron'),
// and npm ≥ 11 would skip an install script anyway, so this module is the one place that finds the binary
// and fetches it: `npm install` (scripts/prepare.mjs) tries once and goes on without it when offline;
// `npm start` (scripts/start.mjs) tries again, and says clearly what to do when it still cannot.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where the electron package is, and its binary when downloaded: `{ dir, exe? }`, or `{ missing }`. */
export function findElectron() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run npm install)' };
  }
  const pathFile = join(dir, 'path.txt');
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const exe = existsSync(pathFile) ? join(dist, readFileSync(pathFile, 'utf8').trim()) : undefined;
  return exe && existsSync(exe) ? { dir, exe } : { dir };
}

/** The command that downloads the binary by hand (what the messages tell the user to run). */
export const downloadCommand = (dir) => `node ${join(dir, 'install.js')}`;

/**
 * Downloads the binary with Electron's own installer (its checksums, cache and mirror variables:
 * ELECTRON_MIRROR, electron_config_cache). Returns true when the binary is there afterwards.
 */
export function downloadElectron(dir) {
  const result = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (result.status === 0 && findElectron().exe) return { ok: true };
  // install.js prints a whole stack; its first line is the reason. Offline, that is only "TypeError: fetch
  // failed" (the cause is not in the stack), so say what it means.
  const first = ((result.stderr ?? '').split('\n').find((line) => line.trim() !== '') ?? `exit code ${result.status}`).trim();
  const offline = /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH/.test(first);
  return { ok: false, reason: offline ? `no connection to the download server: ${first}` : first };
}

/** True when the user asked not to download the binary (Electron's own variable, also honoured here). */
export const skipDownload = () => Boolean(process.env.ELECTRON_SKIP_BINARY_DOWNLOAD);
