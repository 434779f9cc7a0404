import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { craftArchive, type CraftedEntry } from '../core/archive/craft-archive.js';
import { cliBundle, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';

/** An archive of `files` small files in folders of 50, with paths as long as a data folder's. */
function manySmallFiles(files: number): Buffer {
  const entries: CraftedEntry[] = [];
  for (let i = 0; i < files; i++) {
    const folder = `experiments/exp-${i % 7}/models/run-20260101-${String(Math.floor(i / 50)).padStart(6, '0')}/logs`;
    if (i % 50 === 0) entries.push({ path: folder, type: 'Directory' });
    entries.push({ path: `${folder}/metrics-${i}.jsonl`, type: 'File', data: `{"epoch":${i},"loss":0.5}\n`.repeat(3) });
  }
  return craftArchive(entries);
}

/** The largest live heap (after a full collection, sampled every 20 ms) of the CLI run with `args`. */
function liveHeapPeak(args: string[]): number {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', join(repoRoot, 'tests', 'helpers', 'live-heap.mjs'), cliBundle, ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return Number(/LIVE_HEAP_PEAK=(\d+)/.exec(result.stderr)![1]);
}

/** `expman archive restore` of `archive`. */
function restorePeak(archive: Buffer): number {
  const work = tempDataDir(false);
  const file = join(work, 'many.tar.gz');
  writeFileSync(file, archive);
  return liveHeapPeak(['archive', 'restore', file, '--into', join(work, 'into')]);
}

/** `expman archive` of a data folder of `files` small files (the layout of manySmallFiles). */
function archivePeak(files: number): number {
  const data = tempDataDir(false);
  for (let i = 0; i < files; i++) {
    const folder = join(data, `experiments/exp-${i % 7}/models/run-20260101-${String(Math.floor(i / 50)).padStart(6, '0')}/logs`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `metrics-${i}.jsonl`), `{"epoch":${i},"loss":0.5}\n`.repeat(3));
  }
  return liveHeapPeak(['archive', '--data', data, '--out', join(tempDataDir(false), 'many.tar.gz')]);
}

describe('archive memory', () => {
  // What a restore must keep per entry until its commit (path, type, mode, mtime, size, sha256, the staged
  // file's identity) is a few hundred bytes; before (4 Dec, round 3) it kept ~2.5 KiB per entry: whole entry
  // objects, a Map of staged files, an object and three path strings per placement, the MANIFEST through zod.
  // Measured as the growth of the live heap between two archive sizes, so the CLI's own heap cancels out.
  it('keeps well under 1 KiB of live heap per archived file', { timeout: 120_000 }, () => {
    const [small, large] = [1000, 7000];
    const perFile = (restorePeak(manySmallFiles(large)) - restorePeak(manySmallFiles(small))) / (large - small);
    console.log(`restore: ${Math.round(perFile)} bytes of live heap per archived file`);
    expect(perFile).toBeLessThan(1024);
  });

  // Archiving keeps, per file, only the MANIFEST's record until the end (its path, its size and 32 bytes of
  // digest: ~150 bytes); the folder is walked as it is archived and the MANIFEST written in pieces. Before,
  // the whole listing (an entry and its stat per file), a record object with a hex digest per file and the
  // MANIFEST as one string were all alive at the end.
  it('archives with well under 400 bytes of live heap per file', { timeout: 120_000 }, () => {
    const [small, large] = [1000, 7000];
    const perFile = (archivePeak(large) - archivePeak(small)) / (large - small);
    console.log(`archive: ${Math.round(perFile)} bytes of live heap per archived file`);
    expect(perFile).toBeLessThan(400);
  });
});
