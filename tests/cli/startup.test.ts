import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliBundle, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';

/**
 * The packages a CLI command loads, as Node's ESM loader resolves them (a module.register hook that
 * reports every resolved URL on stderr): start-up is most of a quick command's time (`expman list`).
 */
function loadedPackages(args: string[]): { code: number | null; packages: Set<string>; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'expman-test-hooks-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
  if (m) process.stderr.write('LOADED ' + m[1] + '\\n');
  return result;
}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, cliBundle, ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const packages = new Set([...result.stderr.matchAll(/^LOADED (.+)$/gm)].map((m) => m[1]!));
  return { code: result.status, packages, stderr: result.stderr };
}

describe('CLI start-up', () => {
  it('--version and --help load no package', () => {
    for (const args of [['--version'], ['--help']]) {
      const { code, packages, stderr } = loadedPackages(args);
      expect(code, stderr).toBe(0);
      expect([...packages], args.join(' ')).toEqual([]);
    }
  });

  it('list loads only the app log, not zod, ws, tar, TOML or tfjs', () => {
    const { code, packages, stderr } = loadedPackages(['list', '--data', tempDataDir()]);
    expect(code, stderr).toBe(0);
    expect([...packages]).toEqual(['electron-log']);
  });

  it('a command still loads what it needs: ui (its help loads its module) loads ws', () => {
    const ui = loadedPackages(['ui', '--help']);
    expect(ui.code, ui.stderr).toBe(0);
    expect(ui.packages.has('ws')).toBe(true);
  });
});
