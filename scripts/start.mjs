// `npm start`: builds and opens the desktop app. The Electron binary is fetched here when `npm install`
// could not (offline then, or ELECTRON_SKIP_BINARY_DOWNLOAD); where the app cannot run (no binary, no
// display) it says so and points to the browser UI, which needs neither.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadCommand, downloadElectron, findElectron } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const browserHint = 'Use the same app in a web browser instead:  npx expman ui   (then open the printed URL)';
const cannotStart = (why) => {
  console.error(`expman: cannot start the desktop app: ${why}\n\n${browserHint}`);
  process.exit(1);
};

let electron = findElectron();
if (electron.missing) cannotStart(electron.missing);
if (!electron.exe) {
  console.log('expman: the Electron binary is not downloaded yet (npm install was offline or skipped it); downloading it now…');
  const download = downloadElectron(electron.dir);
  if (!download.ok) {
    cannotStart(`the Electron binary could not be downloaded (${download.reason}).\n  With internet access, run \`npm start\` again, or: ${downloadCommand(electron.dir)}`);
  }
  electron = findElectron();
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  cannotStart('no display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n  On a server, run it under xvfb-run, or');
}
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'preview', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_EXEC_PATH: electron.exe },
});
process.exit(result.status ?? 1);
