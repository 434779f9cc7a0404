import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readExecutorRecord, type ExecState } from '../../../src/core/executors/executor.js';
import { checkTarget } from '../../../src/core/executors/check.js';
import { JOB_SCRIPT, slurmExecutor, type SlurmOptions } from '../../../src/core/executors/slurm.js';
import { parseTargets, type SlurmTarget } from '../../../src/core/executors/targets.js';
import { epochHistory, readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import { workspace } from '../../../src/core/workspace.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { ExpmanError } from '../../../src/core/errors.js';
import { expman, listTree, tempDataDir } from '../../helpers/data-dir.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { loginSshCommand, slurmUnavailable, useSlurm } from '../../helpers/slurm.js';
import { sshdUnavailable, targetExpman, useSshd } from '../../helpers/sshd.js';
import { LONG, preparedData, queuedRun } from './contract.js';
import { REQUEUE, requeueThenControllerRestart } from './slurm-requeue.js';

const slurm = useSlurm();
const sshd = useSshd();

const runtime = resolveWorkerRuntime('');

/** The login node is this machine's sshd; the cluster's data folder a second folder, which this side never reads. */
function cluster(partition = slurm.partition, extra = ''): { executor: ReturnType<typeof slurmExecutor>; target: SlurmTarget; options: SlurmOptions; remote: string; toml: string } {
  const remote = tempDataDir(false);
  const toml = `[cluster]\nexecutor = "slurm"\nhost = "127.0.0.1"\nuser = "${sshd.user}"\ndata = "${remote}"\npartition = "${partition}"\nexpman = "${targetExpman}"\n${extra}`;
  const target = parseTargets(toml, 'targets.toml').get('cluster') as SlurmTarget;
  const options: SlurmOptions = { pollMs: 250, ssh: { sshCommand: loginSshCommand(sshd, slurm) } };
  return { executor: slurmExecutor(target, options), target, options, remote, toml };
}

describeIfAvailable(slurmUnavailable() ?? sshdUnavailable(), 'Slurm through a login node over SSH, without a shared file system', () => {
  test('submit → RUNNING with metrics mirrored live → COMPLETED; the run folder comes home', async () => {
    const ws = preparedData();
    const { executor, remote } = cluster();
    await executor.validate(runtime);
    const dir = await queuedRun(ws, 'far', ['training.epochs=3', 'training.backend=cpu']);
    const events: RunEvent[] = [];
    const states: ExecState[] = [];
    const handle = await executor.launch({ dir, runtime, onEvent: (e) => events.push(e), onState: (s) => states.push(s) });
    expect(handle.jobId).toMatch(/^\d+$/);
    const end = await handle.ended;
    expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('finished');
    expect(events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(states.some((s) => s.state === 'RUNNING')).toBe(true);
    const remoteDir = join(remote, 'experiments/default/models/far');
    expect((await readStatus(dir))?.status).toBe('finished');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    // Everything the job wrote there is here: best model, the job's output, of the checkpoints the newest
    // (runtime.fetch_checkpoints = "last", the default).
    expect(listTree(dir)).toEqual(expect.arrayContaining(listTree(remoteDir).filter((p) => !/^checkpoints\/model-checkpoint-epoch-[12](\/|$)/.test(p))));
    expect(listTree(dir).filter((p) => /^checkpoints\/[^/]+$/.test(p))).toEqual(['checkpoints/model-checkpoint-epoch-3']);
    expect(listTree(dir)).toEqual(expect.arrayContaining([JOB_SCRIPT, `logs/slurm-${handle.jobId}.out`]));
    expect(readFileSync(join(dir, `logs/slurm-${handle.jobId}.out`), 'utf8')).toMatch(new RegExp(`Slurm job ${handle.jobId} on `));
    expect(await readExecutorRecord(dir)).toMatchObject({ executor: 'slurm', target: 'cluster', host: '127.0.0.1', job_id: handle.jobId, state: 'COMPLETED', expman_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  }, 90_000);

  test('scancel while it runs: the run ends stopped here, its epochs so far mirrored and brought home', async () => {
    const ws = preparedData();
    const { executor, remote } = cluster();
    const dir = await queuedRun(ws, 'long', LONG);
    let epochs = 0;
    let reached!: () => void;
    const twoEpochs = new Promise<void>((r) => (reached = r));
    const handle = await executor.launch({
      dir,
      runtime,
      onEvent: (e) => {
        if (e.event === 'epoch_end' && ++epochs === 2) reached();
      },
    });
    await twoEpochs;
    expect((await readStatus(dir))?.status).toBe('running');
    handle.stop();
    const end = await handle.ended;
    expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('stopped');
    const status = await readStatus(dir);
    expect(status?.status).toBe('stopped');
    expect(status?.epoch).toBeGreaterThanOrEqual(2);
    const remoteDir = join(remote, 'experiments/default/models/long');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(await readExecutorRecord(dir)).toMatchObject({ state: 'CANCELLED' });
  }, 90_000);

  test('targets check runs on the login node; a partition it does not have is refused there in one line, the data folder unchanged', async () => {
    const ws = preparedData();
    const good = cluster();
    const passed = await checkTarget(ws, good.target, { slurm: good.options });
    expect(passed.map((p) => p.what)).toEqual(['ssh', 'expman', 'slurm', 'sbatch --test-only']);
    expect(passed[0]?.detail).toBe(`${sshd.user}@127.0.0.1 reachable; ${good.remote} writable; rsync present`);
    const bad = cluster('nope');
    const before = listTree(ws.root);
    const error = await checkTarget(ws, bad.target, { slurm: bad.options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpmanError);
    expect((error as ExpmanError).code).toBe('SUBMIT_REJECTED');
    expect((error as ExpmanError).message).toMatch(/^target cluster: sbatch refused the job: .*partition/i);
    expect(listTree(ws.root)).toEqual(before);
  }, 60_000);

  test('requeue near the time limit, then the controller restarting: the job resumes from its checkpoint there, the mirror goes on', async () => {
    const { executor, remote } = cluster(slurm.partition, REQUEUE);
    const dir = await requeueThenControllerRestart(slurm, executor);
    // Every event once, in order: the local copy is the file there.
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remote, 'experiments/default/models/requeued', 'logs/metrics.jsonl'), 'utf8'));
  }, 120_000);

  test('Stop and Resume from the run queue: resubmitted there, resumed from its checkpoint, to the metrics of an uninterrupted run', async () => {
    const ws = preparedData();
    const { options, remote, toml } = cluster();
    writeFileSync(join(ws.root, 'targets.toml'), toml);
    const manager = new RunManager({ emit: () => undefined, flushIntervalMs: 20, placement: { slurm: options } });
    // model.fit (~8 s for 60 epochs here), not the fused step (~2 s): Stop must reach the job while it trains.
    const sets = ['training.epochs=60', 'training.batch_size=1', 'training.early_stopping.enabled=false', 'training.backend=cpu', 'training.fused_step=false'];
    const first = await manager.start(ws, { experiment: 'default', model: 'job', overrides: ['runtime.executor=slurm', 'runtime.target=cluster', ...sets] });
    expect(first).toMatchObject({ executor: 'slurm', target: 'cluster' });
    const dir = join(ws.root, 'experiments/default/models/job');
    await slurm.until('two epochs', async () => ((await readEvents(dir)).filter((e) => e.event === 'epoch_end').length >= 2) || undefined);
    await manager.stopRun(ws, { experiment: 'default', model: 'job' });
    expect((await readStatus(dir))?.status).toBe('stopped');
    const firstJob = (await readExecutorRecord(dir))?.job_id;
    const again = await manager.resume(ws, { experiment: 'default', model: 'job' });
    expect(again).toMatchObject({ kind: 'resume', executor: 'slurm', target: 'cluster' });
    await slurm.until('the end', () => (['finished', 'failed', 'stopped'].includes(manager.state().jobs.find((j) => j.id === again.id)?.state ?? '') ? true : undefined), 120_000);
    expect(manager.state().jobs.find((j) => j.id === again.id)?.state, slurm.logs()).toBe('finished');
    const record = await readExecutorRecord(dir);
    expect(record).toMatchObject({ executor: 'slurm', target: 'cluster', state: 'COMPLETED' });
    expect(record?.job_id).not.toBe(firstJob);
    expect((await readEvents(dir)).find((e) => e.event === 'run_resumed')).toBeDefined();
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remote, 'experiments/default/models/job/logs/metrics.jsonl'), 'utf8'));
    const straight = await queuedRun(ws, 'straight', sets);
    expect(expman(['train', '--resume', straight]).code).toBe(0);
    const metrics = async (d: string) => epochHistory(await readEvents(d)).map(({ epoch, loss, accuracy, val_loss, val_accuracy }) => ({ epoch, loss, accuracy, val_loss, val_accuracy }));
    expect(await metrics(dir)).toHaveLength(60);
    expect(await metrics(dir)).toEqual(await metrics(straight));
    await manager.stopAll();
  }, 180_000);

  test('a login node on this file system (host, no data): submitted and cancelled there, nothing shipped, the run folder read here', async () => {
    const ws = preparedData();
    const toml = `[cluster]\nexecutor = "slurm"\nhost = "127.0.0.1"\nuser = "${sshd.user}"\npartition = "${slurm.partition}"\nexpman = "${targetExpman}"\n`;
    writeFileSync(join(ws.root, 'targets.toml'), toml);
    const target = parseTargets(toml, 'targets.toml').get('cluster') as SlurmTarget;
    const options: SlurmOptions = { pollMs: 250, ssh: { sshCommand: loginSshCommand(sshd, slurm) } };
    const passed = await checkTarget(ws, target, { slurm: options });
    expect(passed.map((p) => `${p.what}: ${p.detail}`)).toEqual([
      `ssh: ${sshd.user}@127.0.0.1 reachable; ${ws.root} shared and writable there`,
      expect.stringMatching(/^expman: \d+\.\d+\.\d+/),
      `slurm: sbatch, squeue, scontrol, scancel on ${sshd.user}@127.0.0.1`,
      `sbatch --test-only: the job would be accepted on partition ${slurm.partition}`,
    ]);
    // A folder that is not there on the login node: refused in one line.
    const gone = join(ws.root, 'not-there');
    await expect(checkTarget(workspace(gone), target, { slurm: options })).rejects.toMatchObject({
      code: 'TARGET_UNSUITABLE',
      message: `target cluster: ${gone} is not on ${sshd.user}@127.0.0.1 (a login node without data must share this file system at the same path; else set data, the cluster's data folder)`,
    });

    const executor = slurmExecutor(target, options);
    await executor.validate(runtime);
    const dir = await queuedRun(ws, 'shared', ['training.epochs=3', 'training.backend=cpu']);
    const events: RunEvent[] = [];
    const handle = await executor.launch({ dir, runtime, onEvent: (e) => events.push(e) });
    const end = await handle.ended;
    expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('finished');
    expect(events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(await readExecutorRecord(dir)).toMatchObject({ executor: 'slurm', target: 'cluster', host: '127.0.0.1', job_id: handle.jobId, state: 'COMPLETED', expman_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    // The job wrote this folder itself (its output too); nobody mirrored it.
    expect(readFileSync(join(dir, `logs/slurm-${handle.jobId}.out`), 'utf8')).toMatch(new RegExp(`Slurm job ${handle.jobId} on `));
    expect(listTree(dir)).not.toContain('follow.json');

    const long = await queuedRun(ws, 'long', LONG);
    let epochs = 0;
    let reached!: () => void;
    const twoEpochs = new Promise<void>((r) => (reached = r));
    const running = await executor.launch({ dir: long, runtime, onEvent: (e) => e.event === 'epoch_end' && ++epochs === 2 && reached() });
    await twoEpochs;
    running.stop();
    expect((await running.ended).state).toBe('stopped');
    expect((await readStatus(long))?.status).toBe('stopped');
    expect(await readExecutorRecord(long)).toMatchObject({ state: 'CANCELLED' });
  }, 90_000);
});
