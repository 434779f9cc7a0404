import TOML from '@iarna/toml';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOverrides, resolveConfig } from '../../../src/core/config/resolve.js';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import { ExpmanError } from '../../../src/core/errors.js';
import { loadTf, selectBackend } from '../../../src/core/training/backend.js';
import type { RunEvent } from '../../../src/core/training/events.js';
import { readRunConfig } from '../../../src/core/training/run-folder.js';
import { epochHistory, listRuns, readEvents, readStatus } from '../../../src/core/training/run-store.js';
import { resumeRun, trainNewRun } from '../../../src/core/training/train.js';
import { workspace, type Workspace } from '../../../src/core/workspace.js';
import { tempDataDir } from '../../helpers/data-dir.js';

async function preparedWorkspace(): Promise<Workspace> {
  const ws = workspace(tempDataDir());
  await preprocess(ws, { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 });
  return ws;
}

const configWith = (...sets: string[]) => resolveConfig([parseOverrides(['training.backend=cpu', ...sets])]);

describe('trainNewRun', () => {
  it('writes config with provenance, checkpoints (every/keep-last), best model, logs and events', async () => {
    const ws = await preparedWorkspace();
    const events: RunEvent[] = [];
    const result = await trainNewRun(ws, {
      experiment: 'exp',
      model: 'm1',
      config: configWith('training.epochs=5', 'checkpoints.every=2', 'checkpoints.keep_last=2', 'training.early_stopping.enabled=false'),
      commandLine: ['expman', 'train'],
      onEvent: (e) => events.push(e),
    });
    expect(result).toMatchObject({ status: 'finished', epochsCompleted: 5, experiment: 'exp', model: 'm1' });
    const dir = join(ws.root, 'experiments/exp/models/m1');
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(['model-checkpoint-epoch-4', 'model-checkpoint-epoch-5']);
    expect(readdirSync(join(dir, 'checkpoints/model-checkpoint-epoch-5')).sort()).toEqual(['model.json', 'state.json', 'weights.bin']);
    expect(readdirSync(join(dir, 'best-model')).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['metrics.jsonl', 'run.log']);

    const names = events.map((e) => e.event).filter((n) => n !== 'batch_end');
    expect(names[0]).toBe('run_started');
    expect(names.filter((n) => n === 'epoch_end')).toHaveLength(5);
    expect(names.filter((n) => n === 'checkpoint_saved')).toHaveLength(3);
    expect(names[names.length - 1]).toBe('run_finished');
    // What was streamed is what was written.
    expect((await readEvents(dir)).map((e) => e.event)).toEqual(events.map((e) => e.event));
    const log = readFileSync(join(dir, 'logs/run.log'), 'utf8');
    expect(log).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[info\] {2}run exp\/m1 started: expman train$/m);
    expect(log).toMatch(/\[info\] {2}epoch 5\/5 loss=/);

    const config = TOML.parse(readFileSync(join(dir, 'config.toml'), 'utf8')) as any;
    expect(config.training.epochs).toBe(5);
    expect(config.provenance).toMatchObject({ backend: 'cpu', dataset: 'prepared-dataset', seed: 42, command_line: ['expman', 'train'], node_version: process.version });
    expect(Object.keys(config.provenance.dataset_hashes).sort()).toEqual(['test.csv', 'train.csv']);
    expect(config.provenance.config_sources).toContain('training.epochs = 5 (override (--set training.epochs=5))');
    const saved = await readRunConfig(dir);
    expect(saved.config.values).toEqual(configWith('training.epochs=5', 'checkpoints.every=2', 'checkpoints.keep_last=2', 'training.early_stopping.enabled=false').values);

    const status = await readStatus(dir);
    expect(status).toMatchObject({ status: 'finished', epoch: 5, epochs: 5, backend: 'cpu' });
    expect((await listRuns(ws)).map((r) => [r.experiment, r.model, r.status])).toEqual([['exp', 'm1', 'finished']]);
  });

  it('writes the best model with the checkpoints, holding improvements on the device in between', async () => {
    const ws = await preparedWorkspace();
    const result = await trainNewRun(ws, {
      experiment: 'exp',
      model: 'deferred',
      config: configWith('training.epochs=7', 'checkpoints.every=3', 'training.early_stopping.enabled=false'),
      commandLine: [],
    });
    const events = await readEvents(result.dir);
    const saved = events.filter((e) => e.event === 'best_model_saved');
    const checkpoints = events.filter((e) => e.event === 'checkpoint_saved').map((e) => (e as { epoch: number }).epoch);
    expect(checkpoints).toEqual([3, 6, 7]);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThanOrEqual(3);
    const meta = JSON.parse(readFileSync(join(result.dir, 'best-model/model.json'), 'utf8')).userDefinedMetadata;
    expect(meta.epoch).toBe(result.best!.epoch);
    expect(saved[saved.length - 1]).toMatchObject({ epoch: result.best!.epoch, val_loss: result.best!.val_loss });
  });

  it('keeps the number of tensors flat across epochs', async () => {
    const ws = await preparedWorkspace();
    const tf = await loadTf();
    const counts: number[] = [];
    await trainNewRun(ws, {
      experiment: 'exp',
      config: configWith('training.epochs=6', 'training.early_stopping.enabled=false'),
      commandLine: [],
      onEvent: (e) => {
        if (e.event === 'epoch_end') counts.push(tf.memory().numTensors);
      },
    });
    expect(counts).toHaveLength(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('trains the built-in network with the fused step, and to the same metrics as model.fit (training.fused_step = false)', async () => {
    const ws = await preparedWorkspace();
    const run = async (model: string, ...sets: string[]) => {
      const epochs: Array<Extract<RunEvent, { event: 'epoch_end' }>> = [];
      await trainNewRun(ws, {
        experiment: 'exp',
        model,
        config: configWith('training.epochs=4', 'training.early_stopping.enabled=false', ...sets),
        commandLine: ['expman', 'train'],
        onEvent: (e) => void (e.event === 'epoch_end' && epochs.push(e)),
      });
      return { epochs, log: readFileSync(join(ws.root, 'experiments/exp/models', model, 'logs/run.log'), 'utf8') };
    };
    const fused = await run('fused');
    const fit = await run('fit', 'training.fused_step=false');
    const dropout = await run('dropout', 'model.dropout=0.1');
    expect(fused.log).toContain('[info]  training step: fused');
    expect(fit.log).toContain('[info]  training step: model.fit (training.fused_step = false)');
    expect(dropout.log).toContain('[info]  training step: model.fit (dropout)');
    // Same initial weights, batches and optimizer: the same run up to float rounding.
    fused.epochs.forEach((e, i) => {
      const f = fit.epochs[i]!;
      expect(e.loss).toBeCloseTo(f.loss, 3);
      expect(e.val_loss).toBeCloseTo(f.val_loss, 3);
      expect(e.accuracy).toBeCloseTo(f.accuracy!, 2);
      expect(e.val_accuracy).toBeCloseTo(f.val_accuracy!, 2);
    });
  });

  it('stops early when val_loss does not improve for `patience` epochs', async () => {
    const ws = await preparedWorkspace();
    const result = await trainNewRun(ws, {
      experiment: 'exp',
      model: 'early',
      config: configWith('training.epochs=50', 'training.early_stopping.patience=3', 'training.early_stopping.min_delta=100'),
      commandLine: [],
    });
    expect(result).toMatchObject({ status: 'finished', earlyStopped: true, epochsCompleted: 4 });
    const events = await readEvents(result.dir);
    expect(events.find((e) => e.event === 'early_stopped')).toMatchObject({ epoch: 4, patience: 3 });
  });

  it('a stopped run resumes from its last checkpoint and ends exactly like an uninterrupted one', async () => {
    const ws = await preparedWorkspace();
    const config = configWith('training.epochs=8', 'training.early_stopping.enabled=false');
    const straight = await trainNewRun(ws, { experiment: 'exp', model: 'straight', config, commandLine: [] });

    const controller = new AbortController();
    const stopped = await trainNewRun(ws, {
      experiment: 'exp',
      model: 'interrupted',
      config,
      commandLine: [],
      signal: controller.signal,
      onEvent: (e) => {
        if (e.event === 'checkpoint_saved' && e.epoch === 3) controller.abort();
      },
    });
    expect(stopped).toMatchObject({ status: 'stopped', epochsCompleted: 3 });
    expect((await readStatus(stopped.dir))?.status).toBe('stopped');
    expect((await readEvents(stopped.dir)).some((e) => e.event === 'run_stopped')).toBe(true);

    const { provenance } = await readRunConfig(stopped.dir);
    const resumed = await resumeRun(ws, { dir: stopped.dir, config, provenance, experiment: 'exp', model: 'interrupted' });
    expect(resumed).toMatchObject({ status: 'finished', epochsCompleted: 8 });
    const metrics = (dir: string) => epochHistory(readEventsSync(dir)).map(({ epoch, loss, accuracy, val_loss, val_accuracy }) => ({ epoch, loss, accuracy, val_loss, val_accuracy }));
    expect(metrics(stopped.dir)).toEqual(metrics(straight.dir));
    expect(metrics(straight.dir)).toHaveLength(8);
  });

  it('checks the dataset and backend before creating the run folder', async () => {
    const ws = workspace(tempDataDir());
    await expect(trainNewRun(ws, { experiment: 'exp', config: configWith(), commandLine: [] })).rejects.toMatchObject({ code: 'DATASET_MISSING' });
    expect(existsSync(join(ws.root, 'experiments'))).toBe(false);
  });

  it('refuses to overwrite an existing run', async () => {
    const ws = await preparedWorkspace();
    const config = configWith('training.epochs=1');
    await trainNewRun(ws, { experiment: 'exp', model: 'same', config, commandLine: [] });
    await expect(trainNewRun(ws, { experiment: 'exp', model: 'same', config, commandLine: [] })).rejects.toMatchObject({ code: 'RUN_EXISTS' });
  });
});

describe('selectBackend', () => {
  const failing = async () => {
    throw new Error('simulated load failure');
  };

  it('auto tries tensorflow-gpu, webgpu, tensorflow, wasm, cpu in order, records why each failed, takes the first that loads', async () => {
    const tried: string[] = [];
    const failing = (name: string) => async () => {
      tried.push(name);
      throw new Error(`simulated ${name} failure\nsecond line is dropped`);
    };
    const choice = await selectBackend('auto', { 'tensorflow-gpu': failing('tensorflow-gpu'), webgpu: failing('webgpu'), tensorflow: failing('tensorflow'), wasm: failing('wasm') });
    expect(tried).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
    expect(choice.backend).toBe('cpu');
    expect(choice.attempts).toEqual([
      { backend: 'tensorflow-gpu', ok: false, reason: 'simulated tensorflow-gpu failure' },
      { backend: 'webgpu', ok: false, reason: 'simulated webgpu failure' },
      { backend: 'tensorflow', ok: false, reason: 'simulated tensorflow failure' },
      { backend: 'wasm', ok: false, reason: 'simulated wasm failure' },
      { backend: 'cpu', ok: true },
    ]);
  });

  it('auto stops at the first backend that loads', async () => {
    const choice = await selectBackend('auto', { 'tensorflow-gpu': failing, webgpu: failing, tensorflow: failing });
    expect(choice.backend).toBe('wasm');
    expect(choice.attempts.map((a) => a.backend)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
  });

  it('auto passes over a software WebGPU adapter (lavapipe), an explicit webgpu takes it', async () => {
    const software = async () => ({ version: 'simulated', device: 'Mesa llvmpipe-llvm-15 software (WebGPU; llvmpipe: Mesa 25.0.7)' });
    const choice = await selectBackend('auto', { 'tensorflow-gpu': failing, webgpu: software, tensorflow: failing });
    expect(choice.backend).toBe('wasm');
    expect(choice.attempts[1]).toEqual({ backend: 'webgpu', ok: false, reason: 'a software (CPU-emulated) adapter, slower than wasm: Mesa llvmpipe-llvm-15 software (WebGPU; llvmpipe: Mesa 25.0.7)' });
    expect((await selectBackend('webgpu', { webgpu: software })).device).toMatch(/llvmpipe/);
  });

  it('native backends that are not really installed say so (danfojs installs a pure-JS stand-in as tfjs-node)', async () => {
    const error = (await selectBackend('tensorflow').catch((e: unknown) => e)) as ExpmanError;
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toMatch(/^backend "tensorflow" could not be loaded: tensorflow: @tensorflow\/tfjs-node is not installed/);
  });

  it('an explicit backend that cannot load is an error, not a silent fallback', async () => {
    const error = await selectBackend('wasm', { wasm: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpmanError);
    expect((error as ExpmanError).message).toBe('backend "wasm" could not be loaded: wasm: simulated load failure');
  });

  it('loads the real wasm backend', async () => {
    const choice = await selectBackend('wasm');
    expect(choice.backend).toBe('wasm');
    expect(choice.device).toMatch(/^CPU \(WebAssembly/);
  });
});

function readEventsSync(dir: string): RunEvent[] {
  return readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunEvent);
}
