import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArchive } from '../../../src/core/archive/create.js';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { describeTree, writeDataTree } from '../../helpers/data-tree.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));

/** A PATH holding only the named tools (those installed here), so the decompressor can be chosen. */
function pathWith(tools: string[]): string {
  const bin = tempDataDir(false);
  for (const tool of tools) {
    const found = execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

function hasTool(tool: string): boolean {
  return execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim() !== '';
}

async function withPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  try {
    return await work();
  } finally {
    process.env['PATH'] = saved;
  }
}

describe('readArchive: the gzip decompressor (pigz or gzip in a child, else Node)', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['pigz', ['pigz', 'gzip'], /\(pigz: .+\)/],
    ['gzip', ['gzip'], /\(gzip: .+\)/],
    ["Node's gunzip (neither installed)", [], /\(unexpected end of file\)/],
  ];
  for (const [name, tools, truncatedReason] of cases) {
    it.skipIf(tools.length > 0 && !hasTool(tools[0]!))(`${name}: verify and restore give the same tree, modes and mtimes; a truncated archive is refused with its reason`, async () => {
      const data = tempDataDir();
      writeDataTree(data, { weights: 3000 });
      // A read-only file and an old mtime: set on the staged copy through its descriptor, kept by the rename.
      const csv = join(data, 'datasets', 'prepared-dataset', 'train.csv');
      chmodSync(csv, 0o444);
      utimesSync(csv, new Date('2020-02-02T02:02:02Z'), new Date('2020-02-02T02:02:02Z'));
      const work = tempDataDir(false);
      const out = join(work, 'data.tar.gz');
      await createArchive({ dataDir: data, out });
      const bytes = readFileSync(out);
      const truncated = join(work, 'truncated.tar.gz');
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const into = join(work, 'restored');
      const refusedInto = join(work, 'refused');
      await withPath(pathWith(tools), async () => {
        expect(await verifyArchive(out)).toMatchObject({ ok: true });
        await restoreArchive(out, into);
        await expect(verifyArchive(truncated)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(truncatedReason) });
        await expect(restoreArchive(truncated, refusedInto)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(truncatedReason) });
      });
      expect(describeTree(into)).toEqual(describeTree(data, isTemp));
      expect(describeTree(into)['datasets/prepared-dataset/train.csv']).toMatch(/^file 444 1580608922 /);
      expect(existsSync(refusedInto) ? readdirSync(refusedInto) : []).toEqual([]);
    });
  }
});
