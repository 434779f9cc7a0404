import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import { epochHistory } from '../../../src/core/training/run-store.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { expman, jsonLines, tempDataDir } from '../../helpers/data-dir.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { sshdUnavailable, sshTargetToml, useSshd } from '../../helpers/sshd.js';

const epochsIn = (dir: string): number => (existsSync(join(dir, 'logs/metrics.jsonl')) ? readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"epoch_end"')).length : 0);
const metrics = (dir: string) =>
  epochHistory(jsonLines<RunEvent>(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8'))).map(({ epoch, loss, accuracy, val_loss, val_accuracy }) => ({ epoch, loss, accuracy, val_loss, val_accuracy }));

describeIfAvailable(sshdUnavailable(), 'Stop, Resume, Re-run and Test of a run on an SSH target, through the API the UI uses (an sshd on 127.0.0.1)', () => {
  // The in-process backend reaches the target with EXPMAN_SSH_COMMAND.
  const sshd = useSshd({ sshCommandEnv: true });

  test('stopped there, resumed there (shipped again, with the checkpoint that came home) to the metrics of an uninterrupted run (its re-run, there too); tested there', async () => {
    const data = tempDataDir();
    const remote = tempDataDir(false);
    expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
    writeFileSync(join(data, 'targets.toml'), sshTargetToml(sshd, remote));
    const models = join(data, 'experiments/default/models');
    const remoteModels = join(remote, 'experiments/default/models');
    const backend = createBackend({ focus: { dataDir: data }, transport: 'browser', emit: () => undefined });
    const job = (id: string) => backend.runs.state().jobs.find((j) => j.id === id);
    // Long enough for Stop to arrive while it trains: the fused step trains these 80 epochs in ~2 s, which a
    // loaded machine's SSH round trip could outlast (the run finished first); model.fit takes ~11 s, and the
    // resumed run and its re-run take the same path, so their metrics still compare exactly.
    const overrides = ['runtime.executor=ssh', 'runtime.target=box', 'training.epochs=80', 'training.batch_size=1', 'training.early_stopping.enabled=false', 'training.backend=cpu', 'training.fused_step=false'];

    const started = await backend.dispatch('runs:start', { experiment: 'default', model: 'far', overrides });
    expect(started).toMatchObject({ ok: true, value: { executor: 'ssh', target: 'box' } });
    await vi.waitFor(() => expect(epochsIn(join(models, 'far'))).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });
    const stopped = await backend.dispatch('runs:stop-run', { experiment: 'default', model: 'far' });
    expect(stopped).toMatchObject({ ok: true, value: { status: 'stopped', live: null } });
    const stoppedAt = (JSON.parse(readFileSync(join(models, 'far/status.json'), 'utf8')) as { epoch: number }).epoch;
    expect(stoppedAt).toBeLessThan(80);
    const firstPid = (JSON.parse(readFileSync(join(models, 'far/executor.json'), 'utf8')) as { job_id: string }).job_id;

    // What came home: the newest checkpoint only (runtime.fetch_checkpoints = "last", the default).
    const home = readdirSync(join(models, 'far/checkpoints'));
    expect(home).toEqual([`model-checkpoint-epoch-${stoppedAt}`]);
    // The target's copy is cleaned up meanwhile: a resume ships the run again, with that checkpoint.
    rmSync(join(remoteModels, 'far'), { recursive: true });

    // Resume: the same target (the run's config says where), from the checkpoint there.
    const resumed = await backend.dispatch('runs:resume', { experiment: 'default', model: 'far' });
    expect(resumed).toMatchObject({ ok: true, value: { kind: 'resume', executor: 'ssh', target: 'box' } });
    const resumeId = (resumed as { value: { id: string } }).value.id;
    await vi.waitFor(() => expect(job(resumeId)?.state).toBe('finished'), { timeout: 120_000, interval: 200 });
    expect(JSON.parse(readFileSync(join(models, 'far/executor.json'), 'utf8'))).toMatchObject({ executor: 'ssh', target: 'box', job_id: expect.not.stringMatching(`^${firstPid}$`) });
    const resumedEvent = jsonLines<RunEvent>(readFileSync(join(remoteModels, 'far/logs/metrics.jsonl'), 'utf8')).find((e) => e.event === 'run_resumed') as { from_epoch: number } | undefined;
    expect(resumedEvent?.from_epoch).toBe(stoppedAt);
    expect(readFileSync(join(models, 'far/logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteModels, 'far/logs/metrics.jsonl'), 'utf8'));
    // runtime.fetch_checkpoints = "last" (the default): the newest checkpoint came home, the older stay there.
    expect(existsSync(join(models, 'far/checkpoints/model-checkpoint-epoch-80'))).toBe(true);
    expect(existsSync(join(models, 'far/checkpoints/model-checkpoint-epoch-79'))).toBe(false);
    expect(existsSync(join(remoteModels, 'far/checkpoints/model-checkpoint-epoch-79'))).toBe(true);

    // Re-run: a new run on the same target, uninterrupted: the resumed run's metrics are its metrics.
    const rerun = await backend.dispatch('runs:rerun', { experiment: 'default', model: 'far' });
    expect(rerun).toMatchObject({ ok: true, value: { kind: 'rerun', executor: 'ssh', target: 'box', run: { model: 'far-rerun-1' } } });
    const rerunId = (rerun as { value: { id: string } }).value.id;
    await vi.waitFor(() => expect(job(rerunId)?.state).toBe('finished'), { timeout: 120_000, interval: 200 });
    expect(existsSync(join(remoteModels, 'far-rerun-1/best-model/model.json'))).toBe(true);
    expect(metrics(join(models, 'far'))).toHaveLength(80);
    expect(metrics(join(models, 'far'))).toEqual(metrics(join(models, 'far-rerun-1')));

    // Test: run there, its results home.
    const tested = await backend.dispatch('runs:test', { experiment: 'default', model: 'far' });
    expect(tested).toMatchObject({ ok: true });
    const results = readFileSync(join(data, 'experiments/default/results/far/metrics.csv'), 'utf8');
    expect(readFileSync(join(remote, 'experiments/default/results/far/metrics.csv'), 'utf8')).toBe(results);
    await backend.runs.stopAll();
  }, 300_000);
});
