import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { driveSweep } from '../../../src/core/sweeps/controller.js';
import { runManagerLauncher } from '../../../src/core/sweeps/launcher.js';
import { proposePoint } from '../../../src/core/sweeps/samplers.js';
import { readTrials } from '../../../src/core/sweeps/sweep-store.js';
import { checkResumable, createSweep, sweepSummary } from '../../../src/core/sweeps/sweeps.js';
import { readRunConfig } from '../../../src/core/training/run-folder.js';
import { readStatus } from '../../../src/core/training/run-store.js';
import { workspace, type Workspace } from '../../../src/core/workspace.js';
import { cliBundle, irisCsv, testLogDir } from '../../helpers/data-dir.js';

let data: string;
let ws: Workspace;
beforeAll(() => {
  process.env['EXPMAN_LOG_DIR'] = testLogDir;
  data = mkdtempSync(join(tmpdir(), 'expman-sweeps-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
  ws = workspace(data);
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

/** Long enough (no early stop, many epochs) that a trial is still running when the test acts on it. */
const SLOW = `"training.epochs" = 40\n"training.early_stopping.enabled" = false\n"logging.batch_interval_ms" = 100000\n`;

const models = (): string[] => (existsSync(join(data, 'experiments', 'default', 'models')) ? readdirSync(join(data, 'experiments', 'default', 'models')).sort() : []);

describe('sweep controller (real runs through the RunManager)', () => {
  test('a stopped sweep resumes without repeating a trial and proposes what the seed proposes', async () => {
    const text = `name = "resumable"\nmethod = "random"\nmetric = "val_loss"\ngoal = "minimize"\nseed = 11\n[budget]\ntrials = 2\n[set]\n${SLOW}[parameters]\n"training.learning_rate" = { log_uniform = [0.001, 0.1] }\n"training.batch_size" = [16, 32]\n`;
    const { dir, definition } = await createSweep(ws, { text, file: join(data, 'resumable.toml') });
    const manager = new RunManager({ emit: () => undefined, concurrency: 1 });
    const controller = new AbortController();
    // Stop once the second trial has begun training.
    const first = await driveSweep(ws, dir, {
      launcher: runManagerLauncher(manager),
      pollMs: 100,
      signal: controller.signal,
      onProgress: ({ trials }) => {
        if (trials[0]?.status === 'running' && (trials[0].epoch ?? 0) >= 2) controller.abort();
      },
    });
    expect(first.status).toBe('stopped');
    let trials = await readTrials(dir);
    expect(trials).toHaveLength(1);
    expect(trials[0]).toMatchObject({ trial: 0, status: 'stopped', run: 'resumable-t0000' });
    expect((await readStatus(join(data, 'experiments', 'default', 'models', 'resumable-t0000')))!.status).toBe('stopped');
    expect((await sweepSummary(ws, 'default', 'resumable')).status).toBe('stopped');

    // Resumed: trial 0 continues in its folder from its checkpoint, then the budget's second trial runs.
    await checkResumable(dir);
    const second = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager), pollMs: 100 });
    expect(second).toMatchObject({ status: 'finished', reason: 'budget of 2 trials spent' });
    trials = await readTrials(dir);
    // Trial 0 was continued in its own folder (run_resumed), never started again under another name.
    const events = readFileSync(join(data, 'experiments', 'default', 'models', 'resumable-t0000', 'logs', 'metrics.jsonl'), 'utf8');
    expect(events.match(/"run_started"/g)).toHaveLength(1);
    expect(events).toMatch(/"run_resumed"/);
    expect(trials.map((t) => [t.run, t.status])).toEqual([['resumable-t0000', 'finished'], ['resumable-t0001', 'finished']]);
    expect(trials[0]!.epoch).toBe(40);
    // The points are those the seed proposes, whatever the stops.
    for (const t of trials) expect(t.params).toEqual(proposePoint('random', definition.parameters, t.point, 11, []));
    const runs = models().filter((m) => m.startsWith('resumable-'));
    expect(runs).toEqual(trials.map((t) => t.run));
    // Tagged in the snapshot.
    const { provenance } = await readRunConfig(join(data, 'experiments', 'default', 'models', 'resumable-t0001'));
    expect(provenance).toMatchObject({ sweep: 'resumable', sweep_trial: 1 });
    await manager.stopAll({ graceMs: 2000 });
  }, 120_000);

  test.each([
    ['asha', '[pruner]\ntype = "asha"\nmin_epochs = 2\neta = 3\n'],
    ['median', '[pruner]\ntype = "median"\nwarmup_epochs = 1\nmin_trials = 1\n'],
  ])('%s prunes the trial that learns nothing; it ends `pruned` with its logs', async (kind, pruner) => {
    // Grid order: a good learning rate first, then one too small to learn anything in a few epochs.
    const text = `name = "prune-${kind}"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\n[set]\n"training.epochs" = 60\n"training.early_stopping.enabled" = false\n"training.optimizer" = "sgd"\n"logging.batch_interval_ms" = 100000\n[parameters]\n"training.learning_rate" = [0.3, 0.000001]\n${pruner}`;
    const { dir } = await createSweep(ws, { text, file: join(data, `prune-${kind}.toml`) });
    const manager = new RunManager({ emit: () => undefined, concurrency: 1 });
    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager), pollMs: 50 });
    expect(state.status).toBe('finished');
    const trials = await readTrials(dir);
    expect(trials.map((t) => t.status)).toEqual(['finished', 'pruned']);
    expect(trials[1]!.reason).toMatch(kind === 'asha' ? /ASHA rung at epoch 2/ : /median stopping/);
    expect(trials[1]!.epoch).toBeLessThan(60);
    const runDir = join(data, 'experiments', 'default', 'models', `prune-${kind}-t0001`);
    expect((await readStatus(runDir))!.status).toBe('pruned');
    expect(readFileSync(join(runDir, 'logs', 'run.log'), 'utf8')).toMatch(/pruned by the sweep/);
    expect(existsSync(join(runDir, 'logs', 'metrics.jsonl'))).toBe(true);
    await expect(checkResumable(dir)).rejects.toThrow(/has finished/);
  }, 120_000);

  test('repeats run each point once per seed; a time budget stops proposing when it is spent', async () => {
    const text = `name = "seeds"\nmethod = "random"\nmetric = "val_accuracy"\ngoal = "maximize"\nseed = 5\nrepeats = 2\nparallel = 2\n[budget]\ntime = "1s"\n[set]\n"training.epochs" = 300\n"training.early_stopping.enabled" = false\n[parameters]\n"training.learning_rate" = { log_uniform = [0.001, 0.1] }\n`;
    const { dir } = await createSweep(ws, { text, file: join(data, 'seeds.toml') });
    const manager = new RunManager({ emit: () => undefined, concurrency: 2 });
    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager), pollMs: 100 });
    expect(state).toMatchObject({ status: 'finished', reason: 'time budget of 1 s spent' });
    const trials = await readTrials(dir);
    // A worker takes longer than a second to train: the first point (two seeds) is all the budget allowed.
    expect(trials.map((t) => [t.point, t.repeat, t.status])).toEqual([[0, 0, 'finished'], [0, 1, 'finished']]);
    expect(trials[0]!.params).toEqual(trials[1]!.params);
    const seeds = await Promise.all(trials.map(async (t) => (await readRunConfig(join(data, 'experiments', 'default', 'models', t.run))).config.values['training.seed']));
    expect(seeds).toEqual([5, 6]);
  }, 120_000);

  test('a point whose run is refused fails that trial; a sweep whose first trials all fail stops with the reason', async () => {
    // Layers far too large for any machine's memory: prepareRun refuses each before its folder exists.
    const huge = (n: number): string => `[${Array.from({ length: 4 }, () => 65536 - n).join(', ')}]`;
    const text = `name = "refused"\nmethod = "grid"\nmetric = "val_accuracy"\ngoal = "maximize"\n[set]\n"training.epochs" = 2\n[parameters]\n"model.hidden_units" = [${huge(0)}, ${huge(1)}, ${huge(2)}, [4]]\n`;
    const { dir } = await createSweep(ws, { text, file: join(data, 'refused.toml') });
    const manager = new RunManager({ emit: () => undefined, concurrency: 1 });
    const state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager), pollMs: 50 });
    expect(state).toMatchObject({ status: 'failed', error: { code: 'WORKER_FAILED', message: expect.stringMatching(/^the first 3 trials failed; trial 0 \(run refused-t0000\): model\.hidden_units = \[65536,65536,65536,65536\]: .*use smaller layers$/) } });
    const trials = await readTrials(dir);
    expect(trials.map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
    expect(models().filter((m) => m.startsWith('refused-'))).toEqual([]);
  }, 60_000);
});
