import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../core/training/events.js';
import { formatMetrics } from '../shared/run-events.js';
import type { RunResult, TrainHooks } from '../core/training/train.js';
import { emitJson } from './context.js';
import { ProgressBar } from './progress-bar.js';

/**
 * Drives a training run from the terminal: progress bar (TTY) or one line per epoch (pipes),
 * JSON events with --json, and signals: the first Ctrl-C / SIGTERM stops after the current batch
 * (the run is marked stopped and can be resumed), a second one exits at once. SIGUSR1 is a stop too:
 * Slurm sends it before a time limit (sbatch --signal=USR1@…), and Node.js would otherwise open its
 * debugger on it.
 */
export async function runWithTerminal(json: boolean, start: (hooks: TrainHooks) => Promise<RunResult>): Promise<number> {
  const controller = new AbortController();
  const bar = new ProgressBar();
  let signals = 0;
  let exitCode = 130;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    exitCode = signal === 'SIGINT' ? 130 : 143;
    if (signals > 1) process.exit(exitCode);
    if (!json) bar.println(`${signal}: stopping after the current batch (again to exit at once)…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onSignal);
  const print = (text: string): void => (bar.enabled ? bar.println(text) : console.log(text));
  const onEvent = (event: RunEvent): void => {
    if (json) {
      // Every event, per-batch ones included (as often as logging.batch_interval_ms writes them): the
      // desktop app and `expman ui` draw live per-batch charts from this stream.
      emitJson(event);
      return;
    }
    switch (event.event) {
      case 'run_started':
        if (event.backend === 'command') print(`Training ${event.experiment}/${event.model} with the command ${event.device}, up to ${event.epochs} epochs`);
        else print(`Training ${event.experiment}/${event.model} on ${event.backend} (${event.device}): ${event.train_rows} training, ${event.validation_rows} validation rows, up to ${event.epochs} epochs`);
        print(`  run folder ${event.dir}`);
        break;
      case 'run_resumed':
        print(`Resuming from epoch ${event.from_epoch}${event.checkpoint ? ` (${event.checkpoint})` : ''}`);
        break;
      case 'epoch_end':
        // A command run's script may write any metric names (or none of the built-in ones): only numbers are shown.
        bar.setSuffix(formatMetrics(event, 3).replaceAll('=', ' '));
        if (!bar.enabled) console.log(`epoch ${event.epoch}/${event.epochs ?? '?'} ${formatMetrics(event)}${typeof event.duration_ms === 'number' ? ` (${event.duration_ms} ms)` : ''}`);
        break;
      case 'early_stopped':
        print(`Early stopping at epoch ${event.epoch}: val_loss has not improved for ${event.patience} epochs (best epoch ${event.best_epoch})`);
        break;
      case 'run_finished':
        print(`Finished after ${event.epochs_completed} epochs in ${(event.duration_ms / 1000).toFixed(1)} s; best epoch ${event.best?.epoch}: ${event.best ? formatMetrics(event.best).replaceAll('=', ' ').split(' val_').join(', val_') : ''}`);
        break;
      case 'run_stopped':
        print(`Stopped after ${event.epochs_completed} complete epochs.`);
        break;
      default:
        break;
    }
  };
  try {
    const result = await start({ onEvent, onProgress: json ? undefined : (p) => bar.update(p), signal: controller.signal });
    bar.clear();
    if (!json) {
      if (result.status === 'stopped') console.log(`Resume with: expman train --resume ${result.dir}`);
      else {
        // A command run's script saves its best model where it wants (the PyTorch example: best-model.pth).
        if (existsSync(join(result.dir, 'best-model'))) console.log(`Best model: ${result.dir}/best-model`);
        console.log(`Test it with: expman test --experiment ${result.experiment} --model ${result.model}`);
      }
    }
    return result.status === 'stopped' ? exitCode : 0;
  } finally {
    bar.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onSignal);
  }
}
