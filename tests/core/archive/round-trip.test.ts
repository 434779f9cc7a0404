import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArchive } from '../../../src/core/archive/create.js';
import { MANIFEST_NAME, parseManifest } from '../../../src/core/archive/manifest.js';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import type { Progress } from '../../../src/shared/progress.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { describeTree, writeDataTree } from '../../helpers/data-tree.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));

function archivedTree(extraWeights?: number) {
  const data = tempDataDir();
  writeDataTree(data, { weights: extraWeights });
  const work = tempDataDir(false);
  return { data, work, out: join(work, 'data.tar.gz') };
}

describe('archive round trip with GNU tar', () => {
  it('extracts with GNU tar into the same tree (contents, modes, mtimes, links), with a MANIFEST of every file', async () => {
    const { data, work, out } = archivedTree();
    const progress: Progress[] = [];
    const result = await createArchive({ dataDir: data, out, onProgress: (p) => progress.push(p), gzip: { blockSize: 64 * 1024 } });
    expect(result.file).toBe(out);
    expect(result.liveRuns).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ phase: 'archiving', unit: 'bytes' });
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);

    // Many 64 KiB members: gzip itself reads them as one stream.
    expect(spawnSync('gzip', ['-t', out]).status).toBe(0);
    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing.every((p) => !p.startsWith('/') && !p.split('/').includes('..'))).toBe(true);
    expect(listing.some((p) => p.includes('.tmp-'))).toBe(false);
    expect(listing.at(-1)).toBe(MANIFEST_NAME);

    const extracted = join(work, 'x');
    mkdirSync(extracted);
    execFileSync('tar', ['xzf', out, '-C', extracted]);
    expect(describeTree(extracted, (rel) => rel === MANIFEST_NAME)).toEqual(describeTree(data, isTemp));

    const manifest = await parseManifest(readFileSync(join(extracted, MANIFEST_NAME), 'utf8'), out);
    const sha = (rel: string) => execFileSync('sha256sum', [join(data, rel)], { encoding: 'utf8' }).split(' ')[0];
    expect(manifest.files.length).toBe(result.files);
    for (const file of manifest.files) expect(file.sha256).toBe(sha(file.path));
    expect(manifest.links).toEqual([
      { path: 'experiments/e1/latest', target: 'models/run-0' },
      { path: 'experiments/e2/latest', target: 'models/run-1' },
    ]);
    expect(manifest.provenance.tool_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.provenance.host).toBeTruthy();

    const report = await verifyArchive(out);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.checked).toBe(result.files);
  });

  it('restores into a new folder, refuses to overwrite without force, and overwrites with it', async () => {
    const { data, work, out } = archivedTree();
    await createArchive({ dataDir: data, out });
    const into = join(work, 'restored');
    const restored = await restoreArchive(out, into);
    expect(restored.files).toBeGreaterThan(10);
    expect(describeTree(into)).toEqual(describeTree(data, isTemp));

    writeFileSync(join(into, 'datasets/prepared-dataset/test.csv'), 'changed\n');
    const before = describeTree(into);
    await expect(restoreArchive(out, into)).rejects.toMatchObject({ code: 'ARCHIVE_CONFLICT', message: expect.stringContaining('--force') });
    expect(describeTree(into)).toEqual(before);
    expect(readdirSync(into).some((n) => n.startsWith('.tmp-'))).toBe(false);

    const forced = await restoreArchive(out, into, { force: true });
    expect(forced.overwritten).toBeGreaterThan(0);
    expect(describeTree(into)).toEqual(describeTree(data, isTemp));
  });

  it('--only and --exclude-checkpoints choose what goes in; an existing output is refused', async () => {
    const { data, work, out } = archivedTree(1000);
    const result = await createArchive({ dataDir: data, out, only: ['experiments/e2'], excludeCheckpoints: true });
    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing.filter((p) => p !== MANIFEST_NAME).every((p) => p.startsWith('experiments/'))).toBe(true);
    expect(listing.some((p) => p.startsWith('experiments/e1'))).toBe(false);
    expect(listing.some((p) => p.includes('checkpoints'))).toBe(false);
    expect(listing).toContain('experiments/e2/models/run-1/best-model/weights.bin');
    expect(result.files).toBe(listing.filter((p) => !p.endsWith('/') && p !== MANIFEST_NAME && !p.endsWith('latest')).length);
    await expect(createArchive({ dataDir: data, out })).rejects.toMatchObject({ code: 'ARCHIVE_CONFLICT' });
    await expect(createArchive({ dataDir: data, out: join(work, 'o.tar.gz'), only: ['../etc'] })).rejects.toMatchObject({ code: 'USAGE' });
    expect(existsSync(join(work, 'o.tar.gz'))).toBe(false);
  });

  it('a cancelled archive leaves no file behind', async () => {
    const { data, work, out } = archivedTree(600_000);
    const controller = new AbortController();
    const run = createArchive({
      dataDir: data,
      out,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(work)).toEqual([]);
  });
});
