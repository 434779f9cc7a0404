import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDirAtomic, writeFileAtomic, writeFilesAtomic } from '../../../src/core/fs/atomic.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('atomic writes', () => {
  it('writeFileAtomic replaces content and leaves no temporary file', async () => {
    const dir = tempDataDir(false);
    const file = join(dir, 'status.json');
    writeFileSync(file, 'old');
    await writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['status.json']);
  });

  it('writeFileAtomic that fails leaves the old file and no temporary', async () => {
    const dir = tempDataDir(false);
    const file = join(dir, 'target');
    mkdirSync(file); // a directory where the file should go: rename fails
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('writeDirAtomic publishes a complete folder or nothing', async () => {
    const dir = tempDataDir(false);
    const target = join(dir, 'checkpoint');
    await writeDirAtomic(target, async (tmp) => {
      writeFileSync(join(tmp, 'a'), '1');
      // while filling, the final name does not exist yet
      expect(readdirSync(dir).filter((n) => n === 'checkpoint')).toEqual([]);
    });
    expect(readdirSync(target)).toEqual(['a']);

    await expect(
      writeDirAtomic(target, async (tmp) => {
        writeFileSync(join(tmp, 'b'), '2');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(dir)).toEqual(['checkpoint']);
    expect(readdirSync(target)).toEqual(['a']);

    await writeDirAtomic(target, async (tmp) => writeFileSync(join(tmp, 'c'), '3'));
    expect(readdirSync(target)).toEqual(['c']);
    expect(readdirSync(dir)).toEqual(['checkpoint']);
  });

  it('writeFilesAtomic writes all files or none', async () => {
    const dir = tempDataDir(false);
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'one'), data: '1' },
        { path: join(dir, 'missing-folder', 'two'), data: '2' },
      ]),
    ).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
    await writeFilesAtomic([
      { path: join(dir, 'one'), data: '1' },
      { path: join(dir, 'two'), data: '2' },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['one', 'two']);
  });
});
