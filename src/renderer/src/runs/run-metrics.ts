import { metricsTask, type RunEvent } from '../../../shared/run-events';
import type { EarlyStop, RunMetrics } from '../../../shared/runs';
import type { ChartSeries } from '../charts/chart-data';

type EpochEnd = Extract<RunEvent, { event: 'epoch_end' }>;
type BatchPoint = RunMetrics['batches'][number];

/** x/y buffers that double their capacity, so a live chart gets append-only arrays (see ChartSeries). */
class Growing {
  x = new Float64Array(64);
  y = new Float64Array(64);
  length = 0;
  push(x: number, y: number): void {
    if (this.length === this.x.length) {
      const nx = new Float64Array(this.x.length * 2);
      const ny = new Float64Array(this.y.length * 2);
      nx.set(this.x);
      ny.set(this.y);
      this.x = nx;
      this.y = ny;
    }
    this.x[this.length] = x;
    this.y[this.length] = y;
    this.length++;
  }
}

/** Classification runs have accuracy; regression runs val_mae, val_rmse, val_r2 (absent ones are NaN here). */
export const EPOCH_METRICS = ['loss', 'val_loss', 'accuracy', 'val_accuracy', 'val_mae', 'val_rmse', 'val_r2'] as const;
export const BATCH_METRICS = ['loss', 'accuracy'] as const;
export type EpochMetric = (typeof EPOCH_METRICS)[number];
/** Fields of epoch_end that are not metrics. */
const EPOCH_FIELDS = new Set(['event', 'time', 'epoch', 'epochs', 'duration_ms', 'samples_per_s']);
const KNOWN_EPOCH_METRICS = new Set<string>(EPOCH_METRICS);

/** Numeric fields of an epoch_end that the built-in trainer does not write (a command run's own metrics: f1, lr, …). */
function extraMetricNames(event: EpochEnd): string[] {
  return Object.entries(event)
    .filter(([name, value]) => typeof value === 'number' && !EPOCH_FIELDS.has(name) && !KNOWN_EPOCH_METRICS.has(name))
    .map(([name]) => name);
}
export type BatchMetric = (typeof BATCH_METRICS)[number];

/**
 * A run's metrics at full resolution, fed from the stored file (runs:metrics) and the live event stream
 * in any order and with overlaps: an epoch's last record wins (a resumed run repeats epochs), a batch is
 * kept once. Points that arrive in order are appended; anything else rebuilds the series (new arrays).
 */
export class RunMetricsStore {
  private readonly epochs = new Map<number, EpochEnd>();
  private readonly batchKeys = new Set<string>();
  private readonly batches: BatchPoint[] = [];
  private epochSeries = new Map<string, Growing>();
  /** Metric names beyond EPOCH_METRICS, in order of first appearance. */
  private extras: string[] = [];
  private batchSeries = new Map<BatchMetric, Growing>();
  private lastEpoch = -Infinity;
  private lastBatchX = -Infinity;
  /** Bumped on every change, for React to re-render. */
  version = 0;

  constructor() {
    this.rebuildEpochs();
    this.rebuildBatches();
  }

  get epochCount(): number {
    return this.epochs.size;
  }

  get batchCount(): number {
    return this.batches.length;
  }

  /** Regression runs report R² per epoch; classification runs accuracy. */
  get task(): 'classification' | 'regression' {
    return metricsTask(this.latestEpoch());
  }

  /** The last epoch record, by epoch number. */
  latestEpoch(): EpochEnd | undefined {
    let best: EpochEnd | undefined;
    for (const e of this.epochs.values()) if (!best || e.epoch > best.epoch) best = e;
    return best;
  }

  addEpoch(event: EpochEnd): void {
    const previous = this.epochs.get(event.epoch);
    this.epochs.set(event.epoch, event);
    const added = extraMetricNames(event).filter((name) => !this.extras.includes(name));
    this.extras.push(...added);
    // A new metric name needs a series with gaps for the earlier epochs: rebuilt.
    if (previous || added.length || event.epoch <= this.lastEpoch) this.rebuildEpochs();
    else {
      for (const [m, series] of this.epochSeries) series.push(event.epoch, metricOf(event, m));
      this.lastEpoch = event.epoch;
    }
    this.version++;
  }

