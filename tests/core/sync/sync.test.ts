import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/shared/progress.js';
import { syncData } from '../../../src/core/sync/sync.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { describeTree, fakeWeights, writeDataTree } from '../../helpers/data-tree.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { sshdUnavailable, useSshd } from '../../helpers/sshd.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));

/** A real process to hold a run's lock (stands in for a training; see tests/cli for a real one). */
const holders: ChildProcess[] = [];
function liveProcess(): number {
  const child = spawn('sleep', ['120'], { stdio: 'ignore' });
  holders.push(child);
  return child.pid!;
}
afterAll(() => {
  for (const child of holders) child.kill('SIGKILL');
});

/** A pid that belonged to a process that has ended. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

function statusJson(status: string, pid: number, host = hostname()): string {
  const now = new Date().toISOString();
  return JSON.stringify({ status, pid, host, started: now, updated: now, epoch: 1, epochs: 100, best: null });
}

/** A run folder with a config, a checkpoint and metrics, and the given status.json / lock.json. */
function runFolder(root: string, rel: string, files: { status?: string; lock?: { pid: number; host?: string } }): void {
  const dir = join(root, rel);
  mkdirSync(join(dir, 'checkpoints/model-checkpoint-epoch-1'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'config.toml'), '[training]\nepochs = 100\n');
  writeFileSync(join(dir, 'checkpoints/model-checkpoint-epoch-1/weights.bin'), 'live weights');
  writeFileSync(join(dir, 'logs/metrics.jsonl'), '{"event":"epoch_end","epoch":1}\n');
  if (files.status) writeFileSync(join(dir, 'status.json'), files.status);
  if (files.lock) writeFileSync(join(dir, 'lock.json'), JSON.stringify({ pid: files.lock.pid, host: files.lock.host ?? hostname(), started: new Date().toISOString(), command: 'expman train' }));
}

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
    // A half-sent file waits in the partial-dir (.tmp-rsync-partial): no destination file is a truncated copy.
    const copied = describeTree(dest, isTemp);
    const source = describeTree(data);
    for (const [path, entry] of Object.entries(copied)) if (entry.startsWith('file')) expect(entry, path).toBe(source[path]);
    const resumed = await syncData({ dataDir: data, to: dest });
    expect(resumed.summary.filesTransferred).toBeGreaterThan(0);
    expect(describeTree(dest)).toEqual(describeTree(data));
    expect((await syncData({ dataDir: data, to: dest })).summary.filesTransferred).toBe(0);
  });

  it('--delete never touches a run folder that is live on the receiving side (push), and says which', async () => {
    const data = dataFolder(10);
    const dest = join(tempDataDir(false), 'backup');
    await syncData({ dataDir: data, to: dest });
    // On the receiving side: a training starting (lock held by a live process, no status yet) in an
    // experiment the sender lacks, a training (status running, its lock held) in a folder the sender has
    // (older copy), and runs whose process is gone (stale lock, "running" with no writer): those are
    // deleted as usual.
    runFolder(dest, 'experiments/only-there/models/training', { lock: { pid: liveProcess() } });
    runFolder(dest, 'experiments/only-there/models/stale', { lock: { pid: deadPid() } });
    runFolder(dest, 'experiments/only-there/models/crashed', { status: statusJson('running', deadPid()) });
    const trainer = liveProcess();
    writeFileSync(join(dest, 'experiments/e1/models/run-0/status.json'), statusJson('running', trainer));
    writeFileSync(join(dest, 'experiments/e1/models/run-0/lock.json'), JSON.stringify({ pid: trainer, host: hostname(), started: new Date().toISOString(), command: 'expman train' }));
    writeFileSync(join(dest, 'experiments/e1/models/run-0/logs/metrics.jsonl'), 'the live run has more lines\n');
    const before = describeTree(join(dest, 'experiments/only-there/models/training'));

    const result = await syncData({ dataDir: data, to: dest, delete: true });
    expect(result.protectedRuns.map((r) => [r.path, r.status]).sort()).toEqual([
      ['experiments/e1/models/run-0', 'running'],
      ['experiments/only-there/models/training', 'locked'],
    ]);
    expect(result.protectedRuns.find((r) => r.model === 'training')?.reason).toMatch(/locked by pid \d+, which is alive/);
    expect(describeTree(join(dest, 'experiments/only-there/models/training'))).toEqual(before);
    expect(existsSync(join(dest, 'experiments/only-there/models/stale'))).toBe(false);
    expect(existsSync(join(dest, 'experiments/only-there/models/crashed'))).toBe(false);
    expect(readFileSync(join(dest, 'experiments/e1/models/run-0/logs/metrics.jsonl'), 'utf8')).toBe('the live run has more lines\n');
    expect(result.items.some((i) => i.path.startsWith('experiments/only-there/models/training'))).toBe(false);
    // The dry run says the same.
    const dry = await syncData({ dataDir: data, to: dest, delete: true, dryRun: true });
    expect(dry.protectedRuns.map((r) => r.path).sort()).toEqual(['experiments/e1/models/run-0', 'experiments/only-there/models/training']);
  });

  it('--delete never touches a run folder that is live on the receiving side (pull into the data folder)', async () => {
    const remote = dataFolder(10);
    const data = tempDataDir(false);
    runFolder(data, 'experiments/mine/models/training', { status: statusJson('running', liveProcess()), lock: { pid: process.pid } });
    // Queued by this process (the UI server that queued it), still waiting for a slot.
    runFolder(data, 'experiments/mine/models/queued', { status: statusJson('queued', process.pid) });
    runFolder(data, 'experiments/mine/models/orphan', { status: statusJson('queued', deadPid()) });
    runFolder(data, 'experiments/mine/models/done', { status: statusJson('finished', deadPid()) });
    const result = await syncData({ dataDir: data, from: remote, delete: true });
    expect(result.protectedRuns.map((r) => `${r.path} ${r.status}`).sort()).toEqual([
      'experiments/mine/models/queued queued',
      'experiments/mine/models/training running',
    ]);
    expect(readFileSync(join(data, 'experiments/mine/models/training/checkpoints/model-checkpoint-epoch-1/weights.bin'), 'utf8')).toBe('live weights');
    expect(existsSync(join(data, 'experiments/mine/models/queued/config.toml'))).toBe(true);
    expect(existsSync(join(data, 'experiments/mine/models/done'))).toBe(false);
    // Queued by a process that is gone: it will never start (readers show it stopped), so it is not live.
    expect(existsSync(join(data, 'experiments/mine/models/orphan'))).toBe(false);
    expect(existsSync(join(data, 'experiments/e1/models/run-0/config.toml'))).toBe(true);
  });

  it('--delete refuses to empty a folder that is not a data folder (a typo such as the home folder), either way', async () => {
    const data = dataFolder(10);
    const home = tempDataDir(false);
    mkdirSync(join(home, 'photos'));
    writeFileSync(join(home, 'notes.txt'), 'mine');
    for (const sync of [() => syncData({ dataDir: data, to: home, delete: true }), () => syncData({ dataDir: home, from: data, delete: true, dryRun: true })]) {
      await expect(sync()).rejects.toMatchObject({ code: 'FORBIDDEN', details: { key: 'delete' }, message: expect.stringContaining('refusing --delete into a folder that is not a data folder') });
    }
    expect(readdirSync(home).sort()).toEqual(['notes.txt', 'photos']);
    // A new or empty folder, or a data folder, is fine.
    const empty = join(tempDataDir(false), 'new');
    mkdirSync(empty);
    expect((await syncData({ dataDir: data, to: empty, delete: true })).direction).toBe('push');
  });

  it('a destination that is a file, or read-only, is a one-line error', async () => {
    const data = dataFolder(10);
    const file = join(tempDataDir(false), 'a-file');
    writeFileSync(file, 'x');
    await expect(syncData({ dataDir: data, to: file })).rejects.toMatchObject({ code: 'SYNC_FAILED', message: expect.stringContaining('is a file') });
    await expect(syncData({ dataDir: join(file, 'data'), from: data })).rejects.toMatchObject({ code: 'SYNC_FAILED' });
    // Root may write anywhere, but not into sysfs; others get a read-only folder.
    const readOnly = process.getuid?.() === 0 ? '/sys/expman-sync-test' : join(tempDataDir(false), 'ro');
    if (process.getuid?.() !== 0) {
      mkdirSync(readOnly);
      chmodSync(readOnly, 0o555);
    }
    await expect(syncData({ dataDir: data, to: join(readOnly, 'dest') })).rejects.toMatchObject({ code: 'SYNC_PERMISSION', message: expect.stringContaining('permission denied') });
    // A read-only folder that exists: refused at the first write, before rsync runs.
    const existing = process.getuid?.() === 0 ? '/sys/kernel' : readOnly;
    await expect(syncData({ dataDir: data, to: existing })).rejects.toMatchObject({ code: 'SYNC_PERMISSION', message: expect.stringContaining(`cannot write into ${existing}`) });
    if (process.getuid?.() !== 0) chmodSync(readOnly, 0o755);
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

describeIfAvailable(sshdUnavailable(), 'sync over SSH', () => {
  const sshd = useSshd();

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

  it('--delete over SSH leaves the runs the remote calls live alone (its pids cannot be checked from here)', async () => {
    const data = dataFolder(10);
    const remoteDir = join(tempDataDir(false), 'remote');
    const to = `${sshd.user}@127.0.0.1:${remoteDir}`;
    const ssh = { command: sshd.sshCommand() };
    await syncData({ dataDir: data, to, ssh });
    runFolder(remoteDir, 'experiments/gpu/models/training', { status: statusJson('running', liveProcess(), 'gpu-node-7') });
    runFolder(remoteDir, 'experiments/gpu/models/locked', { lock: { pid: liveProcess() } });
    runFolder(remoteDir, 'experiments/gpu/models/finished', { status: statusJson('finished', 1, 'gpu-node-7') });
    const result = await syncData({ dataDir: data, to, ssh, delete: true });
    expect(result.protectedRuns.map((r) => `${r.path} ${r.status}`).sort()).toEqual([
      'experiments/gpu/models/locked locked',
      'experiments/gpu/models/training running',
    ]);
    expect(result.protectedRuns.find((r) => r.model === 'training')?.reason).toContain('cannot be checked from here');
    expect(readFileSync(join(remoteDir, 'experiments/gpu/models/training/checkpoints/model-checkpoint-epoch-1/weights.bin'), 'utf8')).toBe('live weights');
    expect(existsSync(join(remoteDir, 'experiments/gpu/models/locked/config.toml'))).toBe(true);
    expect(existsSync(join(remoteDir, 'experiments/gpu/models/finished'))).toBe(false);
    expect(describeTree(join(remoteDir, 'experiments/e1'))).toEqual(describeTree(join(data, 'experiments/e1'), isTemp));
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
