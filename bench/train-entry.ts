// The child process of the training-overhead benchmark, bundled on the fly by bench/lib.mjs (the core is
// imported from src/). Every variant loads the same prepared dataset and config (`--set` as for
// `expman train`) and builds the same model with the core's buildModel; it prints one JSON line per
// epoch end with the wall clock (ms) and the process CPU time (ms) at that moment.
//
// usage: node train-entry.mjs --data DIR --variant V [--set key=value]...
// variants, each adding one ingredient of the app's loop so that overhead can be located:
//   fit      bare: ONE model.fit({epochs: E, shuffle: true}); epochs timed with onEpochBegin/onEpochEnd
//   loop     per epoch: seeded permutation + tf.gather of x and y, then model.fit({epochs: 1, shuffle: false})
//   loop-cb  as loop, plus the app's async onBatchEnd callback (progress + throttled metric), no files
//   app      the app: trainNewRun (callbacks, metrics.jsonl, run.log, status.json, checkpoints, best model)
//   components  not a run: times each piece of per-epoch work the app adds to a bare fit (the onBatchEnd
//            callback, one fit() call per epoch, seeded shuffle + gather, best-model and checkpoint
//            saving, status.json, metrics lines) in one process, fastest of several tries, so overhead
//            can be located even on a noisy machine; prints one `component` line each
import type * as TF from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/core/config/load.js';
import type { FlatConfig } from '../src/core/config/schema.js';
import { loadPreparedDataset, type PreparedDataset } from '../src/core/datasets/load.js';
import { createRng, permutation } from '../src/core/random.js';
import { selectBackend, type Tf } from '../src/core/training/backend.js';
import { buildModel } from '../src/core/training/model.js';
import { saveModel } from '../src/core/training/model-io.js';
import { MetricsWriter, newStatus, writeStatus } from '../src/core/training/run-store.js';
import { trainNewRun, trainingArrays } from '../src/core/training/train.js';
import { paths, runFiles, workspace } from '../src/core/workspace.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    variant: { type: 'string', default: 'fit' },
    model: { type: 'string', default: 'bench' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const print = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** Marks the end of an epoch: `duration_ms` as the variant measures it, plus wall clock and CPU time. */
const epochEnd = (epoch: number, durationMs: number, loss: unknown): void => {
  print({ event: 'epoch_end', epoch, duration_ms: durationMs, end_ms: performance.now(), cpu_ms: cpuMs(), loss });
};

/** The same validation split and standardisation as the app (train.ts trainingArrays), same seeds. */
function tensorsFor(tf: Tf, data: PreparedDataset, config: FlatConfig) {
  const { train, val, features, classes } = trainingArrays(data, config);
  const toTensors = (set: { x: Float32Array; y: Float32Array; rows: number }) => ({
    x: tf.tensor2d(set.x, [set.rows, features]),
    y: tf.tensor2d(set.y, [set.rows, classes]),
    rows: set.rows,
  });
  return { train: toTensors(train), val: toTensors(val) };
}

async function setup(config: FlatConfig, variant: string) {
  const data = await loadPreparedDataset(ws, config['data.dataset']);
  const { tf, backend } = await selectBackend(config['training.backend']);
  const t = tensorsFor(tf, data, config);
  const model = buildModel(tf, config, { inputs: data.features.length, classes: data.classes.length });
  print({ event: 'start', variant, backend, train_rows: t.train.rows, validation_rows: t.val.rows });
  return { tf, data, t, model };
}

/** The app's per-batch callback (train.ts runLoop), without the file append of the metric line. */
function appBatchCallback(config: FlatConfig, epoch: number, batches: number, sink: { bytes: number }): TF.CustomCallbackArgs['onBatchEnd'] {
  const interval = config['logging.batch_interval_ms'];
  let last = 0;
  return async (batch, logs) => {
    const now = Date.now();
    if (logs && now - last >= interval) {
      last = now;
      sink.bytes += JSON.stringify({ event: 'batch_end', epoch, batch: batch + 1, batches, loss: Number(logs['loss']), accuracy: Number(logs['acc']) }).length;
    }
  };
}

async function bare(config: FlatConfig, variant: string): Promise<void> {
  const { tf, t, model } = await setup(config, variant);
  const epochs = config['training.epochs'];
  const batchSize = config['training.batch_size'];

  if (variant === 'fit') {
    let began = 0;
    await model.fit(t.train.x, t.train.y, {
      epochs,
      batchSize,
      shuffle: true,
      verbose: 0,
      validationData: [t.val.x, t.val.y],
      callbacks: {
        onEpochBegin: async () => {
          began = performance.now();
        },
        onEpochEnd: async (epoch, logs) => epochEnd(epoch + 1, performance.now() - began, logs?.['loss']),
      },
    });
    return;
  }
  const batches = Math.ceil(t.train.rows / batchSize);
  const sink = { bytes: 0 };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const began = performance.now();
    const indices = tf.tensor1d(Int32Array.from(permutation(t.train.rows, createRng(config['training.seed'], 1000 + epoch))), 'int32');
    const xs = tf.gather(t.train.x, indices);
    const ys = tf.gather(t.train.y, indices);
    indices.dispose();
    const callbacks: TF.CustomCallbackArgs = variant === 'loop-cb' ? { onBatchEnd: appBatchCallback(config, epoch, batches, sink) } : {};
    const history = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0, validationData: [t.val.x, t.val.y], callbacks });
    xs.dispose();
    ys.dispose();
    epochEnd(epoch, performance.now() - began, history.history['loss']?.[0]);
  }
  if (variant === 'loop-cb') print({ event: 'serialized', bytes: sink.bytes });
}

