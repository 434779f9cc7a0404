import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

/** The largest live heap (after a full collection, sampled every 20 ms) of `expman archive restore` of `archive`. */
function liveHeapPeak(archive: Buffer): number {
  const work = tempDataDir(false);
  const file = join(work, 'many.tar.gz');
  writeFileSync(file, archive);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', join(repoRoot, 'tests', 'helpers', 'live-heap.mjs'), cliBundle, 'archive', 'restore', file, '--into', join(work, 'into')], {
    cwd: repoRoot,
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return Number(/LIVE_HEAP_PEAK=(\d+)/.exec(result.stderr)![1]);
}

describe('archive restore memory', () => {
  // What a restore must keep per entry until its commit (path, type, mode, mtime, size, sha256, the staged
  // file's identity) is a few hundred bytes; before (4 Dec, round 3) it kept ~2.5 KiB per entry: whole entry
  // objects, a Map of staged files, an object and three path strings per placement, the MANIFEST through zod.
  // Measured as the growth of the live heap between two archive sizes, so the CLI's own heap cancels out.
  it('keeps well under 1 KiB of live heap per archived file', { timeout: 120_000 }, () => {
    const [small, large] = [1000, 7000];
    const perFile = (liveHeapPeak(manySmallFiles(large)) - liveHeapPeak(manySmallFiles(small))) / (large - small);
    console.log(`restore: ${Math.round(perFile)} bytes of live heap per archived file`);
    expect(perFile).toBeLessThan(1024);
  });
});
