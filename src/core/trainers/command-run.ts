import { existsSync, promises as fs } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { FlatConfig } from '../config/schema.js';
import { ExpmanError, isExpmanError } from '../errors.js';
import { fileLogger, type Logger } from '../logging/loggers.js';
import type { Provenance } from '../provenance.js';
import type { RunLock } from '../runs/lock.js';
import { asRunError } from '../runs/run-errors.js';
import { epochHistory, MetricsWriter, newStatus, readEvents, readStatus, writeStatus, type StatusFile } from '../training/run-store.js';
import type { RunResult, TrainHooks } from '../training/train.js';
import { runFiles, type Workspace } from '../workspace.js';
import type { BestSoFar, RunEvent, WithoutTime } from '../../shared/run-events.js';
import type { RunError } from '../../shared/runs.js';
import { MetricsIngest } from './command-metrics.js';
import { runCommandProcess, type CommandExit } from './command-process.js';
import { checkCodeHashes, commandEnv, hashCodeTree, resolveExecutable, runCodeDir } from './command-spec.js';

export interface CommandRunRequest {
  ws: Workspace;
  dir: string;
  experiment: string;
  model: string;
  config: FlatConfig;
  provenance: Partial<Provenance>;
  /** Rows of the prepared dataset's training split (the script makes its own validation split). */
  trainRows: number;
  hooks: TrainHooks;
  /** The run's lock, held by the caller (who releases it). */
  lock: RunLock;
  /** Continue from the last complete checkpoint (EXPMAN_RESUME_FROM) instead of starting fresh. */
  resume: boolean;
  /** Lines for the run log before anything else (a stale lock taken over). */
  notes?: readonly string[];
}

/** Status and log writes between epochs are throttled to this; the end of the run always writes. */
const STATUS_INTERVAL_MS = 500;
const POLL_MS = 200;

/** The last checkpoint_saved event whose file is still there: what a resumed command continues from. */
async function lastCheckpoint(dir: string): Promise<{ epoch: number; path: string; events: RunEvent[] } | { epoch: 0; path: null; events: RunEvent[] }> {
  const events = await readEvents(dir);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.event !== 'checkpoint_saved' || typeof e.path !== 'string' || typeof e.epoch !== 'number') continue;
    const path = isAbsolute(e.path) ? e.path : join(dir, e.path);
    if (existsSync(path)) return { epoch: e.epoch, path, events };
  }
  return { epoch: 0, path: null, events };
}

/** The validation metrics of an epoch_end (any `val_*` name) as the run's best so far, or null without a val_loss. */
function bestOf(event: Record<string, unknown>, epoch: number): BestSoFar | null {
  if (typeof event['val_loss'] !== 'number' || !Number.isFinite(event['val_loss'])) return null;
  const val = Object.fromEntries(Object.entries(event).filter(([key, value]) => key.startsWith('val_') && typeof value === 'number'));
  return { ...val, epoch, val_loss: event['val_loss'] };
}

