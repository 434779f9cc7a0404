import type * as TF from '@tensorflow/tfjs';
import { existsSync, promises as fs } from 'node:fs';
import { dirname, relative } from 'node:path';
import { configSources } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { CONFIG_KEYS, type FlatConfig } from '../config/schema.js';
import { configToToml, withProvenance } from '../config/toml-write.js';
import { loadPreparedDataset, type LabelledSet, type PreparedDataset } from '../datasets/load.js';
import { stratifiedSplit } from '../datasets/preprocess.js';
import { quantileBins, targetBins, targetStats } from '../datasets/task.js';
import { evaluateRegression } from '../evaluation/metrics.js';
import { ExpmanError, isExpmanError } from '../errors.js';
import { isTempName, writeFileAtomic } from '../fs/atomic.js';
import { fileLogger, type Logger } from '../logging/loggers.js';
import type { ProgressListener } from '../../shared/progress.js';
import { baseProvenance, type Provenance } from '../provenance.js';
import { createRng, permutation } from '../random.js';
import { checkName, ensureWritableDir, paths, runFiles, type Workspace } from '../workspace.js';
import { selectBackend, type BackendChoice, type Tf } from './backend.js';
import type { BestSoFar, EpochMetrics, RunEvent } from './events.js';
import { formatMetrics } from '../../shared/run-events.js';
import { buildRunModel, compileModel, modelInputShape, resolveLoss } from './model.js';
import { FusedTrainer, fusedStepUnsupported, type BatchSource, type FusedEpoch } from './fused-trainer.js';
import { checkModelFits } from './model-size.js';
import { checkModelModule, prepareModuleRun, runModuleFile } from '../models/preflight.js';
import { importModelModule } from '../models/load-module.js';
import { checkModuleParams } from '../models/module-run.js';
import { loadModel, readAdamState, restoreAdamState, saveModel, type ModelMetadata } from './model-io.js';
import { freshModelName, readRunConfig } from './run-folder.js';
import { acquireRunLock, takeoverMessage, type RunLock } from '../runs/lock.js';
import { asRunError } from '../runs/run-errors.js';
import { isCommandRun, planCommandRun, type CommandSource } from '../trainers/command-spec.js';
import { trainCommandRun } from '../trainers/command-run.js';
import {
  MetricsWriter,
  checkpointStateFile,
  listCheckpoints,
  newStatus,
  readStatus,
  writeStatus,
  type StatusFile,
} from './run-store.js';

export interface TrainHooks {
  onEvent?: (event: RunEvent) => void;
  onProgress?: ProgressListener;
  /** Aborting stops the run after the current batch; it ends as `stopped`. */
  signal?: AbortSignal;
  /** Log lines also go here (the CLI prints them when not in --json mode). */
  onLog?: (level: string, message: string) => void;
}

export interface RunResult {
  dir: string;
  experiment: string;
  model: string;
  status: 'finished' | 'stopped';
  epochsCompleted: number;
  best: BestSoFar | null;
  earlyStopped: boolean;
}

/** Training state saved in each checkpoint beside the weights, enough to continue exactly. */
interface CheckpointState {
  epoch: number;
  best: BestSoFar | null;
  stopping: { best: number; wait: number };
  adam?: { acc_beta1: number; acc_beta2: number } | null;
}

/** Backends that compute on the CPU, where shuffling host arrays beats a gather kernel. */
const HOST_SHUFFLE_BACKENDS = new Set<string>(['cpu', 'wasm', 'tensorflow']);

/** Host arrays a run trains on: standardised features and one-hot labels (or the scaled target), row-major. */
export interface TrainingArrays {
  train: { x: Float32Array; y: Float32Array; rows: number };
  val: { x: Float32Array; y: Float32Array; rows: number };
  /** The validation target in original units (regression), for MAE/RMSE/R². */
  valTarget: Float64Array;
  normalization: ModelMetadata['normalization'];
  targetScaling: { mean: number; std: number } | null;
  features: number;
  /** Output units: classes, or 1 for regression. */
  classes: number;
}

/**
 * Splits off a stratified (regression: on quantile bins of the target), seeded validation set and
 * standardises with training statistics only. The benchmarks' bare `fit` uses this too, so both train on
 * identical data.
 */
export function trainingArrays(data: PreparedDataset, config: FlatConfig): TrainingArrays {
  const nf = data.features.length;
  const regression = data.task === 'regression';
  const nc = regression ? 1 : data.classes.length;
  const strata = regression ? quantileBins(data.train.target, targetBins(data.train.rows)) : { ids: Uint32Array.from(data.train.y), bins: nc };
  const { train: trainRows, test: valRows } = stratifiedSplit(strata.ids, strata.bins, 1 - config['data.validation_split'], config['training.seed'] + 7919);
  const pick = (set: LabelledSet, rows: Uint32Array): LabelledSet => {
    const x = new Float32Array(rows.length * nf);
    const y = new Int32Array(rows.length);
    const target = new Float64Array(regression ? rows.length : 0);
    rows.forEach((r, i) => {
      x.set(set.x.subarray(r * nf, (r + 1) * nf), i * nf);
      y[i] = set.y[r]!;
      if (regression) target[i] = set.target[r]!;
    });
    return { x, y, target, rows: rows.length };
  };
  const train = pick(data.train, trainRows);
  const val = pick(data.train, valRows);
  let normalization: ModelMetadata['normalization'] = null;
  if (config['data.standardize']) {
    const mean = new Array<number>(nf).fill(0);
    const std = new Array<number>(nf).fill(0);
    for (let r = 0; r < train.rows; r++) for (let f = 0; f < nf; f++) mean[f]! += train.x[r * nf + f]! / train.rows;
    for (let r = 0; r < train.rows; r++) for (let f = 0; f < nf; f++) std[f]! += (train.x[r * nf + f]! - mean[f]!) ** 2 / train.rows;
    for (let f = 0; f < nf; f++) std[f] = Math.sqrt(std[f]!) || 1;
    normalization = { mean, std };
  }
  let targetScaling: TrainingArrays['targetScaling'] = null;
  if (regression && config['data.standardize_target']) {
    const stats = targetStats(train.target);
    targetScaling = { mean: stats.mean, std: stats.std || 1 };
  }
  const labels = (set: LabelledSet): Float32Array => {
    if (regression) return Float32Array.from(set.target, (v) => (targetScaling ? (v - targetScaling.mean) / targetScaling.std : v));
    const out = new Float32Array(set.rows * nc);
    for (let r = 0; r < set.rows; r++) out[r * nc + set.y[r]!] = 1;
    return out;
  };
  const host = (set: LabelledSet) => ({ x: standardizeRows(set.x, nf, normalization), y: labels(set), rows: set.rows });
  return { train: host(train), val: host(val), valTarget: val.target, normalization, targetScaling, features: nf, classes: nc };
}

