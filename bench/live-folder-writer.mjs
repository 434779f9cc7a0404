// Writes run folders the way training runs do, for the live-folder bench: `node live-folder-writer.mjs
// <dataDir> <runs> <seconds> <lateRuns>`. All <runs> folders are created at once, then each appends 20
// batch_end lines/s and 10 epoch_end lines/s to logs/metrics.jsonl and rewrites status.json (temp +
// rename) every epoch; <lateRuns> more runs start one by one during the run. Prints one JSON line per
// created run: {"run": name, "created": epoch ms}, and at the end {"epochsPerSecond": achieved per run}.
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const [dataDir, runsArg, secondsArg, lateArg] = process.argv.slice(2);
const runs = Number(runsArg);
const seconds = Number(secondsArg);
const late = Number(lateArg ?? 0);
const models = join(dataDir, 'experiments', 'bench', 'models');
const EPOCHS = 100_000;
const BATCHES = 2;

function status(dir, fields) {
  const now = new Date().toISOString();
  const body = { status: 'running', pid: process.pid, host: hostname(), started: fields.started, updated: now, epoch: 0, epochs: EPOCHS, best: null, ...fields };
  const temp = join(dir, `.tmp-status.json-${process.pid}`);
  writeFileSync(temp, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(temp, join(dir, 'status.json'));
}

const live = [];
function createRun(name) {
  const dir = join(models, name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const started = new Date().toISOString();
  // Like a real run, it holds the run's lock (lock.json) while it writes: without it a reader sees a
  // "running" status with no writer, which is a crashed run.
  writeFileSync(join(dir, 'lock.json'), `${JSON.stringify({ pid: process.pid, host: hostname(), started, command: 'live-folder-writer' })}\n`);
  status(dir, { started });
  const metrics = join(dir, 'logs', 'metrics.jsonl');
  appendFileSync(metrics, `${JSON.stringify({ event: 'run_started', time: started, experiment: 'bench', model: name, dir, epochs: EPOCHS, backend: 'bench', device: 'none', train_rows: 120, validation_rows: 30 })}\n`);
  process.stdout.write(`${JSON.stringify({ run: name, created: Date.now() })}\n`);
  live.push({ name, dir, metrics, started, epoch: 0, batch: 0 });
}

for (let i = 0; i < runs; i++) createRun(`run-${String(i).padStart(3, '0')}`);

// 20 ticks a second: every tick one batch line per run, every second tick an epoch (epoch_end + status.json).
let tick = 0;
const began = Date.now();
const timer = setInterval(() => {
  tick++;
  const time = new Date().toISOString();
  for (const run of live) {
    run.batch = (run.batch % BATCHES) + 1;
    const epoch = run.epoch + 1;
    const loss = 1 / (1 + epoch / 50);
    appendFileSync(run.metrics, `${JSON.stringify({ event: 'batch_end', time, epoch, batch: run.batch, batches: BATCHES, loss, accuracy: 1 - loss / 2 })}\n`);
    if (run.batch === BATCHES) {
      run.epoch = epoch;
      appendFileSync(run.metrics, `${JSON.stringify({ event: 'epoch_end', time, epoch, epochs: EPOCHS, duration_ms: 100, samples_per_s: 1200, loss, accuracy: 1 - loss / 2, val_loss: loss * 1.1, val_accuracy: 1 - loss / 1.8 })}\n`);
      status(run.dir, { started: run.started, epoch, best: { epoch, val_loss: loss * 1.1, val_accuracy: 1 - loss / 1.8 } });
    }
  }
  // Late runs start evenly spread over the middle of the run, under full load.
  if (late > 0 && tick % Math.max(1, Math.floor((seconds * 20) / (late + 2))) === 0 && live.length < runs + late) createRun(`late-${String(live.length - runs).padStart(3, '0')}`);
  if (tick >= seconds * 20) {
    clearInterval(timer);
    for (const run of live) {
      status(run.dir, { started: run.started, epoch: run.epoch, status: 'finished' });
      rmSync(join(run.dir, 'lock.json'), { force: true });
    }
    // What the load really was (a busy machine stretches the 50 ms ticks).
    process.stdout.write(`${JSON.stringify({ epochsPerSecond: tick / 2 / ((Date.now() - began) / 1000) })}\n`);
  }
}, 50);
