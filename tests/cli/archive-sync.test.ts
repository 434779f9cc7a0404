import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cliBundle, expman, expmanAsync, jsonLines, listTree, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';
import { describeTree, fakeWeights, writeDataTree } from '../helpers/data-tree.js';
import { processesOf, until } from '../helpers/processes.js';
import { describeIfAvailable } from '../helpers/needs.js';
import { sshdUnavailable, useSshd } from '../helpers/sshd.js';

const isTemp = (rel: string) => rel.split('/').some((part) => part.startsWith('.tmp-'));

/** A data folder whose dataset is made by the real CLI, with two experiments' runs written beside it. */
function preparedData(): string {
  const data = tempDataDir();
  expect(expman(['preprocess', '--data', data, '--split=0.8', '--separate-sets']).code).toBe(0);
  writeDataTree(join(data, 'more'), { weights: 20_000 });
  return data;
}

describe('expman archive', () => {
  it('archives, verifies, detects a corrupt file, and restores (refusing to overwrite without --force)', () => {
    const data = preparedData();
    const work = tempDataDir(false);
    const out = join(work, 'a.tar.gz');
    const created = expman(['archive', '--data', data, '--out', out]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Archived \d+ files .* to .*a\.tar\.gz/);
    const x = join(work, 'x');
    mkdirSync(x);
    execFileSync('tar', ['xzf', out, '-C', x]);
    expect(describeTree(x, (rel) => rel === 'MANIFEST')).toEqual(describeTree(data, isTemp));

    const verified = expman(['archive', 'verify', out]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^OK: .* files match the MANIFEST \(made .* by expman \d/);

    const restored = expman(['archive', 'restore', out, '--into', join(work, 'r'), '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(jsonLines(restored.stdout)[0]).toMatchObject({ event: 'archive_restored', overwritten: 0 });
    expect(describeTree(join(work, 'r'))).toEqual(describeTree(data, isTemp));
    const again = expman(['archive', 'restore', out, '--into', join(work, 'r')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists.*use --force to overwrite existing files/);
    expect(expman(['archive', 'restore', out, '--into', join(work, 'r'), '--force']).code).toBe(0);

    const tar = gunzipSync(readFileSync(out));
    const at = tar.indexOf('"format":"layers-model"');
    tar[at + 2] = tar[at + 2]! ^ 0x20;
    writeFileSync(out, gzipSync(tar));
    const bad = expman(['archive', 'verify', out, '--json']);
    expect(bad.code).toBe(1);
    const report = jsonLines(bad.stdout)[0]!;
    expect(report).toMatchObject({ event: 'archive_verified', ok: false, problems: [{ kind: 'corrupt', detail: 'sha256 differs from the manifest' }] });
    expect(bad.stderr).toContain('corrupt more/experiments/e1/models/run-0/best-model/model.json');
  });

  it('usage errors exit 2; a missing data folder or an existing output exits 1 and writes nothing', () => {
    const work = tempDataDir(false);
    expect(expman(['archive', 'restore', 'x.tar.gz']).code).toBe(2);
    expect(expman(['archive', 'verify']).code).toBe(2);
    const missing = expman(['archive', '--data', join(work, 'nope'), '--out', join(work, 'a.tar.gz')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('data folder not found');
    writeFileSync(join(work, 'a.tar.gz'), 'mine');
    const exists = expman(['archive', '--data', repoRoot, '--out', join(work, 'a.tar.gz')]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('already exists');
    expect(listTree(work)).toEqual(['a.tar.gz']);
  });
});

describe('expman sync', () => {
  it.skipIf(process.platform !== 'linux')('SIGKILL of expman mid-transfer leaves no rsync running; a leftover temp file is removed by the next sync', async () => {
    const data = tempDataDir(false);
    mkdirSync(join(data, 'experiments/big/models/r/best-model'), { recursive: true });
    // 12 MB at 1000 KiB/s: rsync would go on for about 10 s after expman is killed, were it not stopped.
    writeFileSync(join(data, 'experiments/big/models/r/best-model/weights.bin'), fakeWeights(3_000_000, 4));
    const killedDest = join(tempDataDir(false), 'backup-killed');
    const temps = (dest: string) => (existsSync(join(dest, '.tmp-sync')) ? readdirSync(join(dest, '.tmp-sync'), { recursive: true }).map(String) : []);
    const transferring = (dest: string) => until(() => temps(dest).some((p) => p.includes('weights.bin')), 10_000);

    // 1. expman is SIGKILLed: rsync ends too (the watchdog's SIGTERM, or its broken output pipe, whichever
    // comes first; only the first lets it remove its temporary file, which the next sync removes otherwise).
    const child = expmanAsync(['sync', '--data', data, killedDest, '--bwlimit', '1000']);
    expect(await transferring(killedDest)).toBe(true);
    expect(processesOf('rsync', killedDest).length).toBeGreaterThan(0);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited; // reaped: its pid no longer looks alive to the next sync
    expect(await until(() => processesOf('rsync', killedDest).length === 0, 3000), `rsync still running: ${processesOf('rsync', killedDest).join(' ')}`).toBe(true);

    // 2. rsync itself killed outright (SIGKILL of the whole group, the OOM killer) cleans nothing up: its
    // temporary file stays in the sync's folder, named for a process that is gone. The next sync removes it.
    const bothDest = join(tempDataDir(false), 'backup-both-killed');
    const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    const stale = join(bothDest, '.tmp-sync', `${hostname()}-${deadPid}-0`);
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'weights.bin.Xy12Ab'), 'half a file');

    for (const dest of [killedDest, bothDest]) {
      const resumed = expman(['sync', '--data', data, dest]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(existsSync(join(dest, '.tmp-sync')), readdirSync(dest, { recursive: true }).join(' ')).toBe(false);
      expect(describeTree(dest)).toEqual(describeTree(data));
    }
  });

  it('--delete keeps a real training on the receiving side alive and whole; a file as DEST is a one-line error', async () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data]).code).toBe(0);
    const empty = tempDataDir(false);
    const training = expmanAsync(['train', '--data', data, '--model', 'live', '--set', 'training.epochs=1000000', '--set', 'training.early_stopping.enabled=false', '--set', 'training.backend=cpu']);
    const run = join(data, 'experiments/default/models/live');
    expect(await until(() => existsSync(join(run, 'checkpoints')) && readFileSync(join(run, 'status.json'), 'utf8').includes('"running"'), 60_000)).toBe(true);

    const pull = expman(['sync', '--data', data, '--from', empty, '--delete', '--json']);
    expect(pull.code, pull.stderr).toBe(0);
    expect(jsonLines(pull.stdout)[0]).toMatchObject({ event: 'sync_finished', protected_runs: [{ path: 'experiments/default/models/live', status: 'running' }] });
    const text = expman(['sync', '--data', data, '--from', empty, '--delete']);
    expect(text.stdout).toMatch(/^protected {2}experiments\/default\/models\/live\/ \(live on the receiving side: running \(pid \d+ is alive\)\)/m);
    expect(existsSync(join(run, 'config.toml'))).toBe(true);
    expect(existsSync(join(data, 'datasets'))).toBe(false); // the rest was deleted as asked
    expect(training.exitCode).toBe(null);
    training.kill('SIGTERM');
    await new Promise((r) => training.once('close', r));
    expect(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8'))).toMatchObject({ status: 'stopped' });

    const file = join(empty, 'a-file');
    writeFileSync(file, 'x');
    const toFile = expman(['sync', '--data', data, file]);
    expect(toFile.code).toBe(6);
    expect(toFile.stderr.trim()).toMatch(/^expman: error: .*a-file: the destination is a file/);
    expect(toFile.stderr.trim().split('\n')).toHaveLength(1);
    // A read-only destination: exit 5, one line (sysfs refuses even root).
    const readOnly = process.getuid?.() === 0 ? '/sys/kernel' : join(empty, 'ro');
    if (process.getuid?.() !== 0) mkdirSync(readOnly, { mode: 0o555 });
    const denied = expman(['sync', '--data', data, readOnly]);
    expect(denied.code).toBe(5);
    expect(denied.stderr.trim()).toMatch(/^expman: error: permission denied: cannot write into /);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('exit codes: usage 2, missing rsync 3', () => {
    const data = tempDataDir();
    expect(expman(['sync', '--data', data]).code).toBe(2);
    expect(expman(['sync', '--data', data, join(data, '..', 'x'), '--from', 'y']).code).toBe(2);
    const noRsync = expman(['sync', '--data', data, join(tempDataDir(false), 'x')], { env: { PATH: '/nonexistent' } });
    expect(noRsync.code).toBe(3);
    expect(noRsync.stderr).toContain('rsync is not installed');
  });

  describeIfAvailable(sshdUnavailable(), 'over SSH', () => {
    const sshd = useSshd();

    it('dry-run lists, a sync killed mid-way resumes, and a second run transfers nothing', async () => {
      const data = preparedData();
      mkdirSync(join(data, 'experiments/big/models/r/best-model'), { recursive: true });
      writeFileSync(join(data, 'experiments/big/models/r/best-model/weights.bin'), fakeWeights(2_000_000, 3));
      const remote = join(tempDataDir(false), 'remote');
      const dest = `${sshd.user}@127.0.0.1:${remote}`;
      const env = { EXPMAN_SSH_COMMAND: sshd.sshCommand() };

      const dry = expman(['sync', '--data', data, dest, '--dry-run'], { env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('new     experiments/big/models/r/best-model/weights.bin');
      expect(dry.stdout).toMatch(/Dry run .* files to transfer .* nothing was changed/);
      expect(listTree(join(remote, '..'))).toEqual([]);

      const child = spawn(process.execPath, [cliBundle, 'sync', '--data', data, dest, '--bwlimit', '1500'], {
        cwd: repoRoot,
        env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Once part of the big file has arrived, stop the sync like Ctrl-C in another terminal would.
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const partial = listTree(remote).some((p) => p.includes('best-model/') && p.includes('weights.bin'));
        if (partial) break;
      }
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('close', r));
      expect(code).toBe(143);
      expect(stderr).toContain('sync cancelled; run it again to resume');
      expect(describeTree(remote)).not.toEqual(describeTree(data, isTemp));

      const resumed = expman(['sync', '--data', data, dest], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/^Synced .* files transferred/);
      expect(describeTree(remote)).toEqual(describeTree(data, isTemp));
      const nothing = expman(['sync', '--data', data, dest, '--json'], { env });
      expect(jsonLines(nothing.stdout)[0]).toMatchObject({ event: 'sync_finished', items: [], summary: { files_transferred: 0 } });

      const pulled = join(tempDataDir(false), 'pulled');
      const pull = expman(['sync', '--data', pulled, '--from', dest, '--exclude-checkpoints'], { env });
      expect(pull.code, pull.stderr).toBe(0);
      expect(describeTree(pulled)).toEqual(describeTree(data, (rel) => isTemp(rel) || rel.includes('checkpoints')));
    });

    it('exit codes: 4 unreachable host, 5 SSH login refused; --ssh-port and --ssh-key reach the server', () => {
      const data = tempDataDir();
      const dest = `${sshd.user}@127.0.0.1:${join(tempDataDir(false), 'remote')}`;
      const closed = expman(['sync', '--data', data, dest, '--ssh-port', '1'], { env: { EXPMAN_SSH_COMMAND: '' } });
      expect(closed.code).toBe(4);
      expect(closed.stderr).toMatch(/cannot reach 127\.0\.0\.1 over SSH: .*Connection refused/);
      const refused = expman(['sync', '--data', data, dest], { env: { EXPMAN_SSH_COMMAND: sshd.sshCommand(sshd.wrongKey) } });
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('SSH login to 127.0.0.1 refused');
      // The flags alone: host-key checking is the user's ssh config's business, so accept this test key here.
      const viaFlags = expman(['sync', '--data', data, dest, '--ssh-port', String(sshd.port), '--ssh-key', sshd.key], {
        env: { EXPMAN_SSH_COMMAND: '', HOME: tempDataDir(false) },
      });
      expect(viaFlags.code === 0 || /Host key verification failed|host key/.test(viaFlags.stderr)).toBe(true);
    });
  });
});
