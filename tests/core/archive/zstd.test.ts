import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFromName, formatOfBytes } from '../../../src/core/archive/archive-format.js';
import { createArchive, defaultArchiveName } from '../../../src/core/archive/create.js';
import { MANIFEST_NAME } from '../../../src/core/archive/manifest.js';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { describeTree, writeDataTree } from '../../helpers/data-tree.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** A PATH with only the tools the test needs besides zstd (tar is not needed by expman itself). */
function pathWithoutZstd(): string {
  const bin = tempDataDir(false);
  for (const tool of ['sh']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  return bin;
}

function withPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  return work().finally(() => {
    process.env['PATH'] = saved;
  });
}

describe('.tar.zst archives (the system zstd, multi-threaded)', () => {
  it('GNU tar extracts the same tree; verify and restore read it; the format comes from --out or is given', async () => {
    const data = tempDataDir();
    writeDataTree(data, { weights: 5000 });
    const work = tempDataDir(false);
    const out = join(work, 'data.tar.zst');
    const result = await createArchive({ dataDir: data, out, zstd: { blockSize: 64 * 1024 } });
    expect(result.format).toBe('zst');
    expect(readFileSync(out).subarray(0, 4)).toEqual(ZSTD_MAGIC);
    expect(result.archiveBytes).toBe(readFileSync(out).length);
    expect(spawnSync('zstd', ['-t', '-q', out]).status).toBe(0);

    const extracted = join(work, 'x');
    mkdirSync(extracted);
    execFileSync('tar', ['-I', 'zstd', '-xf', out, '-C', extracted]);
    expect(describeTree(extracted, (rel) => rel === MANIFEST_NAME)).toEqual(describeTree(data, isTemp));

    expect(await verifyArchive(out)).toMatchObject({ ok: true, problems: [], checked: result.files });
    const into = join(work, 'restored');
    expect((await restoreArchive(out, into)).files).toBe(result.files);
    expect(describeTree(into)).toEqual(describeTree(data, isTemp));

    // An explicit format wins over the name.
    const named = join(work, 'other.tar');
    expect((await createArchive({ dataDir: data, out: named, format: 'zst' })).format).toBe('zst');
    expect(readFileSync(named).subarray(0, 4)).toEqual(ZSTD_MAGIC);
  });

  it('is told by its first bytes, not its name: a renamed .tar.zst and a .tar.gz named .zst both verify; from a pipe too', async () => {
    const data = tempDataDir();
    writeDataTree(data);
    const work = tempDataDir(false);
    const zst = join(work, 'a.tar.zst');
    const gz = join(work, 'b.tar.gz');
    await createArchive({ dataDir: data, out: zst });
    await createArchive({ dataDir: data, out: gz });
    renameSync(zst, join(work, 'a.tar.gz'));
    renameSync(gz, join(work, 'b.tar.zst'));
    expect(await verifyArchive(join(work, 'a.tar.gz'))).toMatchObject({ ok: true });
    expect(await verifyArchive(join(work, 'b.tar.zst'))).toMatchObject({ ok: true });

    const fifo = join(work, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', join(work, 'a.tar.gz'), fifo], { stdio: 'ignore' });
    const written = once(writer, 'close');
    const into = join(work, 'from-pipe');
    await restoreArchive(fifo, into);
    expect(await written).toEqual([0, null]);
    expect(describeTree(into)).toEqual(describeTree(data, isTemp));
  });

  it('a damaged or truncated .tar.zst is refused with zstd’s reason, and nothing is restored', async () => {
    const data = tempDataDir();
    writeDataTree(data, { weights: 2000 });
    const work = tempDataDir(false);
    const out = join(work, 'data.tar.zst');
    await createArchive({ dataDir: data, out });
    const bytes = readFileSync(out);
    const truncated = join(work, 'truncated.tar.zst');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(verifyArchive(truncated)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(/truncated\.tar\.zst: damaged or not a \.tar\.gz or \.tar\.zst \(zstd: .+\)/) });
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0xff;
    const damaged = join(work, 'damaged.tar.zst');
    writeFileSync(damaged, flipped);
    await expect(verifyArchive(damaged)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    const into = join(work, 'restored');
    await expect(restoreArchive(damaged, into)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(existsSync(into) ? readdirSync(into) : []).toEqual([]);
  });

  it('without the zstd command: one clear line, no file written; gzip archives are unaffected', async () => {
    const data = tempDataDir();
    writeDataTree(data);
    const work = tempDataDir(false);
    const out = join(work, 'data.tar.zst');
    const zstd = join(work, 'made-with-zstd.tar.zst');
    await createArchive({ dataDir: data, out: zstd });
    const path = pathWithoutZstd();
    await withPath(path, async () => {
      await expect(createArchive({ dataDir: data, out })).rejects.toMatchObject({
        code: 'ZSTD_MISSING',
        message: expect.stringMatching(/^zstd is not installed: [^\n]*apt install zstd[^\n]*--format gz$/),
      });
      expect(readdirSync(work).sort()).toEqual(['made-with-zstd.tar.zst']);
      await expect(verifyArchive(zstd)).rejects.toMatchObject({ code: 'ZSTD_MISSING' });
      const gz = join(work, 'data.tar.gz');
      await createArchive({ dataDir: data, out: gz });
      expect(await verifyArchive(gz)).toMatchObject({ ok: true });
    });
  });

  it('names: the default name and --out endings', () => {
    const when = new Date(2026, 0, 26, 14, 30, 5);
    expect(defaultArchiveName(when)).toBe('expman-data-20260126-143005.tar.gz');
    expect(defaultArchiveName(when, 'zst')).toBe('expman-data-20260126-143005.tar.zst');
    expect(formatFromName('/x/a.tar.zst')).toBe('zst');
    expect(formatFromName('a.tzst')).toBe('zst');
    expect(formatFromName('a.TGZ')).toBe('gz');
    expect(formatFromName('a.tar')).toBeUndefined();
    expect(formatOfBytes(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gz');
    expect(formatOfBytes(Buffer.concat([ZSTD_MAGIC, Buffer.alloc(4)]))).toBe('zst');
  });
});

