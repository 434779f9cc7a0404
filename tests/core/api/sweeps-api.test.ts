import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import type { SweepDetail, SweepSummary } from '../../../src/shared/sweeps.js';
import { cliBundle, irisCsv, testLogDir } from '../../helpers/data-dir.js';

let data: string;
beforeAll(() => {
  process.env['EXPMAN_LOG_DIR'] = testLogDir;
  data = mkdtempSync(join(tmpdir(), 'expman-sweeps-api-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

test('sweeps:start drives a sweep through the run queue; list, get and stop see it; bad input starts nothing', async () => {
  const runs = new RunManager({ emit: () => undefined, concurrency: 2 });
  const b = createBackend({ focus: { dataDir: data }, transport: 'browser', emit: () => undefined, runManager: runs });
  const call = async <T>(channel: Parameters<typeof b.dispatch>[0], request: unknown): Promise<T> => {
    const result = await b.dispatch(channel, request);
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
    return result.value as T;
  };

  await expect(call('sweeps:start', { name: 'bad', text: 'method = "grid"\nmetric = "val_accuracy"\ngoal = "maximize"\n[parameters]\n"training.epoch" = [1, 2]\n' })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: 'sweep.toml:5:1: parameters.training.epoch: training.epoch is not a config key (did you mean training.epochs?)',
  });
  expect(existsSync(join(data, 'experiments', 'default', 'sweeps'))).toBe(false);

  const text = `method = "random"\nmetric = "val_accuracy"\ngoal = "maximize"\nparallel = 2\n[budget]\ntrials = 6\n[set]\n"training.epochs" = 300\n"training.early_stopping.enabled" = false\n"logging.batch_interval_ms" = 100000\n[parameters]\n"training.learning_rate" = { log_uniform = [0.001, 0.1] }\n`;
  const started = await call<SweepSummary>('sweeps:start', { name: 'ui', text });
  expect(started).toMatchObject({ name: 'ui', experiment: 'default', status: 'running', live: true, method: 'random', budget: 6 });
  await expect(call('sweeps:start', { name: 'ui', text })).rejects.toMatchObject({ code: 'RUN_EXISTS' });

  const deadline = Date.now() + 60_000;
  let detail: SweepDetail;
  do {
    await new Promise((r) => setTimeout(r, 200));
    detail = await call<SweepDetail>('sweeps:get', { experiment: 'default', name: 'ui' });
  } while (detail.trials.filter((t) => t.status === 'running').length < 2 && Date.now() < deadline);
  expect(detail.parameters).toEqual([{ key: 'training.learning_rate', kind: 'log_uniform', low: 0.001, high: 0.1 }]);
  expect(detail.source).toBe(text);
  expect(runs.active()).toHaveLength(2);

  expect(await call<SweepSummary[]>('sweeps:list', {})).toMatchObject([{ name: 'ui', status: 'running', live: true }]);
  const stopped = await call<SweepSummary>('sweeps:stop', { experiment: 'default', name: 'ui' });
  expect(stopped).toMatchObject({ status: 'stopped', live: false, counts: { stopped: 2 } });
  expect(runs.active()).toHaveLength(0);

  // Quitting the app stops every job: the sweep stops with them instead of starting new trials.
  await call('sweeps:resume', { experiment: 'default', name: 'ui' });
  const waitFor = async (check: () => Promise<boolean>): Promise<void> => {
    const end = Date.now() + 60_000;
    while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  };
  await waitFor(async () => (await call<SweepDetail>('sweeps:get', { experiment: 'default', name: 'ui' })).trials.some((t) => t.status === 'running'));
  await runs.stopAll({ graceMs: 5000 });
  await waitFor(async () => !(await call<SweepSummary>('sweeps:get', { experiment: 'default', name: 'ui' }).then((d) => (d as unknown as SweepDetail).summary.live)));
  const after = await call<SweepDetail>('sweeps:get', { experiment: 'default', name: 'ui' });
  expect(after.summary).toMatchObject({ status: 'stopped', live: false });
  expect(after.state.reason).toMatch(/was stopped outside the sweep/);
  expect(after.trials).toHaveLength(2);
  await new Promise((r) => setTimeout(r, 500));
  expect(runs.active()).toHaveLength(0);
}, 120_000);
