import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadPreparedDataset } from '../datasets/load.js';
import { ExpmanError } from '../errors.js';
import { writeDirAtomic } from '../fs/atomic.js';
import { fileLogger } from '../logging/loggers.js';
import { selectBackend } from '../training/backend.js';
import { loadModel } from '../training/model-io.js';
import { modelInputShape } from '../training/model.js';
import { readRunConfig } from '../training/run-folder.js';
import { standardizeRows, unscaleTarget } from '../training/train.js';
import { acquireRunLock, type RunLock } from '../runs/lock.js';
import { asRunError } from '../runs/run-errors.js';
import { exists, paths, runFiles, type Workspace } from '../workspace.js';
import { evaluatePredictions, evaluateRegression, type Evaluation, type RegressionEvaluation } from './metrics.js';

export type TestResult = { dir: string; files: string[]; bestEpoch: number } & (
  | { task: 'classification'; evaluation: Evaluation }
  | { task: 'regression'; evaluation: RegressionEvaluation }
);

async function toCsv(columns: Record<string, Array<string | number>>): Promise<string> {
  const dfd = await import('danfojs-node');
  return dfd.toCSV(new dfd.DataFrame(columns)) as string;
}

/**
 * Evaluates a run's best model on the test set of the dataset it was trained on and writes the results
 * as CSV DataFrames under experiments/<exp>/results/<model>/ (replacing earlier results atomically).
 *
 * Testing takes the run's lock: a run that is training (or being resumed) is refused with RUN_LOCKED —
 * its best model changes under a reader, and a test of a moving target is not a result — and no writer
 * can start on the run while it is tested.
 */
export async function testRun(ws: Workspace, experiment: string, model: string): Promise<TestResult> {
  const runDir = paths.modelDir(ws, experiment, model);
  const best = runFiles.bestModel(runDir);
  if (!(await exists(join(best, 'model.json')))) {
    throw new ExpmanError('MODEL_MISSING', `run ${experiment}/${model} has no best model yet (${best}); train it first`, { file: best });
  }
  let lock: RunLock;
  try {
    lock = acquireRunLock(runDir, { command: `expman test --experiment ${experiment} --model ${model}`, refusal: 'cannot test' });
  } catch (error) {
    throw asRunError(error, runDir);
  }
  try {
    return await evaluate(ws, experiment, model, runDir, best);
  } catch (error) {
    throw asRunError(error, runDir);
  } finally {
    lock.release();
  }
}

