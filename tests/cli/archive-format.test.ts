import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expman, tempDataDir } from '../helpers/data-dir.js';
import { writeDataTree } from '../helpers/data-tree.js';

describe('expman archive --format', () => {
  it('zst: a .tar.zst by default name, which verify and restore read', () => {
    const data = tempDataDir();
    writeDataTree(data);
    const work = tempDataDir(false);
    const made = expman(['archive', '--data', data, '--format', 'zst', '--json'], { cwd: work });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const [name] = readdirSync(work);
    expect(name).toMatch(/^expman-data-\d{8}-\d{6}\.tar\.zst$/);
    expect(JSON.parse(made.stdout.trim())).toMatchObject({ event: 'archive_created', format: 'zst', file: join(work, name!) });
    expect(readFileSync(join(work, name!)).readUInt32LE(0)).toBe(0xfd2fb528);
    expect(expman(['archive', 'verify', join(work, name!)])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK: /) });
    expect(expman(['archive', 'restore', join(work, name!), '--into', join(work, 'r')]).code).toBe(0);
  });

  it('a wrong or contradictory format is a usage error (exit 2); a missing zstd is one line (exit 1) and no file', () => {
    const data = tempDataDir();
    writeDataTree(data);
    const work = tempDataDir(false);
    expect(expman(['archive', '--data', data, '--format', 'xz', '--out', join(work, 'a.tar.xz')])).toMatchObject({ code: 2, stderr: 'expman: error: --format xz: expected one of gz, zst\n' });
    expect(expman(['archive', '--data', data, '--format', 'zst', '--out', join(work, 'a.tar.gz')])).toMatchObject({
      code: 2,
      stderr: `expman: error: --out ${join(work, 'a.tar.gz')} names a gz archive but --format is zst\n`,
    });
    const bin = tempDataDir(false);
    symlinkSync(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim(), join(bin, 'sh'));
    const missing = expman(['archive', '--data', data, '--out', join(work, 'a.tar.zst')], { env: { PATH: bin } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^expman: error: zstd is not installed: [^\n]+\n$/);
    expect(readdirSync(work)).toEqual([]);
  });
});
