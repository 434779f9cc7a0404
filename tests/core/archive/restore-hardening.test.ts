import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createArchive } from '../../../src/core/archive/create.js';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { listTree, tempDataDir } from '../../helpers/data-dir.js';
import { craftArchive, type CraftedEntry, type CraftedManifest } from './craft-archive.js';
import { snapshotTree } from './tree-snapshot.js';

/** A work folder with a sentinel tree beside DIR (work/d1/d2/into), so writes outside DIR show up. */
function workspace() {
  const work = tempDataDir(false);
  mkdirSync(join(work, 'outside', 'deep'), { recursive: true });
  writeFileSync(join(work, 'outside', 'deep', 'sentinel.txt'), 'sentinel');
  const into = join(work, 'd1', 'd2', 'into');
  mkdirSync(into, { recursive: true });
  writeFileSync(join(into, 'keep.txt'), 'keep');
  return { work, into };
}

function archiveOf(work: string, entries: CraftedEntry[], manifest?: CraftedManifest): string {
  const file = join(work, 'crafted.tar.gz');
  writeFileSync(file, craftArchive(entries, manifest));
  return file;
}

const mounted: string[] = [];
afterEach(() => {
  while (mounted.length) spawnSync('umount', ['-l', mounted.pop()!]);
});

/** Mounts a small tmpfs (root only); the reason it cannot, to skip with. */
function mountTmpfs(at: string, options: string): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  mkdirSync(at, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { encoding: 'utf8' });
  if (result.status !== 0) return `mount -t tmpfs failed: ${result.stderr.trim()}`;
  mounted.push(at);
  return undefined;
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = tempDataDir(false);
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
})();

describe('restore: "." and empty segments (issue 11.1)', () => {
  const cases: Array<[string, CraftedEntry[], RegExp]> = [
    ['link e/./d -> ../..', [{ path: 'e/./d', type: 'SymbolicLink', linkpath: '../..' }], /e\/\.\/d: path contains an empty or '\.' segment/],
    ['link e//d -> ../..', [{ path: 'e//d', type: 'SymbolicLink', linkpath: '../..' }], /e\/\/d: path contains an empty or '\.' segment/],
    [
      'a link through ./././ then a file through it',
      [
        { path: 'e/./././././d', type: 'SymbolicLink', linkpath: '../../../..' },
        { path: 'e/d/outside/deep/planted.txt', type: 'File', data: 'planted' },
      ],
      /path contains an empty or '\.' segment/,
    ],
    ['a file at ./a/./b', [{ path: './a/./b', type: 'File', data: 'x' }], /a\/\.\/b: path contains an empty or '\.' segment/],
  ];
  for (const [name, entries, message] of cases) {
    it(`${name}: verify reports it, restore refuses it, nothing is written`, async () => {
      const { work, into } = workspace();
      const file = archiveOf(work, entries);
      const before = snapshotTree(work);
      const report = await verifyArchive(file);
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => `${p.path}: ${p.detail}`).join('\n')).toMatch(message);
      expect(report.problems[0]!.kind).toBe('unsafe');
      await expect(restoreArchive(file, into, { force: true })).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message });
      expect(snapshotTree(work)).toEqual(before);
    });
  }

  it('a leading "./" (GNU tar -C dir .) is the same path, and restores', async () => {
    const { work, into } = workspace();
    const file = archiveOf(work, [
      { path: './', type: 'Directory' },
      { path: './sub/', type: 'Directory' },
      { path: './sub/x.txt', type: 'File', data: 'x' },
    ]);
    expect((await verifyArchive(file)).problems).toEqual([]);
    await restoreArchive(file, into);
    expect(readFileSync(join(into, 'sub', 'x.txt'), 'utf8')).toBe('x');
  });
});

describe('restore: other entry classes verify and restore agree on', () => {
  const cases: Array<[string, CraftedEntry[], RegExp]> = [
    ['a duplicate path', [{ path: 'a.txt', type: 'File', data: '1' }, { path: 'a.txt', type: 'File', data: '2' }], /a\.txt: appears more than once/],
    ['a symlink named MANIFEST', [{ path: 'x.txt', type: 'File', data: 'x' }, { path: 'MANIFEST', type: 'SymbolicLink', linkpath: 'x.txt' }], /MANIFEST: must be a regular file/],
    ['a hard link', [{ path: 'a.txt', type: 'File', data: 'a' }, { path: 'b.txt', type: 'Link', linkpath: 'a.txt' }], /b\.txt: unsupported entry type Link/],
    ['a device', [{ path: 'null', type: 'CharacterDevice' }], /null: unsupported entry type CharacterDevice/],
    ['a file inside a file', [{ path: 'a', type: 'File', data: 'a' }, { path: 'a/b', type: 'File', data: 'b' }], /a\/b: inside a, which is not a folder/],
    ['a name over 255 bytes', [{ path: `${'n'.repeat(256)}/x`, type: 'File', data: 'x' }], /longer than 255 bytes/],
  ];
  for (const [name, entries, message] of cases) {
    it(name, async () => {
      const { work, into } = workspace();
      const file = archiveOf(work, entries);
      const before = snapshotTree(work);
      const report = await verifyArchive(file);
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => `${p.path}: ${p.detail}`).join('\n')).toMatch(message);
      await expect(restoreArchive(file, into, { force: true })).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message });
      expect(snapshotTree(work)).toEqual(before);
    });
  }
});

