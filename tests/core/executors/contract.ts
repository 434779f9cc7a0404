import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/core/config/load.js';
import type { ExecState, Executor } from '../../../src/core/executors/executor.js';
import { readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { prepareRun } from '../../../src/core/training/train.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import { workspace, type Workspace } from '../../../src/core/workspace.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { cliBundle, tempDataDir, testLogDir } from '../../helpers/data-dir.js';

/** A data folder with Iris prepared (train/validation/test). */
export function preparedData(): Workspace {
  const data = tempDataDir();
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
  return workspace(data);
}

/** A queued run folder (config snapshot, status `queued`), as RunManager.start makes one. */
export async function queuedRun(ws: Workspace, model: string, overrides: string[]): Promise<string> {
  const config = await loadConfig(ws, { experiment: 'default', overrides });
  const run = await prepareRun(ws, { experiment: 'default', model, config, commandLine: ['test'] }, 'queued');
  run.lock.release();
  return run.dir;
}

const runtime = resolveWorkerRuntime('');
/** Overrides of a run that trains until it is stopped. */
export const LONG = ['training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu', 'logging.batch_interval_ms=0'];

/**
 * What every executor does, whatever the place: the worker trains the run folder and its events arrive
 * live; Stop ends it `stopped` and a second launch resumes it from its checkpoint; a worker that fails
 * leaves the run `failed` with why. Registered inside a describe of the executor's own test file.
 */
export function executorContract(make: () => Executor, options: { timeoutMs: number }): void {
  test('launch: the run trains where the executor puts it, events arrive live, it ends finished', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'short', ['training.epochs=3', 'training.backend=cpu']);
    const events: RunEvent[] = [];
    const states: ExecState[] = [];
    const handle = await make().launch({ dir, runtime, onEvent: (e) => events.push(e), onState: (s) => states.push(s) });
    const end = await handle.ended;
    expect(end.state, JSON.stringify(end)).toBe('finished');
    expect((await readStatus(dir))?.status).toBe('finished');
    expect(events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(events.at(-1)?.event).toBe('run_finished');
    expect(states.some((s) => s.phase === 'running')).toBe(true);
    expect((await handle.state()).phase).toBe('ended');
  }, options.timeoutMs);

  test('stop: the worker stops after its batch (stopped, resumable); launching again resumes from its checkpoint', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'long', LONG);
    let epochs = 0;
    let reached!: () => void;
    const twoEpochs = new Promise<void>((r) => (reached = r));
    const handle = await make().launch({
      dir,
      runtime,
      onEvent: (e) => {
        if (e.event === 'checkpoint_saved' && ++epochs === 2) reached();
      },
    });
    await twoEpochs;
    handle.stop();
    const end = await handle.ended;
    expect(end.state).toBe('stopped');
    const status = await readStatus(dir);
    expect(status?.status).toBe('stopped');
    const trained = status!.epoch;
    expect(trained).toBeGreaterThanOrEqual(2);
    // Resume: the same folder goes on from its last complete checkpoint.
    const again = await make().launch({ dir, runtime, onEvent: (e) => e.event === 'epoch_end' && (e as { epoch: number }).epoch > trained + 1 && again.stop() });
    expect((await again.ended).state).toBe('stopped');
    const resumed = (await readEvents(dir)).find((e) => e.event === 'run_resumed') as { from_epoch: number } | undefined;
    expect(resumed?.from_epoch).toBeGreaterThanOrEqual(2);
  }, options.timeoutMs);

  test('a worker that fails leaves the run failed, with why', async () => {
    const ws = preparedData();
    const dir = await queuedRun(ws, 'broken', ['training.epochs=3', 'training.backend=cpu']);
    // The prepared dataset disappears between queueing and training.
    rmSync(join(ws.root, 'datasets', 'prepared-dataset'), { recursive: true, force: true });
    // Refusing the launch (shipping what is missing) or failing once started: either way the run says why.
    const end = await make()
      .launch({ dir, runtime })
      .then((handle) => handle.ended, (error: Error) => ({ state: 'failed', error }));
    expect(end.state).toBe('failed');
    const status = await readStatus(dir);
    expect(status?.status).toBe('failed');
    expect(status?.error?.message).toMatch(/prepared-dataset/);
  }, options.timeoutMs);
}
