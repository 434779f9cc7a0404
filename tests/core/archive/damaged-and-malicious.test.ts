import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createArchive } from '../../../src/core/archive/create.js';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { listTree, tempDataDir } from '../../helpers/data-dir.js';
import { writeDataTree } from '../../helpers/data-tree.js';

async function madeArchive() {
  const data = tempDataDir();
  writeDataTree(data, { weights: 50_000 });
  const work = tempDataDir(false);
  const out = join(work, 'data.tar.gz');
  await createArchive({ dataDir: data, out });
  return { data, work, out };
}

/** A tar.gz written by Python's tarfile (not by expman), with whatever entries a test wants. */
function pythonTar(out: string, entries: Array<{ name: string; type: 'file' | 'symlink' | 'dir'; data?: string; target?: string }>): void {
  const script = `
import io, json, sys, tarfile
entries = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], 'w:gz', format=tarfile.PAX_FORMAT) as tar:
    for e in entries:
        info = tarfile.TarInfo(e['name'])
        if e['type'] == 'symlink':
            info.type = tarfile.SYMTYPE
            info.linkname = e['target']
            tar.addfile(info)
        elif e['type'] == 'dir':
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        else:
            body = e.get('data', 'x').encode()
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
`;
  execFileSync('python3', ['-c', script, out, JSON.stringify(entries)]);
}

describe('archive verify', () => {
  it('names the file whose content was changed inside the archive', async () => {
    const { out } = await madeArchive();
    const tar = gunzipSync(readFileSync(out));
    const at = tar.indexOf('a,b,label\n1,2,c1\n'); // the content of datasets/prepared-dataset/test.csv
    expect(at).toBeGreaterThan(0);
    tar[at + 12] = tar[at + 12]! ^ 0x01;
    writeFileSync(out, gzipSync(tar));
    const report = await verifyArchive(out);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ kind: 'corrupt', path: 'datasets/prepared-dataset/test.csv', detail: 'sha256 differs from the manifest' }]);
  });

  it('a damaged compressed byte fails with the entry being read', async () => {
    const { out } = await madeArchive();
    const bytes = readFileSync(out);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(out, bytes);
    await expect(verifyArchive(out)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(/damaged .* while reading \S+/) });
  });

  it('reports a file missing from the archive, and one not in the manifest', async () => {
    const { work, out } = await madeArchive();
    const x = join(work, 'x');
    mkdirSync(x);
    execFileSync('tar', ['xzf', out, '-C', x]);
    execFileSync('tar', ['czf', out, '-C', x, '--exclude', 'scripts/run.sh', '.']);
    writeFileSync(join(x, 'extra.txt'), 'extra');
    const report = await verifyArchive(out);
    expect(report.problems).toEqual([{ kind: 'missing', path: 'scripts/run.sh', detail: 'listed in the manifest, not in the archive' }]);
    execFileSync('tar', ['czf', out, '-C', x, '.']);
    expect((await verifyArchive(out)).problems).toEqual([{ kind: 'extra', path: 'extra.txt', detail: 'File not listed in the manifest' }]);
  });
});

describe('archive restore refuses malicious archives and writes nothing', () => {
  const cases: Array<[string, Parameters<typeof pythonTar>[1], RegExp]> = [
    ['../ path', [{ name: 'ok.txt', type: 'file' }, { name: '../escape', type: 'file' }], /\.\.\/escape: path contains '\.\.'/],
    ['absolute path', [{ name: 'ok.txt', type: 'file' }, { name: '/tmp/expman-absolute-escape', type: 'file' }], /\/tmp\/expman-absolute-escape: absolute path/],
    ['symlink to /etc', [{ name: 'etc', type: 'symlink', target: '/etc' }], /etc: link to absolute path \/etc/],
    ['file written through a link', [{ name: 'up', type: 'symlink', target: '..' }, { name: 'up/escape', type: 'file' }], /up: link to \.\. points outside.*up\/escape: inside up, which is a link/],
    ['link chain', [{ name: 'd', type: 'symlink', target: '.' }, { name: 'e', type: 'symlink', target: 'd/..' }], /e: link to d\/\.\. passes through another link \(d\)/],
  ];
  for (const [name, entries, message] of cases) {
    it(name, async () => {
      const work = tempDataDir(false);
      const archive = join(work, 'evil.tar.gz');
      pythonTar(archive, entries);
      const into = join(work, 'into');
      mkdirSync(into);
      writeFileSync(join(into, 'keep.txt'), 'keep');
      await expect(restoreArchive(archive, into)).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message: expect.stringMatching(message) });
      expect(listTree(work)).toEqual(['evil.tar.gz', 'into', 'into/keep.txt']);
    });
  }

  it('a link already on disk is not written through', async () => {
    const { data, work, out } = await madeArchive();
    const into = join(work, 'into');
    mkdirSync(into);
    const outside = join(work, 'outside');
    mkdirSync(outside);
    execFileSync('ln', ['-s', outside, join(into, 'datasets')]);
    await expect(restoreArchive(out, into, { force: true })).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message: expect.stringContaining('inside datasets, which is a link') });
    expect(listTree(outside)).toEqual([]);
    expect(data).toBeTruthy();
  });
});