describe('restore reads its input once (issue 11.2)', () => {
  it('a pipe that serves a clean archive, then one with ../ entries: only the first is ever read', async () => {
    const { work, into } = workspace();
    const clean = join(work, 'clean.tar.gz');
    writeFileSync(clean, craftArchive([{ path: 'ok.txt', type: 'File', data: 'ok' }]));
    const evil = join(work, 'evil.tar.gz');
    writeFileSync(evil, craftArchive([{ path: '../../../outside/escaped.txt', type: 'File', data: 'escaped' }]));
    const fifo = join(work, 'input.fifo');
    execFileSync('mkfifo', [fifo]);
    // Each open of the pipe gets the next archive, as a file replaced between two reads would.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$3"; cat "$2" > "$3"', 'sh', clean, evil, fifo], { stdio: 'ignore', detached: true });
    try {
      const result = await restoreArchive(fifo, into);
      expect(result.files).toBe(1);
      expect(readFileSync(join(into, 'ok.txt'), 'utf8')).toBe('ok');
      expect(existsSync(join(work, 'outside', 'escaped.txt'))).toBe(false);
    } finally {
      // The shell and the cat still waiting for a second reader; ESRCH: they are already gone.
      try {
        process.kill(-writer.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('an input that is neither a file nor a pipe is refused', async () => {
    const { into } = workspace();
    await expect(restoreArchive('/dev/zero', into)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: '/dev/zero: not a regular file or a pipe' });
    await expect(verifyArchive('/dev/zero')).rejects.toMatchObject({ message: '/dev/zero: not a regular file or a pipe' });
  });
});

describe('restore is all or nothing (issue 11.5, 11.8)', () => {
  it.skipIf(!canMount)('a full disk: one error naming the file and ENOSPC; DIR unchanged, no temporary left', async () => {
    const { work } = workspace();
    const into = join(work, 'small');
    expect(mountTmpfs(into, 'size=1m')).toBeUndefined();
    writeFileSync(join(into, 'keep.txt'), 'keep');
    const file = archiveOf(work, [
      { path: 'a.txt', type: 'File', data: 'a' },
      { path: 'big.bin', type: 'File', data: Buffer.alloc(3 << 20, 7) },
    ]);
    const before = snapshotTree(work);
    await expect(restoreArchive(file, into)).rejects.toMatchObject({ code: "NOT_WRITABLE", message: expect.stringMatching(/^big\.bin: cannot restore \(ENOSPC: no space left on device\); nothing was changed$/) });
    expect(snapshotTree(work)).toEqual(before);
    expect(listTree(into)).toEqual(['keep.txt']);
  });

  it.skipIf(!canMount)('a subfolder that is another file system (EXDEV) is restored by copying', async () => {
    const { work, into } = workspace();
    mkdirSync(join(into, 'mnt'));
    expect(mountTmpfs(join(into, 'mnt'), 'size=4m')).toBeUndefined();
    const file = archiveOf(work, [
      { path: 'top.txt', type: 'File', data: 'top' },
      { path: 'mnt/inner/x.txt', type: 'File', data: 'inner', mode: 0o640 },
    ]);
    await restoreArchive(file, into);
    expect(readFileSync(join(into, 'mnt', 'inner', 'x.txt'), 'utf8')).toBe('inner');
    expect(statSync(join(into, 'mnt', 'inner', 'x.txt')).mode & 0o777).toBe(0o640);
    expect(listTree(into).filter((p) => p.includes('.tmp-'))).toEqual([]);
  });

  it.skipIf(!canMount)('--force that fails partway puts back every file it had replaced', async () => {
    const { work, into } = workspace();
    writeFileSync(join(into, 'a.txt'), 'user edit, newer than the archive');
    mkdirSync(join(into, 'full'));
    expect(mountTmpfs(join(into, 'full'), 'size=1m')).toBeUndefined();
    const file = archiveOf(work, [
      { path: 'a.txt', type: 'File', data: 'archived a' },
      { path: 'full/big.bin', type: 'File', data: Buffer.alloc(3 << 20, 1) },
    ]);
    const before = snapshotTree(work);
    await expect(restoreArchive(file, into, { force: true })).rejects.toMatchObject({ code: 'NOT_WRITABLE', message: expect.stringContaining('full/big.bin: cannot restore (ENOSPC') });
    expect(snapshotTree(work)).toEqual(before);
    expect(readFileSync(join(into, 'a.txt'), 'utf8')).toBe('user edit, newer than the archive');
  });

  it.skipIf(!canMount)('a read-only DIR: one error naming the path (EROFS)', async () => {
    const { work } = workspace();
    const into = join(work, 'ro');
    expect(mountTmpfs(into, 'ro,size=64k')).toBeUndefined();
    const file = archiveOf(work, [{ path: 'a.txt', type: 'File', data: 'a' }]);
    await expect(restoreArchive(file, into)).rejects.toMatchObject({ code: 'NOT_WRITABLE', message: expect.stringMatching(/: cannot restore \(EROFS: read-only file system\); nothing was changed$/) });
  });

  it('a restore killed mid-commit is rolled back by the next one (journal of a dead pid)', async () => {
    const { work, into } = workspace();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    // What SIGKILL left: a.txt already replaced by the archive's version, the user's version set aside.
    writeFileSync(join(into, 'a.txt'), 'from the archive');
    const backup = join(into, `.tmp-restore-${pid}-aaaa-old`);
    writeFileSync(backup, 'the user version');
    const staging = join(into, `.tmp-restore-${pid}-beef`);
    mkdirSync(staging);
    writeFileSync(join(staging, '0'), 'blob');
    const placed = statSync(join(into, 'a.txt'));
    writeFileSync(
      join(staging, 'journal.json'),
      JSON.stringify({ createdDirs: [], placements: [{ final: join(into, 'a.txt'), temp: join(into, `.tmp-restore-${pid}-aaaa`), backup, dev: placed.dev, ino: placed.ino }] }),
    );
    // A live process's staging folder is not touched.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    mkdirSync(join(into, `.tmp-restore-${other.pid}-cafe`));
    try {
      const file = archiveOf(work, [{ path: 'b.txt', type: 'File', data: 'b' }]);
      await restoreArchive(file, into);
      expect(readFileSync(join(into, 'a.txt'), 'utf8')).toBe('the user version');
      expect(listTree(into)).toEqual([`.tmp-restore-${other.pid}-cafe`, 'a.txt', 'b.txt', 'keep.txt']);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('an archive partial of a dead process is removed by the next archive to the same name', async () => {
    const data = tempDataDir();
    const work = tempDataDir(false);
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(join(work, `.tmp-a.tar.gz-${dead}-xyz`), 'partial');
    writeFileSync(join(work, `.tmp-a.tar.gz-${process.pid === 1 ? 2 : 1}-live`), 'pid 1 is alive'); // init never dies
    await createArchive({ dataDir: data, out: join(work, 'a.tar.gz') });
    expect(listTree(work)).toEqual([`.tmp-a.tar.gz-${process.pid === 1 ? 2 : 1}-live`, 'a.tar.gz']);
  });
});

describe('restore and permissions', () => {
  it('clears setuid/setgid unless preservePermissions', async () => {
    const { work, into } = workspace();
    const file = archiveOf(work, [{ path: 'tool', type: 'File', data: '#!/bin/sh\n', mode: 0o6755 }]);
    await restoreArchive(file, into);
    expect(statSync(join(into, 'tool')).mode & 0o7777).toBe(0o755);
    const again = join(work, 'again');
    await restoreArchive(file, again, { preservePermissions: true });
    expect(statSync(join(again, 'tool')).mode & 0o7777).toBe(0o6755);
  });
});

describe('a link already on disk', () => {
  it('a folder on the way that is a link to outside DIR is never written through', async () => {
    const { work, into } = workspace();
    symlinkSync(join(work, 'outside'), join(into, 'out'));
    const file = archiveOf(work, [{ path: 'out/deep/new.txt', type: 'File', data: 'x' }]);
    const before = snapshotTree(work);
    await expect(restoreArchive(file, into, { force: true })).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message: expect.stringContaining('out/deep/new.txt: inside out, which is a link') });
    expect(snapshotTree(work)).toEqual(before);
  });
});

describe('expman archive and restore agree', () => {
  it('a link that passes through another link is left out when archiving (restore would refuse it), so the archive restores', async () => {
    const data = tempDataDir(false);
    writeFileSync(join(data, 'f.txt'), 'f');
    symlinkSync('.', join(data, 'd'));
    symlinkSync('d/..', join(data, 'e'));
    const out = join(tempDataDir(false), 'a.tar.gz');
    const result = await createArchive({ dataDir: data, out });
    expect(result.skipped).toEqual([{ path: 'e', reason: 'symbolic link to d/.. passes through another link (d)' }]);
    expect((await verifyArchive(out)).problems).toEqual([]);
    const into = join(tempDataDir(false), 'r');
    await restoreArchive(out, into);
    expect(listTree(into)).toEqual(['d', 'f.txt']);
  });
});