  addBatch(point: BatchPoint): void {
    const key = `${point.epoch}:${point.batch}`;
    if (this.batchKeys.has(key)) return;
    this.batchKeys.add(key);
    this.batches.push(point);
    const x = batchX(point);
    if (x <= this.lastBatchX) this.rebuildBatches();
    else {
      this.batchSeries.get('loss')!.push(x, point.loss);
      this.batchSeries.get('accuracy')!.push(x, point.accuracy ?? NaN);
      this.lastBatchX = x;
    }
    this.version++;
  }

  addStored(metrics: RunMetrics): void {
    if (metrics.earlyStop) this.setEarlyStop(metrics.earlyStop);
    for (const e of metrics.epochs) this.addEpoch(e);
    for (const b of metrics.batches) this.addBatch(b);
  }

  addEvents(events: readonly RunEvent[]): void {
    for (const e of events) {
      if (e.event === 'epoch_end') this.addEpoch(e);
      else if (e.event === 'batch_end') this.addBatch({ epoch: e.epoch, batch: e.batch, batches: e.batches, loss: e.loss, accuracy: e.accuracy });
      else if (e.event === 'early_stopped') this.setEarlyStop(e);
    }
  }

  /** The run stopped early (its early_stopped event), or null. */
  earlyStop: EarlyStop | null = null;

  private setEarlyStop(stop: EarlyStop): void {
    this.earlyStop = { epoch: stop.epoch, best_epoch: stop.best_epoch, patience: stop.patience };
    this.version++;
  }

  /** Metric names of this run's epochs beyond the built-in ones, in order of first appearance. */
  get extraEpochMetrics(): readonly string[] {
    return this.extras;
  }

  epochChartSeries(metric: EpochMetric | (string & {}), idPrefix = '', label: string = metric): ChartSeries {
    const s = this.epochSeries.get(metric) ?? new Growing();
    return { id: `${idPrefix}${metric}`, label, x: s.x, y: s.y, length: s.length };
  }

  batchChartSeries(metric: BatchMetric, idPrefix = '', label = `${metric} (batch)`): ChartSeries {
    const s = this.batchSeries.get(metric)!;
    return { id: `${idPrefix}batch_${metric}`, label, x: s.x, y: s.y, length: s.length };
  }

  private rebuildEpochs(): void {
    this.epochSeries = new Map([...EPOCH_METRICS, ...this.extras].map((m) => [m, new Growing()]));
    const sorted = [...this.epochs.values()].sort((a, b) => a.epoch - b.epoch);
    for (const e of sorted) for (const [m, series] of this.epochSeries) series.push(e.epoch, metricOf(e, m));
    this.lastEpoch = sorted.at(-1)?.epoch ?? -Infinity;
  }

  private rebuildBatches(): void {
    this.batchSeries = new Map(BATCH_METRICS.map((m) => [m, new Growing()]));
    this.batches.sort((a, b) => batchX(a) - batchX(b));
    for (const b of this.batches) {
      this.batchSeries.get('loss')!.push(batchX(b), b.loss);
      this.batchSeries.get('accuracy')!.push(batchX(b), b.accuracy ?? NaN);
    }
    this.lastBatchX = this.batches.length ? batchX(this.batches.at(-1)!) : -Infinity;
  }
}

/** One metric of an epoch record; NaN (a gap) when the record has no such number. */
function metricOf(event: EpochEnd, metric: string): number {
  const value = (event as unknown as Record<string, unknown>)[metric];
  return typeof value === 'number' ? value : NaN;
}

/** Global batch index: batches of earlier epochs plus this one's (epochs all have `batches` batches). */
export function batchX(point: BatchPoint): number {
  return (point.epoch - 1) * point.batches + point.batch;
}