function logTo(logger: Logger, hooks: TrainHooks): Logger {
  const wrap =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      logger[level](...args);
      hooks.onLog?.(level, args.map(String).join(' '));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/**
 * Trains a run with its command (`[command] train`): the trainer kind of command runs, inside the worker
 * that owns the run (`expman train --resume <dir>`: it holds the lock and writes status.json). The command
 * runs in the run's copy of its code with the EXPMAN_* environment; its output goes line by line to
 * logs/run.log; the events it appends to logs/metrics.jsonl are followed to keep status.json (epoch, best)
 * current and streamed to `hooks.onEvent`. A stop (hooks.signal) reaches its process group as SIGTERM, then
 * SIGKILL after `command.stop_grace_seconds`; the run is then `stopped`. An exit code other than 0 fails
 * the run with the last lines of its stderr.
 */
export async function trainCommandRun(request: CommandRunRequest): Promise<RunResult> {
  const { ws, dir, config, hooks } = request;
  const argv = config['command.train'];
  const codeDir = runCodeDir(dir);
  const startedAt = Date.now();
  // Checked before the run is marked running: a queued run trains what was recorded, or nothing.
  if (!existsSync(codeDir)) throw new ExpmanError('RUN_MISSING', `${codeDir}: the run's copy of its code is missing; re-run it from another run or start a new one`, { file: codeDir });
  if (request.provenance.command_code_sha256) checkCodeHashes(await hashCodeTree(codeDir), request.provenance.command_code_sha256, codeDir, 'the run would not be what was recorded');
  const from = request.resume ? await lastCheckpoint(dir) : { epoch: 0 as const, path: null, events: [] as RunEvent[] };
  const env = commandEnv(ws, dir, config, from.path ? { EXPMAN_RESUME_FROM: from.path } : {});
  const executable = resolveExecutable(argv, codeDir, env, 'command.train');

  let log: Logger;
  let status: StatusFile;
  const metrics = new MetricsWriter(runFiles.metrics(dir));
  try {
    log = logTo(fileLogger(runFiles.runLog(dir), config['logging.level']), hooks);
    for (const line of request.notes ?? []) log.warn(line);
    const previous = await readStatus(dir);
    let best: BestSoFar | null = null;
    for (const e of epochHistory(from.events)) {
      const candidate = e.epoch <= from.epoch ? bestOf(e as unknown as Record<string, unknown>, e.epoch) : null;
      if (candidate && (!best || candidate.val_loss < best.val_loss)) best = candidate;
    }
    status = {
      ...newStatus(config['training.epochs']),
      ...(previous ? { started: previous.started } : {}),
      backend: 'command',
      ...(request.provenance.command_interpreter ? { backend_version: request.provenance.command_interpreter } : {}),
      device: argv.join(' '),
      epoch: from.epoch,
      best,
    };
    await writeStatus(dir, status);
    await fs.mkdir(runFiles.checkpoints(dir), { recursive: true });
  } catch (error) {
    throw asRunError(error, dir);
  }
  const emit = (event: WithoutTime<RunEvent>): void => hooks.onEvent?.(metrics.write(event));
  if (request.resume) {
    emit({ event: 'run_resumed', from_epoch: from.epoch, checkpoint: from.path ? relative(dir, from.path) : '' });
    log.info(`run ${request.experiment}/${request.model} resumed from ${from.path ? `checkpoint of epoch ${from.epoch} (EXPMAN_RESUME_FROM=${from.path})` : 'the start (no checkpoint was complete)'}`);
  } else {
    emit({ event: 'run_started', experiment: request.experiment, model: request.model, dir, epochs: status.epochs, backend: 'command', device: argv.join(' '), train_rows: request.trainRows, validation_rows: 0 });
  }
  log.info(`command ${JSON.stringify(argv)} in ${codeDir} (${executable}${request.provenance.command_interpreter ? `, ${request.provenance.command_interpreter}` : ''})`);

  // Follow what the command appends to metrics.jsonl.
  let lastStatusWrite = 0;
  let lastBatchForward = 0;
  let dirty = false;
  const flushStatus = async (force: boolean): Promise<void> => {
    if (!dirty || (!force && Date.now() - lastStatusWrite < STATUS_INTERVAL_MS) || !request.lock.held()) return;
    dirty = false;
    lastStatusWrite = Date.now();
    status = { ...status, updated: new Date().toISOString() };
    await writeStatus(dir, status);
  };
  const onEvent = (event: RunEvent): void => {
    const e = event as unknown as Record<string, unknown>;
    if (event.event === 'epoch_end' && typeof e['epoch'] === 'number') {
      const epoch = e['epoch'];
      const epochs = typeof e['epochs'] === 'number' ? e['epochs'] : status.epochs;
      const candidate = bestOf(e, epoch);
      const best = candidate && (!status.best || candidate.val_loss < status.best.val_loss) ? candidate : status.best;
      status = { ...status, epoch, epochs, best };
      dirty = true;
      hooks.onProgress?.({ phase: `epoch ${epoch}/${epochs}`, done: epoch, total: epochs, unit: 'epochs' });
    } else if (event.event === 'best_model_saved' && typeof e['epoch'] === 'number') {
      status = { ...status, best: bestOf(e, e['epoch']) ?? status.best };
      dirty = true;
    } else if (event.event === 'batch_end') {
      // Per-batch events reach the launching process (and its live charts) at most every
      // logging.batch_interval_ms, as the built-in loop writes them; every one stays in metrics.jsonl.
      const now = Date.now();
      if (now - lastBatchForward < config['logging.batch_interval_ms']) return;
      lastBatchForward = now;
    }
    hooks.onEvent?.(event);
  };
  const start = await MetricsIngest.start(runFiles.metrics(dir));
  const ingest = new MetricsIngest(runFiles.metrics(dir), start.offset, start.lines, onEvent, (line, text) =>
    log.warn(`metrics.jsonl line ${line} is not a JSON event object and was skipped (later ones are only counted): ${text}`),
  );

  let exit: CommandExit;
  let running = true;
  const follow = (async () => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await ingest.poll();
      await flushStatus(false);
    }
  })();
  try {
    exit = await runCommandProcess({
      file: executable,
      args: argv.slice(1),
      cwd: codeDir,
      env,
      signal: hooks.signal,
      graceMs: config['command.stop_grace_seconds'] * 1000,
      onLine: (stream, line) => (stream === 'stdout' ? log.info(line) : log.warn(line)),
    });
  } catch (error) {
    running = false;
    await follow.catch(() => undefined);
    throw await failRun(dir, status, metrics, log, hooks, asRunError(error, dir));
  } finally {
    running = false;
  }
  await follow;
  await ingest.poll();
  // A command killed mid-line leaves a line without its newline: end it, so the worker's own events that
  // follow start on a line of their own (the torn line is counted as invalid).
  await endLastLine(runFiles.metrics(dir));
  await ingest.poll();
  if (ingest.invalid) log.warn(`${ingest.invalid} line${ingest.invalid === 1 ? '' : 's'} of metrics.jsonl ${ingest.invalid === 1 ? 'was' : 'were'} not JSON event objects and were skipped`);
  dirty = true;

  const now = new Date().toISOString();
  const result = { dir, experiment: request.experiment, model: request.model, epochsCompleted: status.epoch, best: status.best, earlyStopped: false };
  if (exit.stopped) {
    status = { ...status, status: 'stopped', updated: now, finished: now };
    await writeStatus(dir, status);
    emit({ event: 'run_stopped', epochs_completed: status.epoch, signal: exit.signal ?? 'stop requested' });
    log.warn(`stopped after ${status.epoch} epochs${exit.signal === 'SIGKILL' ? ` (killed: it did not end within ${config['command.stop_grace_seconds']} s of SIGTERM)` : ''}; resume with: expman train --resume ${dir}`);
    return { ...result, status: 'stopped' };
  }
  if (exit.code !== 0) {
    const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const last = exit.stderrTail.filter((line) => line.trim()).at(-1);
    const error = new ExpmanError('COMMAND_FAILED', `${argv.join(' ')} ${how}${last ? `: ${last.trim()}` : ' (no output on stderr)'}`, { key: 'command.train', stderr_tail: exit.stderrTail });
    throw await failRun(dir, status, metrics, log, hooks, error, exit.stderrTail);
  }
  status = { ...status, status: 'finished', updated: now, finished: now };
  await writeStatus(dir, status);
  emit({ event: 'run_finished', epochs_completed: status.epoch, best: status.best, duration_ms: Date.now() - startedAt });
  log.info(`finished: ${status.epoch} epochs`);
  return { ...result, status: 'finished' };
}

async function endLastLine(file: string): Promise<void> {
  const handle = await fs.open(file, 'a+').catch(() => null);
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n');
  } finally {
    await handle.close();
  }
}

/** Records a failed command run (status, run_failed event, log) and returns the error to throw. */
async function failRun(dir: string, status: StatusFile, metrics: MetricsWriter, log: Logger, hooks: TrainHooks, error: unknown, stderrTail?: string[]): Promise<unknown> {
  const code = isExpmanError(error) ? error.code : 'TRAINING_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const now = new Date().toISOString();
  const runError: RunError = { code, message, ...(stderrTail?.length ? { stderr_tail: stderrTail } : {}) };
  await writeStatus(dir, { ...status, status: 'failed', updated: now, finished: now, error: runError }).catch(() => undefined);
  try {
    hooks.onEvent?.(metrics.write({ event: 'run_failed', epochs_completed: status.epoch, error: { code, message } }));
    log.error(`run failed: ${message}`);
    for (const line of stderrTail ?? []) log.error(`  ${line}`);
  } catch {
    // the folder is gone: the lock's release tells readers the run ended
  }
  return error;
}
