import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { readExecutorRecord } from '../../../src/core/executors/executor.js';
import { JOB_SCRIPT } from '../../../src/core/executors/slurm.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { driveSweep } from '../../../src/core/sweeps/controller.js';
import { runManagerLauncher } from '../../../src/core/sweeps/launcher.js';
import { readTrials } from '../../../src/core/sweeps/sweep-store.js';
import { createSweep, stopSweep } from '../../../src/core/sweeps/sweeps.js';
import { readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { paths, type Workspace } from '../../../src/core/workspace.js';
import { cliBundle, testLogDir } from '../../helpers/data-dir.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { slurmUnavailable, useSlurm } from '../../helpers/slurm.js';
import { preparedData } from '../executors/contract.js';

const slurm = useSlurm();

/** A data folder with Iris prepared and a Slurm target `cluster` on the test cluster. */
function clusterData(): Workspace {
  const ws = preparedData();
  writeFileSync(join(ws.root, 'targets.toml'), `[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\n`);
  return ws;
}

const manager = (): RunManager => new RunManager({ emit: () => undefined, placement: { slurm: { pollMs: 250, env: slurm.env } } });
const ON_SLURM = '"runtime.executor" = "slurm"\n"runtime.target" = "cluster"\n"training.backend" = "cpu"\n"training.early_stopping.enabled" = false\n"logging.batch_interval_ms" = 100000\n';
const runDir = (ws: Workspace, run: string): string => paths.modelDir(ws, 'default', run);

/** The sweep's tasks as squeue lists them now: `<array>_<task> <STATE> <reason>`. */
function tasks(arrayId: string): string[] {
  return slurm
    .run('squeue', ['-r', '-h', '-o', '%i %T %r'])
    .trim()
    .split('\n')
    .filter((l) => l.startsWith(`${arrayId}_`));
}

/** Samples squeue until `done`: the most tasks RUNNING at once, and whether one waited on the array's limit. */
function sampleTasks(arrayId: () => string | undefined, done: () => boolean): Promise<{ most: number; throttled: boolean }> {
  return (async () => {
    let most = 0;
    let throttled = false;
    while (!done()) {
      const id = arrayId();
      if (id) {
        const now = tasks(id);
        most = Math.max(most, now.filter((l) => / RUNNING /.test(l)).length);
        throttled ||= now.some((l) => /PENDING JobArrayTaskLimit/.test(l));
      }
      await sleep(100);
    }
    return { most, throttled };
  })();
}

async function arrayOf(ws: Workspace, run: string): Promise<string | undefined> {
  return (await readExecutorRecord(runDir(ws, run)))?.job_id?.split('_')[0];
}

describeIfAvailable(slurmUnavailable(), 'a sweep on a Slurm target is one job array', () => {
  test('a grid of 5 points with parallel = 2: one array (%2), at most 2 tasks at once, every trial finished with its metrics', async () => {
    const ws = clusterData();
    const text = `name = "grid"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[set]\n${ON_SLURM}"training.epochs" = 30\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.03, 0.01, 0.003]\n`;
    const { dir } = await createSweep(ws, { text, file: join(ws.root, 'grid.toml') });
    let array: string | undefined;
    let ended = false;
    const sampled = sampleTasks(() => array, () => ended);
    const state = await driveSweep(ws, dir, {
      launcher: runManagerLauncher(manager()),
      pollMs: 100,
      onProgress: ({ trials }) => void (trials[0] && arrayOf(ws, trials[0].run).then((id) => (array ??= id))),
    }).finally(() => (ended = true));
    expect(state).toMatchObject({ status: 'finished', reason: 'every grid point tried (5)' });
    const { most, throttled } = await sampled;
    expect(most).toBeLessThanOrEqual(2);
    expect(throttled).toBe(true);
    const trials = await readTrials(dir);
    expect(trials.map((t) => [t.trial, t.status, t.epoch])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 'finished', 30]));
    for (const t of trials) expect(t.value).toEqual(expect.any(Number));
    // One submission: task i of one array id trains trial i's run folder.
    const ids = await Promise.all(trials.map(async (t) => (await readExecutorRecord(runDir(ws, t.run)))?.job_id));
    const arrayId = ids[0]!.split('_')[0]!;
    expect(ids).toEqual(trials.map((t) => `${arrayId}_${t.trial}`));
    expect(slurm.run('scontrol', ['show', 'job', '-o', `${arrayId}_4`])).toMatch(/ArrayTaskThrottle=2 /);
    for (const t of trials) {
      expect((await readStatus(runDir(ws, t.run)))?.status).toBe('finished');
      expect(readFileSync(join(runDir(ws, t.run), JOB_SCRIPT), 'utf8')).toMatch(/run_dirs=\(/);
      expect((await readEvents(runDir(ws, t.run))).filter((e) => e.event === 'epoch_end')).toHaveLength(30);
    }
  }, 120_000);

  test('a target whose partition Slurm refuses: sbatch\'s message, and no trial\'s run folder is created', async () => {
    const ws = clusterData();
    writeFileSync(join(ws.root, 'targets.toml'), '[cluster]\nexecutor = "slurm"\npartition = "nope"\n');
    const text = `name = "refused"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\n[set]\n${ON_SLURM}"training.epochs" = 3\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.03]\n`;
    const { dir } = await createSweep(ws, { text, file: join(ws.root, 'refused.toml') });
    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager()), pollMs: 50 });
    expect(state).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/^the first 3 trials failed; trial 0 \(run refused-t0000\): target cluster: sbatch refused the job: .*Invalid partition name specified$/) } });
    expect(existsSync(paths.modelsDir(ws, 'default')) ? readdirSync(paths.modelsDir(ws, 'default')) : []).toEqual([]);
  }, 60_000);

  test('ASHA prunes a trial: its array task is cancelled and its run ends pruned, with its logs', async () => {
    const ws = clusterData();
    // One at a time (%1): the good rate's curve is there when the bad one reaches the rung.
    const text = `name = "prune"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 1\n[set]\n${ON_SLURM}"training.epochs" = 300\n"training.optimizer" = "sgd"\n[parameters]\n"training.learning_rate" = [0.3, 0.000001]\n[pruner]\ntype = "asha"\nmin_epochs = 2\neta = 3\n`;
    const { dir } = await createSweep(ws, { text, file: join(ws.root, 'prune.toml') });
    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager()), pollMs: 50 });
    expect(state.status).toBe('finished');
    const trials = await readTrials(dir);
    expect(trials.map((t) => t.status)).toEqual(['finished', 'pruned']);
    expect(trials[1]!.reason).toMatch(/ASHA rung at epoch 2/);
    const pruned = runDir(ws, 'prune-t0001');
    expect((await readStatus(pruned))?.status).toBe('pruned');
    expect(await readExecutorRecord(pruned)).toMatchObject({ job_id: `${await arrayOf(ws, 'prune-t0000')}_1`, state: 'CANCELLED' });
    expect(readFileSync(join(pruned, 'logs', 'run.log'), 'utf8')).toMatch(/pruned by the sweep/);
    expect(trials[1]!.epoch).toBeLessThan(300);
  }, 120_000);

  test('stopping the sweep cancels every task of its array; resuming starts the rest as a new array without repeating a trial', async () => {
    const ws = clusterData();
    const text = `name = "halt"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[set]\n${ON_SLURM}"training.epochs" = 150\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.03, 0.01]\n`;
    const { dir } = await createSweep(ws, { text, file: join(ws.root, 'halt.toml') });
    const controller = new AbortController();
    const first = await driveSweep(ws, dir, {
      launcher: runManagerLauncher(manager()),
      pollMs: 100,
      signal: controller.signal,
      onProgress: ({ trials }) => {
        if (trials.filter((t) => t.status === 'running' && (t.epoch ?? 0) >= 2).length === 2) controller.abort();
      },
    });
    expect(first.status).toBe('stopped');
    const arrayId = (await arrayOf(ws, 'halt-t0000'))!;
    // Nothing of the sweep is left in the cluster's queue: the two running tasks and the two waiting ones.
    expect(tasks(arrayId)).toEqual([]);
    expect((await readTrials(dir)).map((t) => t.status)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    for (const run of ['halt-t0000', 'halt-t0001', 'halt-t0002', 'halt-t0003']) {
      expect((await readStatus(runDir(ws, run)))?.status).toBe('stopped');
      expect((await readExecutorRecord(runDir(ws, run)))?.state).toBe('CANCELLED');
    }

    const second = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager()), pollMs: 100 });
    expect(second).toMatchObject({ status: 'finished', reason: 'every grid point tried (4)' });
    const trials = await readTrials(dir);
    expect(trials.map((t) => [t.status, t.epoch])).toEqual(trials.map(() => ['finished', 150]));
    // Resumed as one new array; each trial in its own folder, started once (the first two continued).
    const again = await Promise.all(trials.map(async (t) => (await readExecutorRecord(runDir(ws, t.run)))?.job_id));
    const secondId = again[0]!.split('_')[0]!;
    expect(secondId).not.toBe(arrayId);
    expect(again).toEqual(trials.map((_, i) => `${secondId}_${i}`));
    expect(readdirSync(paths.modelsDir(ws, 'default')).sort()).toEqual(['halt-t0000', 'halt-t0001', 'halt-t0002', 'halt-t0003']);
    for (const t of trials) {
      const events = await readEvents(runDir(ws, t.run));
      expect(events.filter((e) => e.event === 'run_started')).toHaveLength(1);
      expect(new Set(events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).size).toBe(150);
    }
    expect(existsSync(join(runDir(ws, 'halt-t0000'), 'logs', `slurm-${arrayId}_0.out`))).toBe(true);
  }, 180_000);

  test('scancel of the whole array (by hand) stops the sweep: every trial stopped and resumable, nothing left queued', async () => {
    const ws = clusterData();
    const text = `name = "byhand"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[set]\n${ON_SLURM}"training.epochs" = 100000\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.03]\n`;
    const { dir } = await createSweep(ws, { text, file: join(ws.root, 'byhand.toml') });
    let cancelled = false;
    const state = await driveSweep(ws, dir, {
      launcher: runManagerLauncher(manager()),
      pollMs: 100,
      onProgress: ({ trials }) => {
        if (cancelled || trials.filter((t) => t.status === 'running' && (t.epoch ?? 0) >= 1).length < 2) return;
        cancelled = true;
        void arrayOf(ws, 'byhand-t0000').then((id) => slurm.run('scancel', [id!]));
      },
    });
    expect(state).toMatchObject({ status: 'stopped', reason: expect.stringMatching(/^trial \d \(run byhand-t000\d\) was stopped outside the sweep$/) });
    expect(tasks((await arrayOf(ws, 'byhand-t0000'))!)).toEqual([]);
    expect((await readTrials(dir)).map((t) => t.status)).toEqual(['stopped', 'stopped', 'stopped']);
  }, 120_000);

  /**
   * Starts `expman sweep start` of a 3-point grid, one task at a time, and SIGKILLs it once the first
   * task trains and the array is submitted: one task runs and two wait in Slurm, with no controller.
   */
  async function orphanedArray(ws: Workspace, name: string, epochs: number): Promise<{ dir: string; arrayId: string }> {
    const file = join(ws.root, `${name}.toml`);
    writeFileSync(file, `name = "${name}"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 1\n[set]\n${ON_SLURM}"training.epochs" = ${epochs}\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.03]\n`);
    const child = spawn(process.execPath, [cliBundle, 'sweep', 'start', file, '--data', ws.root, '--json'], { env: { ...slurm.env, DATA: '', EXPMAN_LOG_DIR: testLogDir }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const first = runDir(ws, `${name}-t0000`);
    for (let i = 0; i < 300; i++) {
      const events = existsSync(join(first, 'logs', 'metrics.jsonl')) ? readFileSync(join(first, 'logs', 'metrics.jsonl'), 'utf8') : '';
      if (events.includes('"epoch_end"') && existsSync(join(runDir(ws, `${name}-t0002`), 'executor.json'))) break;
      await sleep(100);
    }
    child.kill('SIGKILL');
    await exited;
    const arrayId = (await arrayOf(ws, `${name}-t0000`))!;
    expect(tasks(arrayId).length).toBeGreaterThan(0);
    return { dir: join(ws.root, 'experiments', 'default', 'sweeps', name), arrayId };
  }

  test('sweep stop of a sweep whose controller died cancels its array\'s tasks, running and pending', async () => {
    const ws = clusterData();
    const { dir, arrayId } = await orphanedArray(ws, 'orphan', 100000);
    const m = manager();
    const summary = await stopSweep(ws, 'default', 'orphan', { stopRun: (w, run) => m.stopRun(w, run) });
    expect(summary.status).toBe('stopped');
    expect(tasks(arrayId)).toEqual([]);
    expect((await readTrials(dir)).map((t) => t.status)).toEqual(['stopped', 'stopped', 'stopped']);
    for (const run of ['orphan-t0000', 'orphan-t0001', 'orphan-t0002']) expect((await readStatus(runDir(ws, run)))?.status).toBe('stopped');
  }, 120_000);

  test('a controller that dies (SIGKILL) leaves its array to Slurm; resuming follows the same tasks again, submitting nothing twice', async () => {
    const ws = clusterData();
    const { dir, arrayId } = await orphanedArray(ws, 'crash', 100);

    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager()), pollMs: 100 });
    expect(state).toMatchObject({ status: 'finished', reason: 'every grid point tried (3)' });
    const trials = await readTrials(dir);
    expect(trials.map((t) => [t.status, t.epoch])).toEqual(trials.map(() => ['finished', 100]));
    for (const t of trials) {
      // The first array's tasks, each trained once: none was submitted again or resumed.
      expect((await readExecutorRecord(runDir(ws, t.run)))?.job_id).toBe(`${arrayId}_${t.trial}`);
      const events = await readEvents(runDir(ws, t.run));
      expect(events.filter((e) => e.event === 'run_started')).toHaveLength(1);
      expect(events.filter((e) => e.event === 'run_resumed')).toHaveLength(0);
    }
  }, 120_000);
});