async function app(config: Awaited<ReturnType<typeof loadConfig>>): Promise<void> {
  await trainNewRun(ws, {
    experiment: 'bench',
    model: values.model,
    config,
    commandLine: ['bench', ...process.argv.slice(2)],
    onEvent: (event) => {
      if (event.event === 'run_started') print({ event: 'start', variant: 'app', backend: event.backend, train_rows: event.train_rows, validation_rows: event.validation_rows });
      if (event.event === 'epoch_end') epochEnd(event.epoch, event.duration_ms, event.loss);
    },
  });
}

/** Fastest wall time (ms) of `fn` over `times` calls: the least disturbed by other load on the machine. */
async function timeMin(times: number, fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const began = performance.now();
    await fn();
    best = Math.min(best, performance.now() - began);
  }
  return best;
}

/**
 * Times each piece of work the app adds per epoch, in one process, fastest of several tries, and
 * relates it to a bare epoch estimated in the same process.
 */
async function components(config: FlatConfig): Promise<void> {
  const { tf, data, t, model } = await setup(config, 'components');
  const batchSize = config['training.batch_size'];
  const batches = Math.ceil(t.train.rows / batchSize);
  const reps = Number(process.env['BENCH_COMPONENT_REPS'] ?? 5);
  const component = (name: string, ms: number, perEpoch: number, note: string): void => print({ event: 'component', name, ms, per_epoch_ms: perEpoch, note });
  // Cheaper ways to do the same work, for comparison (not part of the app today).
  const alternative = (name: string, ms: number, perEpoch: number, note: string): void =>
    print({ event: 'component', alternative: true, name, ms, per_epoch_ms: perEpoch, note });

  // Time spent in tfjs's CustomCallback.onBatchEnd (resolving the batch's loss/accuracy scalars, then the
  // app's callback), measured inside the batch loop; the bare fit's callback object (epoch callbacks only)
  // is the baseline: it too passes through onBatchEnd (tfjs's periodic yield to the event loop).
  const some = Math.min(batches, 150);
  const xs = t.train.x.slice(0, some * batchSize);
  const ys = t.train.y.slice(0, some * batchSize);
  const proto = tf.CustomCallback.prototype;
  // Reflect.get: the method is only re-bound below (original.apply), never called unbound.
  const original: (this: TF.CustomCallback, batch: number, logs?: TF.Logs) => Promise<void> = Reflect.get(proto, 'onBatchEnd');
  const inCallback = { ms: 0, calls: 0 };
  proto.onBatchEnd = async function (this: TF.CustomCallback, ...args: Parameters<typeof original>) {
    const began = performance.now();
    await original.apply(this, args);
    inCallback.ms += performance.now() - began;
    inCallback.calls++;
  };
  const fitSome = async (callbacks: TF.CustomCallbackArgs): Promise<{ total: number; callback: number }> => {
    inCallback.ms = 0;
    inCallback.calls = 0;
    const began = performance.now();
    const yieldEvery = callbacks.onYield ? Math.max(config['logging.batch_interval_ms'], 1) : undefined;
    await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: true, verbose: 0, callbacks, ...(yieldEvery ? { yieldEvery } : {}) });
    return { total: performance.now() - began, callback: inCallback.ms / Math.max(inCallback.calls, 1) };
  };
  const bareCallbacks: TF.CustomCallbackArgs = { onEpochBegin: async () => undefined, onEpochEnd: async () => undefined };
  await fitSome(bareCallbacks); // warm-up
  let plain = Infinity;
  let bareCallback = Infinity;
  let appCallback = Infinity;
  let yieldCallback = Infinity;
  for (let i = 0; i < reps; i++) {
    const a = await fitSome(bareCallbacks);
    const b = await fitSome({ onBatchEnd: appBatchCallback(config, 1, some, { bytes: 0 }) });
    // tfjs resolves the logs only when it yields, every `yieldEvery` ms, for an onYield callback
    const c = await fitSome({ onYield: async (_epoch, batch, logs) => void JSON.stringify({ batch, logs }) });
    plain = Math.min(plain, a.total);
    bareCallback = Math.min(bareCallback, a.callback);
    appCallback = Math.min(appCallback, b.callback);
    yieldCallback = Math.min(yieldCallback, c.callback);
  }
  proto.onBatchEnd = original;
  const batchMs = plain / some;
  const validation = await timeMin(reps, () => tf.dispose(model.evaluate(t.val.x, t.val.y, { batchSize })));
  const epochMs = batchMs * batches + validation;
  component('bare epoch (reference)', epochMs, epochMs, `${batches} batches × ${batchMs.toFixed(2)} ms + validation ${validation.toFixed(0)} ms (${t.val.rows} rows)`);
  const callback = appCallback - bareCallback;
  component('onBatchEnd callback', callback, callback * batches, `per batch: ${appCallback.toFixed(3)} ms in CustomCallback.onBatchEnd vs ${bareCallback.toFixed(3)} ms bare, × ${batches}`);
  const yielded = yieldCallback - bareCallback;
  alternative('onYield callback, yieldEvery = batch_interval_ms', yielded, yielded * batches, `per batch: ${yieldCallback.toFixed(3)} ms; logs resolved only when tfjs yields`);

  // One fit() call per epoch instead of one for all epochs: a 1-batch fit minus the same step by trainOnBatch.
  const x1 = xs.slice(0, batchSize);
  const y1 = ys.slice(0, batchSize);
  let fitOne = Infinity;
  let step = Infinity;
  for (let i = 0; i < reps * 4; i++) {
    fitOne = Math.min(fitOne, await timeMin(1, () => model.fit(x1, y1, { epochs: 1, batchSize, verbose: 0 })));
    step = Math.min(step, await timeMin(1, () => model.trainOnBatch(x1, y1)));
  }
  component('fit() call per epoch', fitOne - step, fitOne - step, `fixed cost of a call: 1-batch fit ${fitOne.toFixed(2)} ms minus trainOnBatch ${step.toFixed(2)} ms`);

  let epochNo = 0;
  const shuffle = await timeMin(reps, () => {
    epochNo++;
    const indices = tf.tensor1d(Int32Array.from(permutation(t.train.rows, createRng(config['training.seed'], 1000 + epochNo))), 'int32');
    tf.dispose([tf.gather(t.train.x, indices), tf.gather(t.train.y, indices), indices]);
  });
  component('seeded permutation + tf.gather of x, y', shuffle, shuffle, `${t.train.rows} rows copied per epoch (fit then gathers each batch again)`);
  const nf = data.features.length;
  const nc = data.classes.length;
  const xAll = t.train.x.dataSync();
  const yAll = t.train.y.dataSync();
  const xOut = new Float32Array(xAll.length);
  const yOut = new Float32Array(yAll.length);
  const jsShuffle = await timeMin(reps, () => {
    epochNo++;
    const order = permutation(t.train.rows, createRng(config['training.seed'], 1000 + epochNo));
    for (let i = 0; i < order.length; i++) {
      const r = order[i]!;
      for (let k = 0; k < nf; k++) xOut[i * nf + k] = xAll[r * nf + k]!;
      for (let k = 0; k < nc; k++) yOut[i * nc + k] = yAll[r * nc + k]!;
    }
    tf.dispose([tf.tensor2d(xOut, [t.train.rows, nf]), tf.tensor2d(yOut, [t.train.rows, nc])]);
  });
  alternative('seeded permutation + row copy in JS + tf.tensor2d', jsShuffle, jsShuffle, 'same order and result, into preallocated Float32Arrays');

  // Files, as the app writes them after every epoch, in a scratch run folder.
  const dir = join(paths.experimentsDir(ws), 'bench-components', `run-${process.pid}`);
  await fs.mkdir(runFiles.logs(dir), { recursive: true });
  const metadata = { features: data.features, classes: data.classes, normalization: null, epoch: 1 };
  const best = await timeMin(reps, () => saveModel(tf, model, runFiles.bestModel(dir), { metadata, includeOptimizer: false }));
  component('best-model save', best, best, 'after each epoch that improves val_loss (counted here: every epoch)');
  const state = `${JSON.stringify({ epoch: 1, best: null, stopping: { best: 1, wait: 0 } }, null, 2)}\n`;
  let ck = 0;
  const checkpoint = await timeMin(reps, async () => {
    ck++;
    await fs.mkdir(runFiles.checkpoints(dir), { recursive: true });
    await saveModel(tf, model, runFiles.checkpoint(dir, ck), { metadata, includeOptimizer: true, extra: { 'state.json': state } });
    if (ck > 5) await fs.rm(runFiles.checkpoint(dir, ck - 5), { recursive: true, force: true });
  });
  component('checkpoint save (optimizer state) + prune', checkpoint, checkpoint, 'checkpoints.every = 1, keep_last = 5');
  const status = await timeMin(reps, () => writeStatus(dir, newStatus(1)));
  component('status.json (atomic, fsync)', status, status, 'once per epoch');
  const metrics = new MetricsWriter(runFiles.metrics(dir));
  const perEpoch = Math.ceil(epochMs / Math.max(config['logging.batch_interval_ms'], 1)) + 3;
  const metric = await timeMin(reps * 10, () => metrics.write({ event: 'batch_end', epoch: 1, batch: 1, batches, loss: 0.1, accuracy: 0.9 }));
  component('metrics.jsonl line (appendFileSync)', metric, metric * perEpoch, `~${perEpoch} lines per epoch (batch_end every ${config['logging.batch_interval_ms']} ms, epoch_end, best, checkpoint)`);
  await fs.rm(dir, { recursive: true, force: true });
}

const ws = workspace(values.data ?? 'data');
const config = await loadConfig(ws, { experiment: 'bench', overrides: values.set });
if (!['fit', 'loop', 'loop-cb', 'app', 'components'].includes(values.variant)) throw new Error(`unknown --variant ${values.variant}`);
if (values.variant === 'app') await app(config);
else if (values.variant === 'components') await components(config.values);
else await bare(config.values, values.variant);
print({ event: 'done' });
