import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { readExecutorRecord } from '../../../src/core/executors/executor.js';
import { placeRun } from '../../../src/core/executors/select.js';
import { sshExecutor, watchSshRun, type SshOptions } from '../../../src/core/executors/ssh.js';
import { parseTargets, type SshTarget } from '../../../src/core/executors/targets.js';
import { readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { cliBundle, listTree, tempDataDir, testLogDir } from '../../helpers/data-dir.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { sshdUnavailable, sshTargetToml, useSshd } from '../../helpers/sshd.js';
import { executorContract, LONG, preparedData, queuedRun } from './contract.js';
import { waitUntil } from '../../helpers/processes.js';

const sshd = useSshd();

/** A second data folder on the "remote" host (this machine, through the test sshd). */
function target(extra = '', data = tempDataDir(false)): SshTarget {
  return parseTargets(sshTargetToml(sshd, data, 'box', extra), 'targets.toml').get('box') as SshTarget;
}
const options = (sshCommand = sshd.sshCommand()): SshOptions => ({ pollMs: 200, sshCommand });
const runtime = resolveWorkerRuntime('');

const until = waitUntil;

describeIfAvailable(sshdUnavailable(), 'SSH executor against an sshd on 127.0.0.1, a second data folder as the remote', () => {
  describe('the executor contract', () => {
    executorContract(() => sshExecutor(target(), options()), { timeoutMs: 60_000 });
  });

  test('ships only what the run needs, survives a dropped connection and a restart (re-attach from the offset), brings the run home', async () => {
    const ws = preparedData();
    mkdirSync(join(ws.root, 'experiments', 'other'), { recursive: true });
    writeFileSync(join(ws.root, 'experiments', 'other', 'config.toml'), '');
    const remoteData = tempDataDir(false);
    const dir = await queuedRun(ws, 'far', LONG);
    // A flaky network: while the flag file exists, every new connection fails as an unreachable host does.
    const flag = join(remoteData, '..', `${Math.random()}.down`);
    const flaky = join(testLogDir, `flaky-ssh-${process.pid}`);
    writeFileSync(flaky, `#!/bin/sh\n[ -e '${flag}' ] && { echo "ssh: connect to host 127.0.0.1 port ${sshd.port}: Connection timed out" >&2; exit 255; }\nexec "$@"\n`);
    chmodSync(flaky, 0o755);
    const events: RunEvent[] = [];
    const box = target('', remoteData);
    const first = await sshExecutor(box, options(`${flaky} ${sshd.sshCommand()}`)).launch({ dir, runtime, onEvent: (e) => events.push(e) });
    // Only the dataset and the run folder went there.
    expect(listTree(remoteData).filter((p) => !p.includes('/models/far/'))).toEqual([
      'datasets',
      'datasets/prepared-dataset',
      'datasets/prepared-dataset/info.toml',
      'datasets/prepared-dataset/test.csv',
      'datasets/prepared-dataset/train.csv',
      'experiments',
      'experiments/default',
      'experiments/default/models',
      'experiments/default/models/far',
    ]);
    await until('live epochs', () => events.filter((e) => e.event === 'epoch_end').length >= 2 || undefined);
    // The run is live elsewhere for readers here, with the remote writer's lock mirrored.
    expect((await readStatus(dir))?.status).toBe('running');
    expect(existsSync(join(dir, 'lock.json'))).toBe(true);
    writeFileSync(flag, '');
    const seen = events.length;
    await sleep(1000);
    writeFileSync(flag, '', { flag: 'a' });
    const { rmSync } = await import('node:fs');
    rmSync(flag);
    await until('events again after the drop', () => events.length > seen + 2 || undefined);
    // The app quits (stops following), the run goes on there; a new app re-attaches from the record.
    (first as ReturnType<typeof watchSshRun>).detach?.();
    await sleep(600);
    const record = (await readExecutorRecord(dir))!;
    expect(record).toMatchObject({ executor: 'ssh', target: 'box', host: '127.0.0.1', job_id: expect.stringMatching(/^\d+$/), expman_version: expect.any(String) });
    const later: RunEvent[] = [];
    const again = watchSshRun(box, { dir, record, pollMs: 200, options: options(), request: { onEvent: (e) => later.push(e) } });
    await until('events after re-attaching', () => later.some((e) => e.event === 'epoch_end') || undefined);
    again.stop();
    expect((await again.ended).state).toBe('stopped');
    // Every event once, in order, in the local copy; the run folder is home, without the lock.
    const epochs = (await readEvents(dir)).filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch);
    expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => i + 1));
    expect(readFileSync(join(dir, 'logs', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteData, 'experiments', 'default', 'models', 'far', 'logs', 'metrics.jsonl'), 'utf8'));
    expect(existsSync(join(dir, 'best-model', 'model.json'))).toBe(true);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    expect((await readStatus(dir))?.status).toBe('stopped');
  }, 90_000);

  test('runtime.fetch_checkpoints: the last checkpoint comes home by default, all or none when asked; the best model always', async () => {
    const ws = preparedData();
    const remoteData = tempDataDir(false);
    const box = target('', remoteData);
    const checkpoints = (root: string, model: string): string[] =>
      listTree(join(root, 'experiments/default/models', model)).filter((p) => /^checkpoints\/[^/]+$/.test(p));
    const runs = await Promise.all(
      (['last', 'all', 'none'] as const).map(async (fetch) => {
        const overrides = ['training.epochs=4', 'training.backend=cpu', 'training.early_stopping.enabled=false', 'checkpoints.keep_last=0'];
        // "last" is the default: not set.
        const dir = await queuedRun(ws, fetch, fetch === 'last' ? overrides : [...overrides, `runtime.fetch_checkpoints=${fetch}`]);
        const handle = await sshExecutor(box, options()).launch({ dir, runtime });
        expect((await handle.ended).state).toBe('finished');
        return { fetch, dir };
      }),
    );
    const every = [1, 2, 3, 4].map((e) => `checkpoints/model-checkpoint-epoch-${e}`);
    for (const { fetch, dir } of runs) {
      // All of them stay there (a resume there uses them).
      expect(checkpoints(remoteData, fetch)).toEqual(every);
      expect(existsSync(join(dir, 'best-model', 'model.json'))).toBe(true);
      expect((await readStatus(dir))?.status).toBe('finished');
    }
    expect(checkpoints(ws.root, 'last')).toEqual(['checkpoints/model-checkpoint-epoch-4']);
    expect(checkpoints(ws.root, 'all')).toEqual(every);
    expect(checkpoints(ws.root, 'none')).toEqual([]);
  }, 90_000);

  test('SIGKILL of the remote worker: the run comes home failed, with its output', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'killed', LONG);
    const events: RunEvent[] = [];
    const handle = await sshExecutor(target(), options()).launch({ dir, runtime, onEvent: (e) => events.push(e) });
    await until('an epoch', () => events.some((e) => e.event === 'epoch_end') || undefined);
    process.kill(Number(handle.jobId), 'SIGKILL');
    const end = await handle.ended;
    expect(end.state).toBe('failed');
    expect((await readStatus(dir))?.error?.message).toMatch(/^the worker on .*127\.0\.0\.1 ended without recording it/);
  }, 60_000);

  test('bad targets: one line each, the local data folder unchanged', async () => {
    const ws = preparedData();
    const before = listTree(ws.root);
    const place = async (text: string, sshCommand = sshd.sshCommand()) => {
      writeFileSync(join(ws.root, 'targets.toml'), text);
      const placement = await placeRun(ws, { 'runtime.executor': 'ssh', 'runtime.target': 'box' }, { ssh: options(sshCommand) });
      return placement.validate(runtime);
    };
    const t = (extra: string): string => `[box]\nexecutor = "ssh"\nhost = "127.0.0.1"\ndata = "/tmp"\n${extra}`;
    await expect(place(t(`expman = "${process.execPath} ${cliBundle}"`), sshd.sshCommand(sshd.wrongKey))).rejects.toMatchObject({
      code: 'TARGET_UNREACHABLE',
      message: expect.stringMatching(/^target box: cannot reach 127\.0\.0\.1 over SSH: .*Permission denied/),
    });
    await expect(place(t(''), sshd.sshCommand().replace(`-p ${sshd.port}`, '-p 1'))).rejects.toMatchObject({ code: 'TARGET_UNREACHABLE', message: expect.stringMatching(/Connection refused/) });
    await expect(place(t('expman = "/nonexistent/expman"'))).rejects.toMatchObject({ code: 'TARGET_UNSUITABLE', message: expect.stringMatching(/^target box: expman does not run on 127\.0\.0\.1 \(\/nonexistent\/expman\): .*No such file or directory$/) });
    await expect(place(t(`expman = "sh -c 'echo 99.0.0' sh"`))).rejects.toMatchObject({ code: 'TARGET_UNSUITABLE', message: expect.stringMatching(/^target box: expman 99\.0\.0 on 127\.0\.0\.1, .* here: the major versions differ$/) });
    await expect(place(`[box]\nexecutor = "ssh"\nhost = "127.0.0.1"\ndata = "/proc/expman"\nexpman = "echo 0.1.0"\n`)).rejects.toMatchObject({ code: 'TARGET_UNSUITABLE', message: 'target box: the data folder /proc/expman on 127.0.0.1 is not writable' });
    expect(listTree(ws.root).filter((p) => p !== 'targets.toml')).toEqual(before);
  }, 60_000);
});