/** A regression model's outputs in the target's original units. */
export function unscaleTarget(predicted: ArrayLike<number>, scaling: ModelMetadata['target_scaling']): Float64Array {
  return Float64Array.from(predicted, (v) => (scaling ? v * scaling.std + scaling.mean : v));
}

function prepareTensors(tf: Tf, data: PreparedDataset, config: FlatConfig) {
  const arrays = trainingArrays(data, config);
  const { val, features: nf, classes: nc } = arrays;
  return { ...arrays, val: { x: tf.tensor2d(val.x, [val.rows, nf]), y: tf.tensor2d(val.y, [val.rows, nc]), rows: val.rows } };
}

/** (x - mean) / std per feature, computed once on the host so every backend sees the same inputs. */
export function standardizeRows(x: Float32Array, features: number, normalization: ModelMetadata['normalization']): Float32Array {
  if (!normalization) return x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const f = i % features;
    out[i] = (x[i]! - normalization.mean[f]!) / normalization.std[f]!;
  }
  return out;
}

/**
 * The epoch's training tensors in the epoch's seeded order. On CPU backends permuting host arrays is
 * several times faster than tfjs's gather kernel; on GPU backends the data stays on the device and is
 * gathered there.
 */
class EpochData {
  private device: { x: TF.Tensor2D; y: TF.Tensor2D } | null = null;

  constructor(
    private readonly tf: Tf,
    private readonly host: { x: Float32Array; y: Float32Array; rows: number },
    private readonly shape: { features: number; classes: number },
    onDevice: boolean,
  ) {
    if (onDevice) {
      this.device = { x: tf.tensor2d(host.x, [host.rows, shape.features]), y: tf.tensor2d(host.y, [host.rows, shape.classes]) };
    }
  }

  shuffled(order: Uint32Array): { x: TF.Tensor2D; y: TF.Tensor2D } {
    const { tf, host, shape } = this;
    if (this.device) return this.gathered(order);
    const { x, y } = this.permuted(order);
    return { x: tf.tensor2d(x, [host.rows, shape.features]), y: tf.tensor2d(y, [host.rows, shape.classes]) };
  }

  /**
   * The epoch's batches for the fused step: slices of the gathered epoch on a GPU; on CPU backends
   * tensors made from the permuted host arrays (wasm's Slice kernel copies its whole input each time).
   */
  batches(order: Uint32Array): { batch: BatchSource; dispose: () => void } {
    const { tf, shape } = this;
    const { features: nf, classes: nc } = shape;
    if (this.device) {
      const { x, y } = this.gathered(order);
      return { batch: (start, size) => [x.slice([start, 0], [size, nf]), y.slice([start, 0], [size, nc])], dispose: () => tf.dispose([x, y]) };
    }
    const { x, y } = this.permuted(order);
    return {
      batch: (start, size) => [tf.tensor2d(x.subarray(start * nf, (start + size) * nf), [size, nf]), tf.tensor2d(y.subarray(start * nc, (start + size) * nc), [size, nc])],
      dispose: () => undefined,
    };
  }

  private gathered(order: Uint32Array): { x: TF.Tensor2D; y: TF.Tensor2D } {
    const { tf } = this;
    const indices = tf.tensor1d(Int32Array.from(order), 'int32');
    const out = { x: tf.gather(this.device!.x, indices), y: tf.gather(this.device!.y, indices) };
    indices.dispose();
    return out;
  }

  private permuted(order: Uint32Array): { x: Float32Array; y: Float32Array } {
    const { host, shape } = this;
    const { features: nf, classes: nc } = shape;
    const x = new Float32Array(host.rows * nf);
    const y = new Float32Array(host.rows * nc);
    for (let i = 0; i < order.length; i++) {
      const r = order[i]!;
      x.set(host.x.subarray(r * nf, r * nf + nf), i * nf);
      y.set(host.y.subarray(r * nc, r * nc + nc), i * nc);
    }
    return { x, y };
  }

  dispose(): void {
    if (this.device) this.tf.dispose([this.device.x, this.device.y]);
  }
}

/**
 * The best weights so far. An improvement only snapshots the weights on the device (no copy: the
 * optimizer gives variables new buffers); they are written to best-model/ together with the next
 * checkpoint and when the run ends. Writing a large model every improving epoch (tens of MB read back
 * from a GPU) would cost a quarter of the throughput; a crash loses nothing that resuming from the last
 * checkpoint does not recompute.
 */
class BestModel {
  private pending: { weights: TF.Tensor[]; best: BestSoFar } | null = null;

  constructor(
    private readonly tf: Tf,
    private readonly dir: string,
    private readonly metadata: (epoch: number) => ModelMetadata,
    private readonly onSaved: (best: BestSoFar) => void,
  ) {}

  hold(model: TF.LayersModel, best: BestSoFar): void {
    this.dispose();
    this.pending = { weights: model.getWeights().map((w) => w.clone()), best: { ...best } };
  }

