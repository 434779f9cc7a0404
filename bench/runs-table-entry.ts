// The backend side of the runs-table bench, run in a fresh process per data folder (bundled by
// bench/runs-table.mjs): how long the run listing and runs:table take on N run folders, against the
// baseline of reading every run's files whole (metrics.jsonl and config.toml parsed),
// which is what a table without the summary cache would do. Prints one JSON object.
import { appendFileSync, statSync, truncateSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunTableReader } from '../src/core/runs/run-table.js';
import { parseToml } from '../src/core/config/toml-text.js';
import { epochHistory, listRuns, readEvents } from '../src/core/training/run-store.js';
import { paths, runFiles, workspace } from '../src/core/workspace.js';

const [root, experiment = 'sweep', mode = 'table'] = process.argv.slice(2);
if (!root) throw new Error('usage: runs-table-entry <data folder> [experiment] [table|naive]');
const ws = workspace(root);

async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

const list = await time(() => listRuns(ws, experiment));
// Each way is measured in a process of its own, so neither finds the other's warm JIT.
if (mode === 'naive') {
  const naive = await time(async () => {
    const rows = [];
    for (const run of list.value) {
      const history = epochHistory(await readEvents(run.dir));
      const config = parseToml(await readFile(runFiles.config(run.dir), 'utf8')) as { training?: { learning_rate?: number } };
      rows.push({ run: run.model, epochs: history.length, lr: config.training?.learning_rate });
    }
    return rows.length;
  });
  console.log(JSON.stringify({ runs: list.value.length, naiveMs: naive.ms }));
  process.exit(0);
}
const reader = new RunTableReader();
const cold = await time(() => reader.read(ws, experiment));
const warm = await time(() => reader.read(ws, experiment));
const warm2 = await time(() => reader.read(ws, experiment));
// 1 % of the runs train on: an epoch appended to their metrics.jsonl, read from where it was.
const models = cold.value.runs.map((r) => r.model);
const growing = models.filter((_, i) => i % 100 === 0).map((model) => join(paths.modelDir(ws, experiment, model), 'logs', 'metrics.jsonl'));
const sizes = growing.map((file) => statSync(file).size);
for (const file of growing) {
  appendFileSync(file, `${JSON.stringify({ event: 'epoch_end', time: 't', epoch: 31, epochs: 31, duration_ms: 1, samples_per_s: 1, loss: 0.1, val_loss: 0.2 })}\n`);
}
const grown = await time(() => reader.read(ws, experiment));
// The generated folder is kept between bench runs: put it back as it was.
growing.forEach((file, i) => truncateSync(file, sizes[i]));
const payload = JSON.stringify(cold.value).length;
const serialise = await time(async () => JSON.stringify(warm.value).length);

console.log(
  JSON.stringify({
    runs: list.value.length,
    listMs: list.ms,
    tableColdMs: cold.ms,
    tableWarmMs: Math.min(warm.ms, warm2.ms),
    tableGrownMs: grown.ms,
    grownRuns: growing.length,
    payloadBytes: payload,
    serialiseMs: serialise.ms,
    columns: cold.value.columns.length,
  }),
);
