import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { readExecutorRecord, type Executor } from '../../../src/core/executors/executor.js';
import { readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import type { TestSlurm } from '../../helpers/slurm.js';
import { LONG, preparedData, queuedRun } from './contract.js';

/** The target lines that ask Slurm to requeue the job, with SIGUSR1 to it a minute before its time limit. */
export const REQUEUE = 'requeue = true\nsignal_before = 60\n';

/**
 * Requeue near the time limit, then the controller restarting — whether the executor submits here or
 * through a login node (`executor`: one for a target with REQUEUE's lines, on `slurm`): the worker
 * stops after its batch, the job is requeued and resumes from its checkpoint; slurmctld restarts while
 * it runs, and the job and the watch go on; Stop ends it stopped. Returns the run folder, for the
 * caller's own checks.
 */
export async function requeueThenControllerRestart(slurm: TestSlurm, executor: Executor): Promise<string> {
  const ws = preparedData();
  const dir = await queuedRun(ws, 'requeued', LONG);
  const events: RunEvent[] = [];
  const handle = await executor.launch({ dir, runtime: resolveWorkerRuntime(''), onEvent: (e) => events.push(e) });
  await slurm.until('two checkpoints', () => events.filter((e) => e.event === 'checkpoint_saved').length >= 2 || undefined);
  // What Slurm sends signal_before seconds before the time limit: SIGUSR1 to the batch shell.
  slurm.run('scancel', ['--batch', '--signal=USR1', handle.jobId!]);
  await slurm.until('the stop', () => events.some((e) => e.event === 'run_stopped') || undefined);
  // A requeued job waits for a begin time (about 2 minutes): Slurm's way of letting the node forget the
  // old instance (a start too soon is killed, "Job credential revoked"). Once the node is idle again,
  // let it start now.
  await slurm.until('the requeue', async () => {
    const record = await readExecutorRecord(dir);
    return ((record?.restarts ?? 0) >= 1 && record?.state === 'PENDING' && slurm.run('sinfo', ['-h', '-o', '%T']).trim() === 'idle') || undefined;
  });
  await sleep(1500);
  slurm.run('scontrol', ['update', `JobId=${handle.jobId}`, 'StartTime=now']);
  const resumed = await slurm.until('the resume', () => events.find((e) => e.event === 'run_resumed') as { from_epoch: number } | undefined);
  expect(resumed.from_epoch).toBeGreaterThanOrEqual(2);
  // The run is live again here, while the job is RUNNING again.
  await slurm.until('running again', async () => (await readStatus(dir))?.status === 'running' || undefined);
  // The controller restarting while the job runs: the job goes on, the watch goes on.
  await slurm.restartController();
  const after = events.length;
  await slurm.until('more epochs after the restart', () => events.slice(after).some((e) => e.event === 'epoch_end') || undefined);
  expect((await readExecutorRecord(dir))?.state).toBe('RUNNING');
  handle.stop();
  const end = await handle.ended;
  expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('stopped');
  expect((await readStatus(dir))?.status).toBe('stopped');
  expect((await readEvents(dir)).filter((e) => e.event === 'run_resumed')).toHaveLength(1);
  expect(readFileSync(join(dir, 'logs', `slurm-${handle.jobId}.out`), 'utf8')).toMatch(/start 1[\s\S]*requeued[\s\S]*start 2/);
  return dir;
}
