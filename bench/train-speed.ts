/**
 * One measurement of the `train-speed` benchmark (bench/train-speed.mjs runs it in fresh processes,
 * interleaved with PyTorch): the app's real training path (`trainNewRun`, as `expman train` runs it) on
 * one model, with the fused step or with tfjs's `model.fit` (training.fused_step = false). Prints one JSON
 * line per measured epoch, and with --profile the kernels and allocations of one training step of each.
 *
 *   node bench/output/build/train-speed.mjs --model small|wide|cnn [--fused true|false] [--backend wasm]
 *        [--rows N] [--epochs E] [--profile]
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { parseOverrides, resolveConfig } from '../src/core/config/resolve.js';
import { preprocess } from '../src/core/datasets/preprocess.js';
import { selectBackend, type ConcreteBackend } from '../src/core/training/backend.js';
import { FusedTrainer } from '../src/core/training/fused-trainer.js';
import { buildModel } from '../src/core/training/model.js';
import { trainNewRun } from '../src/core/training/train.js';
import { workspace } from '../src/core/workspace.js';
import { writeSyntheticCsv } from './synthetic.js';

export interface SpeedModel {
  name: string;
  inputs: number;
  hidden: number[];
  classes: number;
  batch: number;
  /** CSV rows: 0.8 of them are the training set, of which 0.8 are trained on (0.2 validate). */
  rows: number;
  /** A model module under examples/models (trains with model.fit: the fused step is for the built-in network). */
  module?: string;
}

export const SPEED_MODELS: Record<string, SpeedModel> = {
  small: { name: 'MLP 4→16→16→3', inputs: 4, hidden: [16, 16], classes: 3, batch: 128, rows: 156_250 },
  wide: { name: 'MLP 4→256→256→3', inputs: 4, hidden: [256, 256], classes: 3, batch: 128, rows: 31_250 },
  cnn: { name: 'digits CNN (8×8×1, conv16-pool-conv32-dense64-10)', inputs: 64, hidden: [], classes: 10, batch: 128, rows: 31_250, module: 'digits-cnn' },
};

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'small' },
    fused: { type: 'string', default: 'true' },
    backend: { type: 'string', default: 'wasm' },
    rows: { type: 'string' },
    epochs: { type: 'string', default: '4' },
    profile: { type: 'boolean', default: false },
  },
});
const m = SPEED_MODELS[values.model];
if (!m) throw new Error(`unknown model ${values.model}`);
const backend = values.backend as ConcreteBackend;
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

function overrides(dataset: string, fused: boolean): string[] {
  return [
    `data.dataset=${dataset}`,
    `training.batch_size=${m!.batch}`,
    `training.epochs=${values.epochs}`,
    `training.backend=${backend}`,
    `training.fused_step=${fused}`,
    'training.early_stopping.enabled=false',
    `checkpoints.every=${values.epochs}`,
    'checkpoints.keep_last=1',
    ...(m!.module ? [`model.type=${m!.module}`] : [`model.hidden_units=[${m!.hidden.join(',')}]`]),
  ];
}

/** Kernels, output tensors and bytes of one training step, for model.fit's and the fused step. */
async function profile(): Promise<void> {
  const { tf } = await selectBackend(backend);
  const config = resolveConfig([parseOverrides([`model.hidden_units=[${m!.hidden.join(',')}]`])]).values;
  const x = tf.randomNormal<TF.Rank.R2>([m!.batch, m!.inputs], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform<TF.Rank.R1>([m!.batch], 0, m!.classes, 'int32', 2), m!.classes).toFloat() as TF.Tensor2D;
  const describe = (info: Awaited<ReturnType<typeof TF.profile>>): Record<string, unknown> => {
    const byName = new Map<string, number>();
    for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
    return {
      kernels: info.kernels.length,
      output_tensors: info.kernels.reduce((n, k) => n + k.outputShapes.length, 0),
      bytes_allocated: info.kernels.reduce((n, k) => n + k.bytesAdded, 0),
      by_kernel: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1])),
    };
  };
  const timeSteps = async (step: () => Promise<void>, n: number): Promise<number> => {
    for (let i = 0; i < 5; i++) await step();
    const t = performance.now();
    for (let i = 0; i < n; i++) await step();
    return (performance.now() - t) / n;
  };
  {
    const model = buildModel(tf, config, { inputs: m!.inputs, classes: m!.classes });
    const step = async (): Promise<void> => void (await model.trainOnBatch(x, y));
    const ms = await timeSteps(step, 200);
    emit({ event: 'profile', step: 'model.fit (trainOnBatch: forward, tape, backward, 10 Adam kernels per weight, loss + accuracy)', ms_per_step: ms, ...describe(await tf.profile(step)) });
    model.dispose();
  }
  for (const hostStep of [false, true]) {
    const model = buildModel(tf, config, { inputs: m!.inputs, classes: m!.classes });
    const trainer = new FusedTrainer(tf, model, config, 'classification', backend, { hostStep });
    const step = async (): Promise<void> => {
      const { loss, correct } = trainer.step(x, y);
      tf.dispose([loss, ...(correct ? [correct] : [])]);
      await Promise.resolve();
    };
    const ms = await timeSteps(step, 200);
    const before = { ...trainer.host?.stats };
    const info = describe(await tf.profile(step));
    const host = trainer.host ? { backend_kernel_calls: trainer.host.stats.kernelCalls - before.kernelCalls!, backend_buffers: trainer.host.stats.allocations - before.allocations!, backend_bytes: trainer.host.stats.bytes - before.bytes! } : {};
    emit({
      event: 'profile',
      step: hostStep ? 'fused step, host (one engine call: backend kernels on its buffers, loops for the rest)' : 'fused step, tensor ops (the GPU path: fused matMul+bias+relu, hand-written backward, one Adam kernel)',
      ms_per_step: ms,
      ...info,
      ...host,
    });
    trainer.dispose();
    model.dispose();
  }
}

async function train(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'expman-bench-speed-'));
  try {
    const ws = workspace(root);
    mkdirSync(join(root, 'datasets', 'external'), { recursive: true });
    writeSyntheticCsv(join(root, 'datasets', 'external', 'speed.csv'), m!, values.rows ? Number(values.rows) : m!.rows);
    await preprocess(ws, { dataset: 'speed', name: 'speed', split: 0.8, separateSets: true, seed: 1 });
    if (m!.module) {
      mkdirSync(join(root, 'models'), { recursive: true });
      copyFileSync(join(process.cwd(), 'examples', 'models', `${m!.module}.mjs`), join(root, 'models', `${m!.module}.mjs`));
    }
    const fused = values.fused === 'true';
    let rows = 0;
    let validation = 0;
    let device = '';
    await trainNewRun(ws, {
      experiment: 'speed',
      config: resolveConfig([parseOverrides(overrides('speed', fused))]),
      commandLine: ['bench'],
      onEvent: (e) => {
        if (e.event === 'run_started') [rows, validation, device] = [e.train_rows, e.validation_rows, e.device];
        // duration_ms: the app's own epoch time (shuffle, every batch, validation), as it logs it.
        if (e.event === 'epoch_end') emit({ event: 'epoch', epoch: e.epoch, duration_ms: e.duration_ms, samples_per_s: (rows / e.duration_ms) * 1000, train_rows: rows, validation_rows: validation, device, loss: e.loss, val_loss: e.val_loss });
      },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (values.profile) await profile();
else await train();