async function evaluate(ws: Workspace, experiment: string, model: string, runDir: string, best: string): Promise<TestResult> {
  const { config } = await readRunConfig(runDir);
  const values = config.values;
  const data = await loadPreparedDataset(ws, values['data.dataset']);
  const { tf } = await selectBackend(values['training.backend']);
  const { model: net, metadata } = await loadModel(tf, best);
  if (
    (metadata.task ?? 'classification') !== data.task ||
    metadata.classes.join('\n') !== data.classes.join('\n') ||
    metadata.features.join('\n') !== data.features.join('\n')
  ) {
    throw new ExpmanError('DATASET_CHANGED', `dataset ${data.name} has another task, other classes or other features than the model was trained on`, { key: 'data.dataset' });
  }
  const nf = data.features.length;
  // Rows are flat; a model module's model may take them as [8, 8, 1] (its input shape says so).
  const inputShape = modelInputShape(net);
  const outputs = tf.tidy(() => net.predict(tf.tensor2d(standardizeRows(data.test.x, nf, metadata.normalization), [data.test.rows, nf]).reshape([data.test.rows, ...inputShape])) as import('@tensorflow/tfjs').Tensor2D);
  const round = (v: number): number => Math.round(v * 1e6) / 1e6;
  const featureColumns = Object.fromEntries(data.features.map((name, f) => [name, Array.from({ length: data.test.rows }, (_, i) => round(data.test.x[i * nf + f]!))]));
  if (data.task === 'regression') {
    const predictedValues = unscaleTarget(await outputs.data(), metadata.target_scaling ?? null);
    outputs.dispose();
    net.dispose();
    const evaluation = evaluateRegression(data.test.target, predictedValues);
    const files: Record<string, string> = {
      'metrics.csv': await toCsv({ metric: ['mae', 'rmse', 'r2', 'test_rows', 'best_epoch'], value: [evaluation.mae, evaluation.rmse, evaluation.r2, evaluation.rows, metadata.epoch].map(round) }),
      'predictions.csv': await toCsv({
        row: Array.from({ length: data.test.rows }, (_, i) => i),
        ...featureColumns,
        actual: Array.from(data.test.target, round),
        predicted: Array.from(predictedValues, round),
        residual: Array.from(predictedValues, (p, i) => round(data.test.target[i]! - p)),
      }),
    };
    const dir = await writeResults(ws, experiment, model, files);
    fileLogger(runFiles.runLog(runDir), values['logging.level']).info(
      `tested best model (epoch ${metadata.epoch}) on ${evaluation.rows} test rows: mae=${evaluation.mae.toFixed(4)} rmse=${evaluation.rmse.toFixed(4)} r2=${evaluation.r2.toFixed(4)}; results in ${dir}`,
    );
    return { dir, files: Object.keys(files), task: 'regression', evaluation, bestEpoch: metadata.epoch };
  }
  const probs = await outputs.array();
  outputs.dispose();
  net.dispose();
  const predicted = probs.map((row) => row.indexOf(Math.max(...row)));
  const evaluation = evaluatePredictions(data.test.y, predicted, data.classes);

  const files: Record<string, string> = {
    'metrics.csv': await toCsv({
      metric: ['accuracy', 'macro_precision', 'macro_recall', 'macro_f1', 'weighted_precision', 'weighted_recall', 'weighted_f1', 'test_rows', 'best_epoch'],
      value: [
        evaluation.accuracy,
        evaluation.macro.precision,
        evaluation.macro.recall,
        evaluation.macro.f1,
        evaluation.weighted.precision,
        evaluation.weighted.recall,
        evaluation.weighted.f1,
        evaluation.rows,
        metadata.epoch,
      ].map(round),
    }),
    'per-class.csv': await toCsv({
      class: evaluation.perClass.map((r) => r.class),
      precision: evaluation.perClass.map((r) => round(r.precision)),
      recall: evaluation.perClass.map((r) => round(r.recall)),
      f1: evaluation.perClass.map((r) => round(r.f1)),
      support: evaluation.perClass.map((r) => r.support),
    }),
    'confusion-matrix.csv': await toCsv({
      actual: data.classes,
      ...Object.fromEntries(data.classes.map((name, c) => [`predicted_${name}`, evaluation.confusion.map((row) => row[c]!)])),
    }),
    'predictions.csv': await toCsv({
      row: Array.from({ length: data.test.rows }, (_, i) => i),
      ...featureColumns,
      actual: Array.from(data.test.y, (c) => data.classes[c]!),
      predicted: predicted.map((c) => data.classes[c]!),
      correct: predicted.map((c, i) => (c === data.test.y[i] ? 1 : 0)),
      ...Object.fromEntries(data.classes.map((name, c) => [`probability_${name}`, probs.map((row) => round(row[c]!))])),
    }),
  };
  const dir = await writeResults(ws, experiment, model, files);
  const log = fileLogger(runFiles.runLog(runDir), values['logging.level']);
  log.info(`tested best model (epoch ${metadata.epoch}) on ${evaluation.rows} test rows: accuracy=${evaluation.accuracy.toFixed(4)}; results in ${dir}`);
  return { dir, files: Object.keys(files), task: 'classification', evaluation, bestEpoch: metadata.epoch };
}

/** Replaces experiments/<e>/results/<model>/ with `files`, atomically (a reader sees old or new results). */
async function writeResults(ws: Workspace, experiment: string, model: string, files: Record<string, string>): Promise<string> {
  const dir = paths.resultsDir(ws, experiment, model);
  await fs.mkdir(join(dir, '..'), { recursive: true });
  await writeDirAtomic(dir, async (tmp) => {
    for (const [name, text] of Object.entries(files)) await fs.writeFile(join(tmp, name), text.endsWith('\n') ? text : `${text}\n`);
  });
  return dir;
}
