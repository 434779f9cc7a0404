import { mkdirSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/core/progress.js';
import { syncData } from '../../../src/core/sync/sync.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { describeTree, fakeWeights, writeDataTree } from '../../helpers/data-tree.js';
import { sshdUnavailable, startSshd, type TestSshd } from '../../helpers/sshd.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));

function dataFolder(weights = 2000): string {
  const data = tempDataDir();
  writeDataTree(data, { weights });
  return data;
}

describe('sync to a local folder', () => {
  it('copies the folder (modes, mtimes, links) without temporaries; a second run transfers nothing', async () => {
    const data = dataFolder();
    const dest = join(tempDataDir(false), 'backup');
    const progress: Progress[] = [];
    const first = await syncData({ dataDir: data, to: dest, onProgress: (p) => progress.push(p) });
    expect(first.direction).toBe('push');
    expect(first.summary.filesTransferred).toBeGreaterThan(10);
    expect(first.items.some((i) => i.path === 'experiments/e1/models/run-0/best-model/weights.bin' && i.type === 'file')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'syncing', unit: 'bytes' });
    expect(describeTree(dest)).toEqual(describeTree(data, isTemp));
    const second = await syncData({ dataDir: data, to: dest });
    expect(second.summary.filesTransferred).toBe(0);
    expect(second.items).toEqual([]);
  });

  it('--dry-run lists what would change and changes nothing; --delete removes what the source lacks (never temporaries)', async () => {
    const data = dataFolder();
    const dest = join(tempDataDir(false), 'backup');
    await syncData({ dataDir: data, to: dest });
    writeFileSync(join(data, 'datasets/prepared-dataset/new.csv'), 'x\n');
    rmSync(join(data, 'scripts'), { recursive: true });
    mkdirSync(join(dest, '.tmp-elsewhere'));
    const before = describeTree(dest);
    const dry = await syncData({ dataDir: data, to: dest, dryRun: true, delete: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.items.map((i) => `${i.change} ${i.path}`).sort()).toEqual([
      'attributes datasets/prepared-dataset', // its mtime changed with the new file
      'delete scripts',
      'delete scripts/run.sh',
      'receive datasets/prepared-dataset/new.csv',
    ]);
    expect(describeTree(dest)).toEqual(before);
    await syncData({ dataDir: data, to: dest, delete: true });
    expect(describeTree(dest, isTemp)).toEqual(describeTree(data, isTemp));
    expect(readdirSync(dest)).toContain('.tmp-elsewhere');
  });

  it('--exclude-checkpoints leaves checkpoints out; --from pulls', async () => {
    const data = dataFolder();
    const dest = join(tempDataDir(false), 'backup');
    await syncData({ dataDir: data, to: dest, excludeCheckpoints: true });
    const copied = describeTree(dest);
    expect(Object.keys(copied).some((p) => p.includes('checkpoints'))).toBe(false);
    expect(Object.keys(copied)).toContain('experiments/e1/models/run-0/best-model/weights.bin');
    const pulled = join(tempDataDir(false), 'pulled');
    const result = await syncData({ dataDir: pulled, from: data });
    expect(result.direction).toBe('pull');
    expect(describeTree(pulled)).toEqual(describeTree(data, isTemp));
  });

  it('an interrupted sync resumes: kill it mid-way, run it again, trees equal, then nothing to transfer', async () => {
    const data = tempDataDir(false);
    mkdirSync(join(data, 'experiments/big/models/r/checkpoints/model-checkpoint-epoch-1'), { recursive: true });
    for (const n of [1, 2]) writeFileSync(join(data, `experiments/big/models/r/checkpoints/model-checkpoint-epoch-1/weights-${n}.bin`), fakeWeights(1_500_000, n));
    const dest = join(tempDataDir(false), 'backup');
    const controller = new AbortController();
    const interrupted = syncData({
      dataDir: data,
      to: dest,
      bwlimit: 4000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 2_000_000) controller.abort();
      },
    });
    await expect(interrupted).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(describeTree(dest)).not.toEqual(describeTree(data));
    const resumed = await syncData({ dataDir: data, to: dest });
    expect(resumed.summary.filesTransferred).toBeGreaterThan(0);
    expect(describeTree(dest)).toEqual(describeTree(data));
    expect((await syncData({ dataDir: data, to: dest })).summary.filesTransferred).toBe(0);
  });

  it('refuses a destination inside the data folder, and reports a missing rsync', async () => {
    const data = dataFolder(10);
    await expect(syncData({ dataDir: data, to: join(data, 'copy') })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(syncData({ dataDir: data, to: join(tempDataDir(false), 'x'), rsync: '/nonexistent/rsync' })).rejects.toMatchObject({ code: 'RSYNC_MISSING' });
  });

  it.skipIf(process.getuid?.() === 0)('permission denied on the destination is a clear error (not testable as root)', async () => {
    const data = dataFolder(10);
    const parent = tempDataDir(false);
    const dest = join(parent, 'ro');
    mkdirSync(dest);
    chmodSync(dest, 0o555);
    await expect(syncData({ dataDir: data, to: dest })).rejects.toMatchObject({ code: 'SYNC_PERMISSION' });
    chmodSync(dest, 0o755);
  });
});

const noSshd = sshdUnavailable();
describe.skipIf(noSshd !== undefined)(`sync over SSH${noSshd ? ` (skipped: ${noSshd})` : ''}`, () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(() => sshd?.stop());

  it('pushes and pulls through an sshd on 127.0.0.1 with a temporary key', async () => {
    const data = dataFolder();
    const remoteDir = join(tempDataDir(false), 'remote');
    const to = `${sshd.user}@127.0.0.1:${remoteDir}`;
    await syncData({ dataDir: data, to, ssh: { port: sshd.port, key: sshd.key, command: sshd.sshCommand() } });
    expect(describeTree(remoteDir)).toEqual(describeTree(data, isTemp));
    expect((await syncData({ dataDir: data, to, ssh: { command: sshd.sshCommand() } })).summary.filesTransferred).toBe(0);
    const pulled = join(tempDataDir(false), 'pulled');
    await syncData({ dataDir: pulled, from: to, ssh: { command: sshd.sshCommand() } });
    expect(describeTree(pulled)).toEqual(describeTree(data, isTemp));
  });

  it('a refused key, a closed port and an unknown host are clear errors', async () => {
    const data = dataFolder(10);
    const to = `${sshd.user}@127.0.0.1:${join(tempDataDir(false), 'remote')}`;
    await expect(syncData({ dataDir: data, to, ssh: { command: sshd.sshCommand(sshd.wrongKey) } })).rejects.toMatchObject({
      code: 'SYNC_PERMISSION',
      message: expect.stringContaining('SSH login to 127.0.0.1 refused'),
    });
    const closed = sshd.sshCommand().replace(`-p ${sshd.port}`, '-p 1');
    await expect(syncData({ dataDir: data, to, ssh: { command: closed } })).rejects.toMatchObject({ code: 'SYNC_UNREACHABLE', message: expect.stringContaining('Connection refused') });
    await expect(syncData({ dataDir: data, to: 'no-such-host.invalid:/x', ssh: { command: sshd.sshCommand() } })).rejects.toMatchObject({ code: 'SYNC_UNREACHABLE' });
  });
});
