import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../helpers/data-dir.js';

describe('desktop packaging and start', () => {
  test('the Linux .desktop entry and electron-builder config register the app for folders', () => {
    const entry = readFileSync(join(repoRoot, 'packaging', 'linux', 'experiment-manager.desktop'), 'utf8');
    const fields = Object.fromEntries(entry.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(entry.startsWith('[Desktop Entry]\n')).toBe(true);
    expect(fields).toMatchObject({ Type: 'Application', Exec: 'experiment-manager %F', MimeType: 'inode/directory;', Terminal: 'false' });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.build.linux.desktop.entry).toMatchObject({ MimeType: 'inode/directory;', Exec: 'experiment-manager %F' });
    expect(pkg.build.executableName).toBe('experiment-manager');
  });

  test('npm start without the Electron binary tries to download it and, offline, says what to do', () => {
    // An unreachable mirror and an empty download cache stand for "offline" (and keep a machine with
    // internet access from downloading 100 MB into node_modules during the test).
    const cache = mkdtempSync(join(tmpdir(), 'expman-electron-cache-'));
    try {
      const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'start.mjs')], {
        cwd: repoRoot,
        env: {
          ...process.env,
          ELECTRON_OVERRIDE_DIST_PATH: join(repoRoot, 'no-such-electron-dist'),
          ELECTRON_MIRROR: 'http://127.0.0.1:9/',
          electron_config_cache: cache,
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.stdout).toMatch(/downloading it now/);
      expect(result.stderr).toMatch(/cannot start the desktop app: the Electron binary could not be downloaded \(no connection to the download server: .+\)/);
      expect(result.stderr).toMatch(/run `npm start` again, or: node .*install\.js/);
      expect(result.stderr).toMatch(/npx expman ui/);
      expect(result.status).toBe(1);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
