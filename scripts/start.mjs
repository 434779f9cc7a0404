// `npm start`: builds and opens the desktop app — or, where it cannot run (no Electron binary, no
// display), says so and points to the browser UI, which needs neither.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const browserHint = 'Use the same app in a web browser instead:  npx expman ui   (then open the printed URL)';

function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (npm install)' };
  }
  const pathFile = join(dir, 'path.txt');
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const exe = existsSync(pathFile) ? join(dist, readFileSync(pathFile, 'utf8').trim()) : undefined;
  if (!exe || !existsSync(exe)) {
    return {
      missing:
        'the Electron binary is not downloaded (npm installed it with ELECTRON_SKIP_BINARY_DOWNLOAD, or offline).\n' +
        `  Download it with internet access:  node ${join(dir, 'install.js')}`,
    };
  }
  return { exe };
}

const found = electronBinary();
if (found.missing) {
  console.error(`expman: cannot start the desktop app: ${found.missing}\n\n${browserHint}`);
  process.exit(1);
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error(`expman: cannot start the desktop app: no display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n  On a server, run it under xvfb-run, or\n\n${browserHint}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'preview', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
