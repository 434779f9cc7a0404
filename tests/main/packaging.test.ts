import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  test('npm start without the Electron binary says so and points to expman ui', () => {
    const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'start.mjs')], {
      cwd: repoRoot,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(repoRoot, 'no-such-electron-dist') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cannot start the desktop app: the Electron binary is not downloaded/);
    expect(result.stderr).toMatch(/npx expman ui/);
  });
});
