// `npm install` runs this (the package's `prepare` script; npm runs a project's own scripts, only
// dependencies' install scripts need `allowScripts`). It leaves a clone ready for both quick starts:
//   1. the CLI bundle (out/cli)                → `npx expman …`
//   2. the app: renderer, main, preload (out/) → `npx expman ui` serves out/renderer; `npm start` opens it
//   3. the Electron binary, when it can        → `npm start`
// Steps 1–2 need no network and fail the install when they fail. Step 3 downloads ~100 MB from GitHub:
// skipped with ELECTRON_SKIP_BINARY_DOWNLOAD=1, and when it fails (offline, proxy) the install still
// succeeds — the browser UI and the CLI do not need Electron, and `npm start` tries the download again.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadCommand, downloadElectron, findElectron, skipDownload } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

await import('./build-cli.mjs');

const electronVite = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
const built = spawnSync(process.execPath, [electronVite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  console.error('expman: building the app (electron-vite build) failed; see the errors above.');
  process.exit(built.status ?? 1);
}

const electron = findElectron();
if (electron.dir && !electron.exe) {
  if (skipDownload()) {
    console.log(`expman: ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary was not downloaded.\n  The CLI and \`npx expman ui\` work without it; \`npm start\` downloads it (or: ${downloadCommand(electron.dir)}).`);
  } else {
    console.log('expman: downloading the Electron binary for the desktop app (`npm start`)…');
    const download = downloadElectron(electron.dir);
    if (!download.ok) {
      console.warn(
        `expman: could not download the Electron binary (${download.reason}).\n` +
          '  The install goes on without it: the CLI and the browser UI (`npx expman ui`) do not need it.\n' +
          `  \`npm start\` tries again; or run: ${downloadCommand(electron.dir)}`,
      );
    }
  }
}