  async flush(model: TF.LayersModel): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    const live = model.getWeights().map((w) => w.clone());
    try {
      model.setWeights(pending.weights);
      await saveModel(this.tf, model, this.dir, { metadata: this.metadata(pending.best.epoch), includeOptimizer: false });
    } finally {
      model.setWeights(live);
      this.tf.dispose(live);
    }
    this.dispose();
    this.onSaved(pending.best);
  }

  dispose(): void {
    if (this.pending) this.tf.dispose(this.pending.weights);
    this.pending = null;
  }
}

/**
 * Per-batch progress and throttled per-batch metrics. A plain `{ onBatchEnd }` object would make tfjs
 * read every batch's loss back from the device (a GPU pipeline stall per batch); this callback reads the
 * loss only when a metrics line is due, and yields to the event loop now and then so that a stop request
 * (signal) is seen during a long epoch. It also keeps, on the device, the number of the first batch whose
 * loss was not finite (read only when the epoch's loss is NaN), so a diverging run can say where.
 */
class BatchReporter {
  readonly callback: TF.Callback;
  private firstBad: TF.Scalar;

  constructor(
    private readonly tf: Tf,
    options: { epoch: number; epochs: number; batches: number; intervalMs: number; hooks: TrainHooks; metrics: MetricsWriter },
  ) {
    const { epoch, epochs, batches, intervalMs, hooks, metrics } = options;
    let lastWrite = 0;
    let lastYield = Date.now();
    this.firstBad = tf.keep(tf.scalar(0, 'int32'));
    const value = async (v: unknown): Promise<number | undefined> => (v === undefined ? undefined : typeof v === 'number' ? v : ((await (v as TF.Scalar).data())[0] ?? NaN));
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tfjs Callback subclass needs the reporter
    const reporter = this;
    this.callback = new (class extends tf.Callback {
      override async onBatchEnd(batch: number, logs?: TF.Logs): Promise<void> {
        const now = Date.now();
        const loss = logs?.['loss'] as unknown;
        if (loss !== undefined && typeof loss !== 'number') reporter.track(loss as TF.Scalar, batch + 1);
        hooks.onProgress?.({ phase: `epoch ${epoch}/${epochs}`, done: (epoch - 1) * batches + batch + 1, total: epochs * batches, unit: 'batches' });
        if (logs && now - lastWrite >= intervalMs) {
          lastWrite = now;
          const [lossValue, accuracy] = await Promise.all([value(logs['loss']), value(logs['acc'])]);
          hooks.onEvent?.(metrics.write({ event: 'batch_end', epoch, batch: batch + 1, batches, loss: lossValue ?? NaN, ...(accuracy !== undefined ? { accuracy } : {}) }));
        }
        if (now - lastYield >= 100) {
          lastYield = now;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();
  }

  /** firstBad = firstBad || (isFinite(loss) ? 0 : batch), without reading anything back. */
  private track(loss: TF.Scalar, batch: number): void {
    const { tf } = this;
    const next = tf.tidy(() => tf.where(tf.logicalAnd(tf.equal(this.firstBad, 0), tf.logicalNot(tf.isFinite(loss))), tf.scalar(batch, 'int32'), this.firstBad));
    this.firstBad.dispose();
    this.firstBad = tf.keep(next);
  }

  /** The first batch (1-based) whose loss was NaN or infinite this epoch, 0 if none. */
  async firstNonFiniteBatch(): Promise<number> {
    return (await this.firstBad.data())[0] ?? 0;
  }

  dispose(): void {
    this.firstBad.dispose();
  }
}

interface RunContext {
  ws: Workspace;
  dir: string;
  experiment: string;
  model: string;
  config: FlatConfig;
  data: PreparedDataset;
  backend: BackendChoice;
  hooks: TrainHooks;
  status: StatusFile;
  metrics: MetricsWriter;
  log: Logger;
  resume: { checkpointDir: string; state: CheckpointState } | null;
  lock: RunLock;
  /** The run's copy of its model module (model.type other than "simple"), which a fresh start builds. */
  moduleFile?: string;
}

/**
 * The run folder must still be this run's: removed while training (or its lock taken), every later write
 * would fail with a confusing error or recreate a partial folder. Checked before each epoch is recorded.
 */
function checkStillOurs(ctx: RunContext): void {
  if (ctx.lock.held()) return;
  if (!existsSync(ctx.dir)) throw new ExpmanError('RUN_MISSING', `run folder ${ctx.dir} was removed while the run was training`, { file: ctx.dir });
  throw new ExpmanError('RUN_LOCKED', `the lock of run ${ctx.dir} was removed or taken by another process while the run was training`, { file: ctx.dir });
}

/** MAE, RMSE and R² of the validation set in the target's original units. */
async function validationRegression(tf: Tf, model: TF.LayersModel, tensors: ReturnType<typeof prepareTensors>): Promise<Pick<EpochMetrics, 'val_mae' | 'val_rmse' | 'val_r2'>> {
  const out = tf.tidy(() => model.predict(tensors.val.x) as TF.Tensor);
  const predicted = unscaleTarget(await out.data(), tensors.targetScaling);
  out.dispose();
  const e = evaluateRegression(tensors.valTarget, predicted);
  return { val_mae: e.mae, val_rmse: e.rmse, val_r2: e.r2 };
}

/** What one epoch gives the loop, whichever step trained it. */
interface EpochOutcome {
  loss: number;
  accuracy?: number;
  val_loss: number;
  val_accuracy?: number;
  /** The first batch (1-based) whose loss was not finite, 0 if none or unknown. */
  firstNonFinite: number;
}

interface EpochOptions {
  epoch: number;
  epochs: number;
  batches: number;
  batchSize: number;
  valX: TF.Tensor;
  valY: TF.Tensor2D;
  hooks: TrainHooks;
  metrics: MetricsWriter;
  intervalMs: number;
}

/** One epoch with tfjs's `model.fit` (model modules, dropout; `xy` is the epoch's shuffled data, disposed here). */
async function fitEpoch(tf: Tf, model: TF.LayersModel, xy: { x: TF.Tensor2D; y: TF.Tensor2D }, feed: (x: TF.Tensor2D) => TF.Tensor, o: EpochOptions): Promise<EpochOutcome> {
  const xsIn = feed(xy.x);
  const reporter = new BatchReporter(tf, { epoch: o.epoch, epochs: o.epochs, batches: o.batches, intervalMs: o.intervalMs, hooks: o.hooks, metrics: o.metrics });
  try {
    const history = await model.fit(xsIn, xy.y, { epochs: 1, batchSize: o.batchSize, shuffle: false, verbose: 0, validationData: [o.valX, o.valY], callbacks: [reporter.callback] });
    const h = history.history;
    const loss = Number(h['loss']?.[0]);
    const outcome: EpochOutcome = { loss, val_loss: Number(h['val_loss']?.[0]), firstNonFinite: Number.isFinite(loss) ? 0 : await reporter.firstNonFiniteBatch() };
    if (h['acc']) Object.assign(outcome, { accuracy: Number(h['acc'][0]), val_accuracy: Number(h['val_acc']?.[0]) });
    return outcome;
  } finally {
    reporter.dispose();
    tf.dispose([xy.x, xsIn, xy.y]);
  }
}

/**
 * One epoch with the fused step: the same progress, throttled `batch_end` lines, yields (so a stop
 * request is seen) and validation as `fitEpoch`, without per-batch reads from the device.
 */
async function fusedEpoch(fused: FusedTrainer, data: EpochData, order: Uint32Array, o: EpochOptions & { stopped: () => boolean }): Promise<EpochOutcome> {
  const { epoch, epochs, batches, hooks, metrics, intervalMs } = o;
  let lastWrite = 0;
  let lastYield = Date.now();
  const source = data.batches(order);
  let result: FusedEpoch;
  try {
    result = await fused.epoch(source.batch, order.length, o.batchSize, {
      shouldStop: o.stopped,
      onBatch: async (batch, loss, correct) => {
        const now = Date.now();
        hooks.onProgress?.({ phase: `epoch ${epoch}/${epochs}`, done: (epoch - 1) * batches + batch + 1, total: epochs * batches, unit: 'batches' });
        if (now - lastWrite >= intervalMs) {
          lastWrite = now;
          const size = Math.min(o.batchSize, order.length - batch * o.batchSize);
          const [lossValue, right] = await Promise.all([loss.data(), correct?.data()]);
          hooks.onEvent?.(metrics.write({ event: 'batch_end', epoch, batch: batch + 1, batches, loss: lossValue[0] ?? NaN, ...(right ? { accuracy: right[0]! / size } : {}) }));
        }
        if (now - lastYield >= 100) {
          lastYield = now;
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    });
  } finally {
    source.dispose();
  }
  if (o.stopped()) return { loss: NaN, val_loss: NaN, firstNonFinite: 0 };
  const val = await fused.evaluate(o.valX as TF.Tensor2D, o.valY);
  return {
    loss: result.loss,
    val_loss: val.loss,
    firstNonFinite: result.firstNonFinite,
    ...(result.accuracy !== undefined ? { accuracy: result.accuracy, val_accuracy: val.accuracy ?? NaN } : {}),
  };
}

async function runLoop(ctx: RunContext): Promise<RunResult> {
  const { tf, backend } = ctx.backend;
  const { config, hooks, metrics, log, dir } = ctx;
  const emit = (event: RunEvent): void => hooks.onEvent?.(event);
  const startedAt = Date.now();
  const epochs = config['training.epochs'];
  const batchSize = config['training.batch_size'];
  const seed = config['training.seed'];
  const task = ctx.data.task;
  const tensors = prepareTensors(tf, ctx.data, config);
  if (!ctx.resume) {
    emit(
      metrics.write({
        event: 'run_started',
        experiment: ctx.experiment,
        model: ctx.model,
        dir,
        epochs: config['training.epochs'],
        backend,
        device: ctx.backend.device,
        train_rows: tensors.train.rows,
        validation_rows: tensors.val.rows,
      }),
    );
  }
  const epochData = new EpochData(tf, tensors.train, tensors, !HOST_SHUFFLE_BACKENDS.has(backend));
  const metadata = (epoch: number): ModelMetadata => ({
    features: ctx.data.features,
    classes: ctx.data.classes,
    normalization: tensors.normalization,
    epoch,
    task,
    ...(task === 'regression' ? { target_scaling: tensors.targetScaling } : {}),
  });

  let model: TF.LayersModel;
  let state: CheckpointState;
  if (ctx.resume) {
    model = (await loadModel(tf, ctx.resume.checkpointDir)).model;
    // model.json cannot name a function loss (huber): compile again, keeping the restored optimizer.
    if (resolveLoss(config, task) === 'huber') compileModel(tf, model, config, task, model.optimizer);
    state = ctx.resume.state;
    tf.tidy(() => restoreAdamState(tf, model.optimizer, state.adam));
  } else {
    model = await buildRunModel(tf, config, { inputs: ctx.data.features.length, classes: ctx.data.classes.length, task }, ctx.moduleFile);
    state = { epoch: 0, best: null, stopping: { best: Infinity, wait: 0 } };
  }
  // Rows are stored flat; a module that declares an input shape ([8, 8, 1]) gets each row reshaped to it
  // (a view of the same data: no copy).
  const inputShape = modelInputShape(model);
  const feed = (x: TF.Tensor2D): TF.Tensor => (inputShape.length === 1 ? x : x.reshape([x.shape[0], ...inputShape]));
  const valX = feed(tensors.val.x);
  log.info(`backend ${backend} (${ctx.backend.device}; ${ctx.backend.version}); ${model.countParams()} parameters; ${tensors.train.rows} training and ${tensors.val.rows} validation rows`);
  // The built-in network trains with the fused step (fused-trainer.ts); other models with model.fit.
  const unfused = config['training.fused_step'] ? fusedStepUnsupported(model, config) : 'training.fused_step = false';
  const fused = unfused === null ? new FusedTrainer(tf, model, config, task, backend) : null;
  log.info(fused ? 'training step: fused (one kernel per layer, one Adam update over all weights)' : `training step: model.fit (${unfused})`);

  const batches = Math.ceil(tensors.train.rows / batchSize);
  const best = new BestModel(tf, runFiles.bestModel(dir), metadata, (saved) => {
    emit(metrics.write({ event: 'best_model_saved', path: 'best-model', ...saved }));
    log.info(`best model saved: epoch ${saved.epoch} val_loss=${saved.val_loss.toFixed(4)}`);
  });
  // Held in an object: the abort listener changes it while `fit` runs.
  const stop: { reason: 'signal' | 'early' | null } = { reason: null };
  const onAbort = (): void => {
    stop.reason = 'signal';
    model.stopTraining = true;
  };
  if (hooks.signal?.aborted) onAbort();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (let epoch = state.epoch + 1; epoch <= epochs && stop.reason === null; epoch++) {
      const epochStart = Date.now();
      const order = permutation(tensors.train.rows, createRng(seed, 1000 + epoch));
      const h = fused ? await fusedEpoch(fused, epochData, order, { epoch, epochs, batches, batchSize, valX, valY: tensors.val.y, hooks, metrics, intervalMs: config['logging.batch_interval_ms'], stopped: () => stop.reason === 'signal' }) : await fitEpoch(tf, model, epochData.shuffled(order), feed, { epoch, epochs, batches, batchSize, valX, valY: tensors.val.y, hooks, metrics, intervalMs: config['logging.batch_interval_ms'] });
      if (!Number.isFinite(h.loss) && stop.reason !== 'signal') {
        throw new ExpmanError(
          'CONFIG_INVALID',
          `loss became ${Number.isNaN(h.loss) ? 'NaN' : 'infinite'} at epoch ${epoch}, batch ${h.firstNonFinite || batches}; lower training.learning_rate (or check the data for extreme values)`,
          { key: 'training.learning_rate' },
        );
      }
      if (stop.reason === 'signal') break; // the epoch was cut short: it is not recorded
      checkStillOurs(ctx);
      const m: EpochMetrics =
        task === 'regression'
          ? { loss: h.loss, val_loss: h.val_loss, ...(await validationRegression(tf, model, tensors)) }
          : { loss: h.loss, accuracy: Number(h.accuracy), val_loss: h.val_loss, val_accuracy: Number(h.val_accuracy) };
      const duration = Date.now() - epochStart;
      emit(metrics.write({ event: 'epoch_end', epoch, epochs, duration_ms: duration, samples_per_s: Math.round((tensors.train.rows / Math.max(duration, 1)) * 1000), ...m }));
      log.info(`epoch ${epoch}/${epochs} ${formatMetrics(m)} (${duration} ms)`);

      if (state.best === null || m.val_loss < state.best.val_loss) {
        const { loss: _loss, accuracy: _accuracy, ...val } = m;
        state.best = { epoch, ...val };
        best.hold(model, state.best);
      }
      if (m.val_loss < state.stopping.best - config['training.early_stopping.min_delta']) {
        state.stopping = { best: m.val_loss, wait: 0 };
      } else {
        state.stopping.wait++;
      }
      state.epoch = epoch;
      const earlyStop = config['training.early_stopping.enabled'] && state.stopping.wait >= config['training.early_stopping.patience'];
      if (epoch % config['checkpoints.every'] === 0 || epoch === epochs || earlyStop) {
        await best.flush(model);
        fused?.syncOptimizer();
        await saveCheckpoint(ctx, model, state, metadata(epoch), emit);
      }

      ctx.status = { ...ctx.status, epoch, best: state.best, updated: new Date().toISOString() };
      await writeStatus(dir, ctx.status);
      if (earlyStop) {
        stop.reason = 'early';
        emit(metrics.write({ event: 'early_stopped', epoch, best_epoch: state.best?.epoch ?? epoch, patience: config['training.early_stopping.patience'] }));
        log.info(`early stopping at epoch ${epoch}: no improvement of val_loss for ${state.stopping.wait} epochs`);
      }
    }
    await best.flush(model);
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    // A run that fails (e.g. diverges) still leaves its best weights so far on disk — unless its folder
    // is gone (or no longer ours): writing would recreate part of it.
    if (ctx.lock.held()) await best.flush(model).catch(() => undefined);
    best.dispose();
    fused?.dispose();
    epochData.dispose();
    tf.dispose([tensors.val.x, valX, tensors.val.y]);
    model.optimizer?.dispose();
    model.dispose();
  }

  const now = new Date().toISOString();
  if (stop.reason === 'signal') {
    ctx.status = { ...ctx.status, status: 'stopped', updated: now, finished: now };
    await writeStatus(dir, ctx.status);
    emit(metrics.write({ event: 'run_stopped', epochs_completed: state.epoch, signal: 'stop requested' }));
    log.warn(`stopped after ${state.epoch} complete epochs; resume with: expman train --resume ${dir}`);
    return { dir, experiment: ctx.experiment, model: ctx.model, status: 'stopped', epochsCompleted: state.epoch, best: state.best, earlyStopped: false };
  }
  ctx.status = { ...ctx.status, status: 'finished', updated: now, finished: now };
  await writeStatus(dir, ctx.status);
  emit(metrics.write({ event: 'run_finished', epochs_completed: state.epoch, best: state.best, duration_ms: Date.now() - startedAt }));
  log.info(`finished: ${state.epoch} epochs, best epoch ${state.best?.epoch} ${state.best ? formatMetrics(state.best) : ''}`.trimEnd());
  return { dir, experiment: ctx.experiment, model: ctx.model, status: 'finished', epochsCompleted: state.epoch, best: state.best, earlyStopped: stop.reason === 'early' };
}

async function saveCheckpoint(ctx: RunContext, model: TF.LayersModel, state: CheckpointState, metadata: ModelMetadata, emit: (e: RunEvent) => void): Promise<void> {
  const target = runFiles.checkpoint(ctx.dir, state.epoch);
  // Not recursive: a removed run folder must not be recreated half-way.
  await fs.mkdir(runFiles.checkpoints(ctx.dir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await saveModel(ctx.backend.tf, model, target, {
    metadata,
    includeOptimizer: true,
    extra: { 'state.json': `${JSON.stringify({ ...state, adam: readAdamState(model.optimizer), stopping: { ...state.stopping, best: Number.isFinite(state.stopping.best) ? state.stopping.best : null } }, null, 2)}\n` },
  });
  emit(ctx.metrics.write({ event: 'checkpoint_saved', epoch: state.epoch, path: relative(ctx.dir, target) }));
  const keep = ctx.config['checkpoints.keep_last'];
  if (keep > 0) {
    const all = await listCheckpoints(ctx.dir);
    for (const epoch of all.slice(0, Math.max(0, all.length - keep))) {
      await fs.rm(runFiles.checkpoint(ctx.dir, epoch), { recursive: true, force: true });
    }
  }
}

/** A run records the sha256 of its dataset files; re-running or resuming on changed data is refused. */
function checkDatasetHashes(data: PreparedDataset, expected: Record<string, string> | undefined, consequence: string): void {
  for (const [file, hash] of Object.entries(expected ?? {})) {
    if (data.hashes[file] !== hash) {
      const path = `datasets/${data.name}/${file}`;
      throw new ExpmanError('DATASET_CHANGED', `${path} changed since the original run (sha256 differs): ${consequence}`, { file: path, key: 'data.dataset' });
    }
  }
}

/** What a run records about itself before it trains (the backend is added when training starts). */
function provenanceFor(config: FlatConfig, resolved: ResolvedConfig, data: PreparedDataset, request: PrepareRequest): Omit<Provenance, keyof BackendProvenance> {
  return {
    ...baseProvenance(),
    dataset: data.name,
    dataset_hashes: data.hashes,
    seed: config['training.seed'],
    command_line: request.commandLine,
    config_sources: configSources(resolved),
    ...(request.rerunOf ? { rerun_of: request.rerunOf } : {}),
    ...(request.sweep ? { sweep: request.sweep.name, sweep_trial: request.sweep.trial } : {}),
  };
}

type BackendProvenance = Pick<Provenance, 'tfjs_version' | 'backend' | 'backend_version' | 'device'>;

function backendProvenance(backend: BackendChoice): BackendProvenance {
  return { tfjs_version: backend.tf.version.tfjs, backend: backend.backend, backend_version: backend.version, device: backend.device };
}

function logTo(hooks: TrainHooks, logger: Logger, file: string): Logger {
  const wrap =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      // electron-log reports a write it cannot do on the console and carries on; a run's log is data, and
      // its folder gone (removed while training) is the run's error, reported once (see asRunError).
      if (!existsSync(dirname(file))) throw Object.assign(new Error(`${file}: no such file or directory`), { code: 'ENOENT', path: file });
      logger[level](...args);
      hooks.onLog?.(level, args.map(String).join(' '));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

async function execute(ctx: RunContext): Promise<RunResult> {
  try {
    return await runLoop(ctx);
  } catch (raw) {
    const error = asRunError(raw, ctx.dir);
    const code = isExpmanError(error) ? error.code : 'TRAINING_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    // A removed run folder gets nothing written: any write would recreate part of it. A write that was
    // under way when it went may have recreated some (a temporary folder): that debris goes too, so no
    // orphan folder blocks the name.
    if (!ctx.lock.held()) {
      if (!existsSync(runFiles.status(ctx.dir)) && !existsSync(runFiles.config(ctx.dir))) await fs.rm(ctx.dir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    const now = new Date().toISOString();
    ctx.status = { ...ctx.status, status: 'failed', updated: now, finished: now, error: { code, message } };
    // On a full disk or a removed folder these writes fail too; the lock's release then tells readers
    // the run has ended (a `running` status without a live writer reads as failed).
    await writeStatus(ctx.dir, ctx.status).catch(() => undefined);
    try {
      ctx.hooks.onEvent?.(ctx.metrics.write({ event: 'run_failed', epochs_completed: ctx.status.epoch, error: { code, message } }));
      ctx.log.error(`run failed: ${isExpmanError(error) ? message : raw instanceof Error ? (raw.stack ?? message) : message}`);
    } catch {
      // see above
    }
    throw error;
  }
}

export interface PrepareRequest extends CommandSource {
  experiment: string;
  /** Model (run) folder name; a fresh timestamped name when absent. */
  model?: string;
  config: ResolvedConfig;
  commandLine: string[];
  rerunOf?: string;
  /** sha256 per dataset file that the data must still have (re-runs): otherwise DATASET_CHANGED. */
  expectDatasetHashes?: Record<string, string>;
  /** The model module to copy into the run (re-runs: the original run's copy); default $DATA/models/<model.type>.mjs. */
  moduleSource?: string;
  /** sha256 the module must have (re-runs): otherwise MODEL_MODULE. */
  expectModuleHash?: string;
  /** A trial of a sweep: recorded in [provenance] (sweep, sweep_trial). */
  sweep?: { name: string; trial: number };
}

export interface PreparedRun {
  dir: string;
  experiment: string;
  model: string;
  /** Held until the caller releases it (queued runs: at once; new runs: when training ends). */
  lock: RunLock;
}

/**
 * Creates a run folder: the folder and its lock first, then the completed config.toml with provenance
 * (the snapshot the run will train, whatever happens to the experiment's config meanwhile), then
 * status.json — `queued` for a run that waits for a slot, else `running`. Bad input (dataset, names,
 * changed data of a re-run) is refused before anything is created, and a failure while creating it
 * (e.g. a full disk) removes the folder again, so no orphan blocks the name or `--resume`.
 */
export async function prepareRun(ws: Workspace, request: PrepareRequest, state: 'running' | 'queued'): Promise<PreparedRun> {
  const config = request.config.values;
  checkName('experiment', request.experiment);
  if (request.model !== undefined) checkName('model', request.model);
  const data = await loadPreparedDataset(ws, config['data.dataset']);
  checkDatasetHashes(data, request.expectDatasetHashes, request.rerunOf ? 'a re-run would not be exact' : 'the run would differ');
  // A command run trains with its own code: the built-in model's checks do not apply to it.
  const commandRun = isCommandRun(config) ? await planCommandRun(ws, request.experiment, config, request) : null;
  const moduleRun = commandRun ? null : await prepareModuleRun(ws, config, request.moduleSource, request.expectModuleHash);
  if (data.train.rows < 2) throw new ExpmanError('DATASET_MISSING', `dataset ${data.name} has fewer than 2 training rows`, { key: 'data.dataset' });
  if (!commandRun) {
    checkModelFits(config, { inputs: data.features.length, classes: data.classes.length });
    resolveLoss(config, data.task); // a loss of the other task is refused before the run folder exists
  }
  const modelsDir = paths.modelsDir(ws, request.experiment);
  try {
    await ensureWritableDir(modelsDir);
  } catch (error) {
    throw asRunError(error, modelsDir);
  }
  const model = request.model ?? (await freshModelName(ws, request.experiment));
  const dir = paths.modelDir(ws, request.experiment, model);
  try {
    await fs.mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ExpmanError('RUN_EXISTS', `run ${request.experiment}/${model} already exists at ${dir}; choose another --model or resume it with --resume`, { file: dir, key: 'model' });
    }
    throw asRunError(error, dir);
  }
  let lock: RunLock | undefined;
  try {
    lock = acquireRunLock(dir, { command: request.commandLine.join(' '), refusal: 'cannot create the run' });
    await fs.mkdir(runFiles.logs(dir));
    const provenance = { ...provenanceFor(config, request.config, data, request), ...(moduleRun ? await moduleRun.copyInto(dir) : {}), ...(commandRun ? await commandRun.copyInto(dir) : {}) };
    const header = [`Completed configuration of run ${request.experiment}/${model}, saved before training started.`, `Re-run it exactly with: expman rerun ${dir}`];
    await writeFileAtomic(runFiles.config(dir), withProvenance(configToToml(config, { header }), provenance));
    await writeStatus(dir, newStatus(config['training.epochs'], state));
  } catch (error) {
    lock?.release();
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw asRunError(error, dir);
  }
  return { dir, experiment: request.experiment, model, lock };
}

export interface NewRunRequest extends TrainHooks, PrepareRequest {}

/**
 * Trains a prepared run folder (status `queued` or just created) from its own config.toml: the snapshot
 * taken when the run was requested. The caller holds the run's lock; it is released when this ends.
 */
export async function trainPreparedRun(ws: Workspace, run: PreparedRun, hooks: TrainHooks, preselected?: BackendChoice): Promise<RunResult> {
  const { dir } = run;
  try {
    const { config: resolved, provenance } = await readRunConfig(dir);
    const config = resolved.values;
    const data = await loadPreparedDataset(ws, config['data.dataset']);
    checkDatasetHashes(data, provenance.dataset_hashes, 'the run would not be what was queued');
    if (isCommandRun(config)) return await trainCommandRun({ ws, dir, experiment: run.experiment, model: run.model, config, provenance, trainRows: data.train.rows, hooks, lock: run.lock, resume: false });
    const moduleFile = await runModuleFile(dir, config, provenance, 'the run would not be what was queued');
    // A queued run (from the app) is checked here, in the worker: the server never imports modules.
    if (moduleFile) checkModuleParams(await importModelModule(moduleFile), resolved);
    const backend = preselected ?? (await selectBackend(config['training.backend']));
    const commandLine = provenance.command_line ?? [];
    let status: StatusFile;
    let log: Logger;
    try {
      const header = [`Completed configuration of run ${run.experiment}/${run.model}, saved before training started.`, `Re-run it exactly with: expman rerun ${dir}`];
      await writeFileAtomic(runFiles.config(dir), withProvenance(configToToml(config, { header }), { ...provenance, ...backendProvenance(backend) }));
      log = logTo(hooks, fileLogger(runFiles.runLog(dir), config['logging.level']), runFiles.runLog(dir));
      const previous = await readStatus(dir);
      status = { ...newStatus(config['training.epochs']), ...(previous ? { started: previous.started } : {}), backend: backend.backend, backend_version: backend.version, device: backend.device };
      await writeStatus(dir, status);
    } catch (error) {
      throw asRunError(error, dir);
    }
    const metrics = new MetricsWriter(runFiles.metrics(dir));
    for (const attempt of backend.attempts) if (!attempt.ok) log.warn(`backend ${attempt.backend} not used: ${attempt.reason}`);
    log.info(`run ${run.experiment}/${run.model} started: ${commandLine.join(' ')}`);
    for (const key of CONFIG_KEYS) log.debug(`config ${key} = ${JSON.stringify(config[key])}`);
    const ctx: RunContext = { ws, dir, experiment: run.experiment, model: run.model, config, data, backend, hooks, status, metrics, log, resume: null, lock: run.lock, ...(moduleFile ? { moduleFile } : {}) };
    return await execute(ctx);
  } catch (error) {
    await failIfNotStarted(dir, error);
    throw error;
  } finally {
    run.lock.release();
  }
}

/** A run that fails before training began (bad backend, changed data) says why in its status. */
async function failIfNotStarted(dir: string, error: unknown): Promise<void> {
  const status = await readStatus(dir);
  if (!status || status.status === 'failed') return;
  const now = new Date().toISOString();
  const code = isExpmanError(error) ? error.code : 'TRAINING_ERROR';
  await writeStatus(dir, { ...status, status: 'failed', updated: now, finished: now, error: { code, message: error instanceof Error ? error.message : String(error) } }).catch(() => undefined);
}

/**
 * Starts a new run: everything that can fail on bad input (dataset, backend) is checked before the run
 * folder is created; then the completed config with provenance is saved, and training begins.
 */
export async function trainNewRun(ws: Workspace, request: NewRunRequest): Promise<RunResult> {
  if (isCommandRun(request.config.values)) return trainPreparedRun(ws, await prepareRun(ws, request, 'running'), request);
  // Checked before the folder exists, so an unavailable backend leaves nothing behind.
  const backend = await selectBackend(request.config.values['training.backend']);
  // A model module is imported and built once here, so its mistakes (syntax, params, what build returns,
  // shapes) are refused before the run folder exists.
  await checkModelModule(ws, request.config, backend.tf, request.moduleSource);
  const run = await prepareRun(ws, request, 'running');
  return trainPreparedRun(ws, run, request, backend);
}

export interface ResumeRequest extends TrainHooks {
  dir: string;
  config: ResolvedConfig;
  provenance: Partial<Provenance>;
  experiment: string;
  model: string;
  /** Who resumes, for the lock (default: this process's command line). */
  command?: string;
}

/**
 * Continues a stopped or crashed run from its last complete checkpoint, in the same folder; a `queued`
 * run (or one stopped before it began) starts from its config snapshot. Refused with RUN_LOCKED while
 * another process writes the run.
 */
export async function resumeRun(ws: Workspace, request: ResumeRequest): Promise<RunResult> {
  const { dir } = request;
  const config = request.config.values;
  const first = await readStatus(dir);
  if (!first) throw new ExpmanError('RUN_MISSING', `${dir}: not a run folder (no status.json)`, { file: dir });
  let lock: RunLock;
  const takeovers: string[] = [];
  try {
    lock = acquireRunLock(dir, { command: request.command ?? process.argv.slice(1).join(' '), refusal: 'cannot resume', onTakeover: (stale, reason) => takeovers.push(takeoverMessage(stale, reason)) });
  } catch (error) {
    throw asRunError(error, dir);
  }
  const previous = (await readStatus(dir)) ?? first;
  if (previous.status === 'queued' || (previous.status !== 'finished' && !(await hasTrainingEvents(dir)))) {
    return trainPreparedRun(ws, { dir, experiment: request.experiment, model: request.model, lock }, request);
  }
  try {
    if (previous.status === 'finished') throw new ExpmanError('RUN_FINISHED', `${dir}: run already finished; use \`expman rerun\` to train it again`, { file: dir });
    const data = await loadPreparedDataset(ws, config['data.dataset']);
    checkDatasetHashes(data, request.provenance.dataset_hashes, 'cannot resume exactly');
    if (isCommandRun(config)) {
      const run = { ws, dir, experiment: request.experiment, model: request.model, config, provenance: request.provenance, trainRows: data.train.rows, hooks: request, lock, resume: true, notes: takeovers };
      return await trainCommandRun(run);
    }
    const backend = await selectBackend(config['training.backend']);
    let resume: RunContext['resume'] = null;
    let log: Logger;
    let status: StatusFile;
    let metrics: MetricsWriter;
    try {
      // Remove checkpoint folders a crash left half-written.
      const checkpointsDir = runFiles.checkpoints(dir);
      for (const name of await fs.readdir(checkpointsDir).catch(() => [] as string[])) {
        if (isTempName(name)) await fs.rm(`${checkpointsDir}/${name}`, { recursive: true, force: true });
      }
      const checkpoints = await listCheckpoints(dir);
      const last = checkpoints[checkpoints.length - 1];
      if (last !== undefined) {
        const checkpointDir = runFiles.checkpoint(dir, last);
        const raw = JSON.parse(await fs.readFile(checkpointStateFile(checkpointDir), 'utf8')) as CheckpointState & { stopping: { best: number | null } };
        resume = { checkpointDir, state: { ...raw, stopping: { best: raw.stopping.best ?? Infinity, wait: raw.stopping.wait } } };
      }
      log = logTo(request, fileLogger(runFiles.runLog(dir), config['logging.level']), runFiles.runLog(dir));
      for (const line of takeovers) log.warn(line);
      metrics = new MetricsWriter(runFiles.metrics(dir));
      status = { ...previous, ...newStatus(config['training.epochs']), started: previous.started, backend: backend.backend, backend_version: backend.version, device: backend.device, epoch: resume?.state.epoch ?? 0, best: resume?.state.best ?? null };
      delete status.error;
      delete status.finished;
      await writeStatus(dir, status);
    } catch (error) {
      throw asRunError(error, dir);
    }
    const from = resume?.state.epoch ?? 0;
    log.info(`run ${request.experiment}/${request.model} resumed from ${resume ? `checkpoint of epoch ${from}` : 'the start (no checkpoint was complete)'}`);
    request.onEvent?.(metrics.write({ event: 'run_resumed', from_epoch: from, checkpoint: resume ? relative(dir, resume.checkpointDir) : '' }));
    const ctx: RunContext = { ws, dir, experiment: request.experiment, model: request.model, config, data, backend, hooks: request, status, metrics, log, resume, lock };
    return await execute(ctx);
  } finally {
    lock.release();
  }
}

/** Whether a run has begun training (its metrics.jsonl has events): otherwise resuming it is starting it. */
async function hasTrainingEvents(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(runFiles.metrics(dir))).size > 0;
  } catch {
    return false;
  }
}
