import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { readExecutorRecord, type ExecState } from '../../../src/core/executors/executor.js';
import { JOB_SCRIPT, slurmExecutor, type SlurmOptions } from '../../../src/core/executors/slurm.js';
import { parseTargets, type SlurmTarget } from '../../../src/core/executors/targets.js';
import { readRunSummary, readStatus } from '../../../src/core/training/run-store.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import type { EventChannel, EventPayloads, JobExit } from '../../../src/shared/api.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { slurmUnavailable, useSlurm } from '../../helpers/slurm.js';
import { executorContract, LONG, preparedData, queuedRun } from './contract.js';
import { REQUEUE, requeueThenControllerRestart } from './slurm-requeue.js';

const slurm = useSlurm();

function target(extra = ''): SlurmTarget {
  return parseTargets(`[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\n${extra}`, 'targets.toml').get('cluster') as SlurmTarget;
}
const options = (): SlurmOptions => ({ pollMs: 250, env: slurm.env });
const runtime = resolveWorkerRuntime('');
const which = (tool: string): string => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();

describeIfAvailable(slurmUnavailable(), 'Slurm executor on a real single-node cluster', () => {
  describe('the executor contract', () => {
    executorContract(() => slurmExecutor(target(), options()), { timeoutMs: 60_000 });
  });

  test('PENDING with its reason while the job waits, then RUNNING with live metrics, then COMPLETED; provenance recorded', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'held', ['training.epochs=3', 'training.backend=cpu']);
    const states: ExecState[] = [];
    const events: RunEvent[] = [];
    // Submitted held: it waits (Reason JobHeldUser) until released, as a job waits for resources.
    const handle = await slurmExecutor(target('sbatch = ["--hold"]'), options()).launch({ dir, runtime, onState: (s) => states.push(s), onEvent: (e) => events.push(e) });
    expect(handle.jobId).toMatch(/^\d+$/);
    const pending = await slurm.until('PENDING', async () => ((await handle.state()).phase === 'pending' ? handle.state() : undefined));
    expect(pending.detail).toMatch(new RegExp(`Slurm job ${handle.jobId} PENDING \\(JobHeldUser\\)`));
    // A queued run held by the scheduler stays queued for every reader, with the job's state and reason.
    const summary = await slurm.until('the record', async () => ((await readRunSummary(ws, 'default', 'held'))?.executor?.reason === 'JobHeldUser' ? readRunSummary(ws, 'default', 'held') : undefined));
    expect(summary).toMatchObject({ status: 'queued', executor: { executor: 'slurm', target: 'cluster', job_id: handle.jobId, state: 'PENDING' } });
    expect(events).toEqual([]);
    slurm.run('scontrol', ['release', handle.jobId!]);
    // Live: an epoch's metrics arrive while the job is still RUNNING.
    await slurm.until('a live epoch', () => events.some((e) => e.event === 'epoch_end') || undefined);
    expect((await handle.ended).state).toBe('finished');
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['PENDING', 'COMPLETED']));
    expect(states.find((s) => s.phase === 'running')?.node).toBe(slurm.node);
    const record = await readExecutorRecord(dir);
    expect(record).toMatchObject({ executor: 'slurm', target: 'cluster', job_id: handle.jobId, node: slurm.node, state: 'COMPLETED', expman_version: expect.any(String) });
    // The job script stays in the run folder; its output names the job.
    expect(readFileSync(join(dir, JOB_SCRIPT), 'utf8')).toMatch(/#SBATCH --partition=debug[\s\S]*train --resume/);
    expect(readFileSync(join(dir, 'logs', `slurm-${handle.jobId}.out`), 'utf8')).toContain(`Slurm job ${handle.jobId} on`);
  }, 60_000);

  test('scancel of a pending job: the run ends stopped, never started', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'never', ['training.epochs=3']);
    const handle = await slurmExecutor(target('sbatch = ["--hold"]'), options()).launch({ dir, runtime });
    await slurm.until('PENDING', async () => (await handle.state()).phase === 'pending' || undefined);
    handle.stop();
    expect((await handle.ended).state).toBe('stopped');
    expect((await readStatus(dir))?.status).toBe('stopped');
    expect((await readExecutorRecord(dir))?.state).toBe('CANCELLED');
  }, 30_000);

  test('a pending job another process submitted (an app since restarted) is stopped through Slurm', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'orphan', ['training.epochs=3']);
    const handle = await slurmExecutor(target('sbatch = ["--hold"]'), options()).launch({ dir, runtime });
    await slurm.until('PENDING', async () => (await handle.state()).phase === 'pending' || undefined);
    const manager = new RunManager({ emit: () => undefined, placement: { slurm: options() } });
    writeFileSync(join(ws.root, 'targets.toml'), `[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\n`);
    await manager.stopRun(ws, { experiment: 'default', model: 'orphan' });
    expect((await readStatus(dir))?.status).toBe('stopped');
    expect((await readExecutorRecord(dir))?.state).toBe('CANCELLED');
    await handle.ended;
  }, 30_000);

  test('a job that fails on the node: failed, with its state, exit code and the tail of its output', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'nocmd', ['training.epochs=3']);
    const handle = await slurmExecutor(target('expman = "/nonexistent/expman --verbose"'), options()).launch({ dir, runtime });
    const end = await handle.ended;
    expect(end).toMatchObject({ state: 'failed', code: 127 });
    const status = await readStatus(dir);
    expect(status?.status).toBe('failed');
    expect(status?.error?.message).toMatch(new RegExp(`Slurm job ${handle.jobId} ended FAILED \\(exit 127:0\\) on ${slurm.node}: .*nonexistent/expman: No such file or directory`));
    expect(status?.error?.stderr_tail?.join('\n')).toContain('No such file or directory');
  }, 30_000);

  test('a job that ended on another node: the lock its worker left there does not keep the end from being recorded', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'elsewhere', ['training.epochs=3']);
    // What a worker on node7 leaves when the node fails under it: its lock, and status running.
    const worker = join(ws.root, 'node7-worker.sh');
    writeFileSync(
      worker,
      [
        `printf '%s' '{"pid": 4242, "host": "node7", "started": "2026-12-04T10:00:00Z", "command": "expman train"}' > lock.json`,
        `sed -i 's/"queued"/"running"/' status.json`,
        'exit 3',
      ].join('\n'),
    );
    const handle = await slurmExecutor(target(`expman = "/bin/sh ${worker}"`), options()).launch({ dir, runtime });
    expect((await handle.ended).state).toBe('failed');
    expect((await readStatus(dir))?.status).toBe('failed');
  }, 30_000);

  test('sbatch refusing the job (a partition that does not exist): its message, before any run folder exists', async () => {
    const executor = slurmExecutor(parseTargets('[c]\nexecutor = "slurm"\npartition = "nope"\n', 'targets.toml').get('c') as SlurmTarget, options());
    await expect(executor.validate(runtime)).rejects.toMatchObject({ code: 'SUBMIT_REJECTED', message: expect.stringMatching(/^target c: sbatch refused the job: .*Invalid partition name specified$/) });
    await expect(slurmExecutor(target(), options()).validate(runtime)).resolves.toBeUndefined();
  }, 30_000);

  test('requeue near the time limit: the worker stops, the job is requeued and resumes from its checkpoint', async () => {
    await requeueThenControllerRestart(slurm, slurmExecutor(target(REQUEUE), options()));
  }, 90_000);

  test('launchArray: N runs are one job array that Slurm runs at most K at a time; each task is followed, stopped and recorded as a job of its own', async () => {
    const ws = preparedData();
    const dirs = [
      await queuedRun(ws, 'a0', ['training.epochs=40', 'training.early_stopping.enabled=false', 'training.backend=cpu']),
      await queuedRun(ws, 'a1', LONG),
      await queuedRun(ws, 'a2', ['training.epochs=40', 'training.early_stopping.enabled=false', 'training.backend=cpu']),
      await queuedRun(ws, 'a3', ['training.epochs=40', 'training.early_stopping.enabled=false', 'training.backend=cpu']),
    ];
    const states = dirs.map(() => [] as ExecState[]);
    const events = dirs.map(() => [] as RunEvent[]);
    // scontrol through a shim that logs each call: the tasks are looked at together, one call per poll.
    const shim = mkdtempSync(join(tmpdir(), 'expman-scontrol-'));
    writeFileSync(join(shim, 'scontrol'), `#!/bin/sh\necho "$*" >> ${join(shim, 'calls')}\nexec ${which('scontrol')} "$@"\n`, { mode: 0o755 });
    const executor = slurmExecutor(target(), { ...options(), env: { ...slurm.env, PATH: `${shim}:${slurm.env['PATH']}` } });
    const handles = await executor.launchArray!(dirs.map((dir, i) => ({ dir, runtime, onState: (s: ExecState) => states[i]!.push(s), onEvent: (e: RunEvent) => events[i]!.push(e) })), 2);
    const arrayId = handles[0]!.jobId!.split('_')[0]!;
    expect(handles.map((h) => h.jobId)).toEqual([0, 1, 2, 3].map((i) => `${arrayId}_${i}`));
    // Never more than two tasks at once; the others wait with Reason JobArrayTaskLimit, shown per run.
    let most = 0;
    const watching = (async () => {
      while (!handles.every((h, i) => i === 1 || events[i]!.some((e) => e.event === 'run_finished'))) {
        const tasks = slurm.run('squeue', ['-r', '-h', '-o', '%i %T %r']).trim().split('\n').filter((l) => l.startsWith(`${arrayId}_`));
        most = Math.max(most, tasks.filter((l) => / RUNNING /.test(l)).length);
        await sleep(100);
      }
    })();
    await slurm.until('a throttled task', () => states.flat().find((s) => s.reason === 'JobArrayTaskLimit'));
    expect(states.flat().find((s) => s.reason === 'JobArrayTaskLimit')?.detail).toMatch(new RegExp(`^Slurm job ${arrayId}_[0-3] PENDING \\(JobArrayTaskLimit\\)$`));
    // scancel of one task stops that run only (what pruning a trial does).
    await slurm.until('task 1 running', () => events[1]!.some((e) => e.event === 'epoch_end') || undefined);
    handles[1]!.stop();
    expect((await handles[1]!.ended).state).toBe('stopped');
    for (const i of [0, 2, 3]) expect((await handles[i]!.ended).state).toBe('finished');
    await watching;
    expect(most).toBe(2);
    for (const [i, dir] of dirs.entries()) {
      expect(await readExecutorRecord(dir)).toMatchObject({ executor: 'slurm', target: 'cluster', job_id: `${arrayId}_${i}`, state: i === 1 ? 'CANCELLED' : 'COMPLETED', node: slurm.node });
      expect((await readStatus(dir))?.status).toBe(i === 1 ? 'stopped' : 'finished');
      // One script, kept in every run folder; each task's output lands in its own run's logs.
      expect(readFileSync(join(dir, JOB_SCRIPT), 'utf8')).toBe(readFileSync(join(dirs[0]!, JOB_SCRIPT), 'utf8'));
      expect(readFileSync(join(dir, 'logs', `slurm-${arrayId}_${i}.out`), 'utf8')).toContain(`Slurm job ${arrayId}_${i} on`);
    }
    expect(events[0]!.filter((e) => e.event === 'epoch_end')).toHaveLength(40);
    const calls = readFileSync(join(shim, 'calls'), 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.startsWith('show job'))).toEqual(calls.filter((c) => c.startsWith('show job')).map(() => `show job -o ${arrayId}`));
    rmSync(shim, { recursive: true, force: true });
  }, 90_000);

  test('the run queue hands a Slurm run over at once (no local slot), shows where it stands, and streams its events', async () => {
    const ws = preparedData();
    writeFileSync(join(ws.root, 'targets.toml'), `[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\nsbatch = ["--hold"]\n`);
    const pushed: Array<{ channel: EventChannel; payload: unknown }> = [];
    const manager = new RunManager({ emit: <E extends EventChannel>(channel: E, payload: EventPayloads[E]) => void pushed.push({ channel, payload }), flushIntervalMs: 20, placement: { slurm: options() } });
    // The one local slot is taken by a long local run; the cluster run does not wait for it.
    const local = await manager.start(ws, { experiment: 'default', model: 'local', overrides: LONG });
    const job = await manager.start(ws, { experiment: 'default', model: 'remote', overrides: ['runtime.executor=slurm', 'runtime.target=cluster', 'training.epochs=3', 'training.backend=cpu'] });
    expect(job).toMatchObject({ executor: 'slurm', target: 'cluster', state: 'running' });
    const where = await slurm.until('PENDING', () => manager.state().jobs.find((j) => j.id === job.id)?.where?.match(/^Slurm job (\d+) PENDING \(JobHeldUser\)$/)?.[1]);
    slurm.run('scontrol', ['release', where]);
    const exit = await slurm.until('the end', () => pushed.find((p) => p.channel === 'runs:exited' && (p.payload as JobExit).jobId === job.id)?.payload as JobExit | undefined);
    expect(exit).toMatchObject({ state: 'finished' });
    const streamed = pushed.filter((p) => p.channel === 'runs:event' && (p.payload as { jobId: string }).jobId === job.id).flatMap((p) => (p.payload as { events: RunEvent[] }).events);
    expect(streamed.filter((e) => e.event === 'epoch_end')).toHaveLength(3);
    expect(manager.state().jobs.find((j) => j.id === job.id)?.where).toMatch(/COMPLETED/);
    manager.stop(local.id);
    await manager.stopAll();
    // Refused before anything is written: a target the scheduler refuses.
    writeFileSync(join(ws.root, 'targets.toml'), '[cluster]\nexecutor = "slurm"\npartition = "nope"\n');
    await expect(manager.start(ws, { experiment: 'default', model: 'refused', overrides: ['runtime.executor=slurm', 'runtime.target=cluster'] })).rejects.toMatchObject({ code: 'SUBMIT_REJECTED' });
    expect(await readRunSummary(ws, 'default', 'refused')).toBeNull();
  }, 60_000);
});
