import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import { readRunConfig } from '../training/run-folder.js';
import { isCommandRun } from '../trainers/command-spec.js';
import { listCheckpoints, readRunSummary } from '../training/run-store.js';
import { exists, paths, runFiles, type Workspace } from '../workspace.js';
import { readEventTail } from '../runs/event-tail.js';
import { parseCsvText } from '../datasets/csv-lines.js';
import type { RunDetail, RunMetrics, TestResultsDto } from '../../shared/runs.js';


async function readResults(ws: Workspace, experiment: string, model: string): Promise<TestResultsDto | null> {
  const dir = paths.resultsDir(ws, experiment, model);
  if (!(await exists(join(dir, 'metrics.csv')))) return null;
  if (!(await exists(join(dir, 'per-class.csv')))) return readRegressionResults(dir);
  const [metricsCsv, perClassCsv, confusionCsv] = await Promise.all(
    ['metrics.csv', 'per-class.csv', 'confusion-matrix.csv'].map((name) => fs.readFile(join(dir, name), 'utf8')),
  );
  const metrics = Object.fromEntries(parseCsvText(metricsCsv!).rows.map(([name, value]) => [name!, Number(value)]));
  const perClass = parseCsvText(perClassCsv!).rows.map(([cls, precision, recall, f1, support]) => ({
    class: cls!,
    precision: Number(precision),
    recall: Number(recall),
    f1: Number(f1),
    support: Number(support),
  }));
  const confusion = parseCsvText(confusionCsv!);
  return {
    task: 'classification',
    metrics,
    perClass,
    classes: confusion.rows.map((row) => row[0]!),
    confusion: confusion.rows.map((row) => row.slice(1).map(Number)),
  };
}

/** Regression results: metrics.csv and the actual/predicted columns of predictions.csv (by name). */
async function readRegressionResults(dir: string): Promise<TestResultsDto> {
  // A command run's test command writes what it wants: predictions.csv may be missing (no columns then).
  const [metricsCsv, predictionsCsv] = await Promise.all(['metrics.csv', 'predictions.csv'].map((name) => fs.readFile(join(dir, name), 'utf8').catch(() => '')));
  const metrics = Object.fromEntries(parseCsvText(metricsCsv!).rows.map(([name, value]) => [name!, Number(value)]));
  const table = parseCsvText(predictionsCsv!);
  const column = (name: string): number[] => {
    const index = table.header.indexOf(name);
    return index < 0 ? [] : table.rows.map((row) => Number(row[index]));
  };
  const actual = column('actual');
  const predicted = column('predicted');
  // A command run's predictions.csv may hold class names: plots only for numbers.
  const plottable = actual.length > 0 && [...actual, ...predicted].every(Number.isFinite);
  return { task: 'regression', metrics, perClass: [], classes: [], confusion: [], ...(plottable ? { predictions: { actual, predicted } } : {}) };
}

export async function runDetail(ws: Workspace, experiment: string, model: string): Promise<RunDetail> {
  // One run's files, not the experiment's: a run page of an experiment with 10,000 runs opens as fast as any.
  const summary = await readRunSummary(ws, experiment, model);
  const dir = paths.modelDir(ws, experiment, model);
  if (!summary) throw new ExpmanError('RUN_MISSING', `no run ${experiment}/${model} in ${ws.root}`, { file: dir });
  const { config, provenance } = await readRunConfig(dir);
  const configText = await fs.readFile(runFiles.config(dir), 'utf8');
  return {
    summary,
    config: { ...config.values },
    configText,
    provenance: JSON.parse(JSON.stringify(provenance)) as Record<string, unknown>,
    checkpoints: await listCheckpoints(dir),
    // A command run is testable when it has a test command: that command knows what it needs.
    hasBestModel: isCommandRun(config.values) ? config.values['command.test'].length > 0 : await exists(join(runFiles.bestModel(dir), 'model.json')),
    results: await readResults(ws, experiment, model),
  };
}

/** Metric events of a run from byte `since` of metrics.jsonl; only complete lines are consumed. */
export async function runMetrics(ws: Workspace, experiment: string, model: string, since = 0): Promise<RunMetrics> {
  const dir = paths.modelDir(ws, experiment, model);
  const tail = await readEventTail(runFiles.metrics(dir), since);
  if (!tail) {
    if (!(await exists(dir))) throw new ExpmanError('RUN_MISSING', `no run ${experiment}/${model} in ${ws.root}`, { file: runFiles.metrics(dir) });
    return { epochs: [], batches: [], offset: 0 };
  }
  const result: RunMetrics = { epochs: [], batches: [], offset: tail.offset };
  for (const event of tail.events) {
    if (event.event === 'epoch_end') result.epochs.push(event);
    else if (event.event === 'batch_end') {
      result.batches.push({ epoch: event.epoch, batch: event.batch, batches: event.batches, loss: event.loss, accuracy: event.accuracy });
    } else if (event.event === 'early_stopped') result.earlyStop = { epoch: event.epoch, best_epoch: event.best_epoch, patience: event.patience };
  }
  return result;
}
