import { describe, expect, it } from 'vitest';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import type { RunEvent } from '../../../src/core/training/events.js';
import { startWorker, workerEnv } from '../../../src/core/training/supervisor.js';
import { workspace } from '../../../src/core/workspace.js';
import { tempDataDir, testLogDir } from '../../helpers/data-dir.js';

describe('training worker supervision', () => {
  it('passes only allow-listed environment variables', () => {
    const env = workerEnv({ EXTRA: '1' }, { PATH: '/bin', HOME: '/home/u', AWS_SECRET_ACCESS_KEY: 'x', GITHUB_TOKEN: 'y' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/u', EXTRA: '1' });
  });

  it('streams a run from a plain Node.js process and reports how it ended', async () => {
    const data = tempDataDir();
    await preprocess(workspace(data), { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 });
    const events: RunEvent[] = [];
    const worker = startWorker({
      args: ['train', '--data', data, '--set', 'training.epochs=3', '--set', 'training.backend=cpu'],
      env: { EXPMAN_LOG_DIR: testLogDir },
      onEvent: (e) => events.push(e),
    });
    expect(worker.pid).toBeGreaterThan(0);
    expect(await worker.exited).toMatchObject({ code: 0, signal: null });
    expect(events.map((e) => e.event).filter((n) => n === 'epoch_end')).toHaveLength(3);
    expect(events[events.length - 1]!.event).toBe('run_finished');
  });

  it('stop() ends a run as stopped; a failing command reports its error', async () => {
    const data = tempDataDir();
    await preprocess(workspace(data), { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 });
    const events: RunEvent[] = [];
    const worker = startWorker({
      args: ['train', '--data', data, '--set', 'training.epochs=1000', '--set', 'training.early_stopping.enabled=false'],
      env: { EXPMAN_LOG_DIR: testLogDir },
      onEvent: (e) => {
        events.push(e);
        if (e.event === 'epoch_end' && e.epoch === 2) worker.stop();
      },
    });
    expect(await worker.exited).toMatchObject({ code: 143, signal: null });
    expect(events[events.length - 1]!.event).toBe('run_stopped');

    const failing = startWorker({ args: ['train', '--data', tempDataDir()], env: { EXPMAN_LOG_DIR: testLogDir } });
    const exit = await failing.exited;
    expect(exit.code).toBe(1);
    expect(exit.error?.code).toBe('DATASET_MISSING');
  });
});
