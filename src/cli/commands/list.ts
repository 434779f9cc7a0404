import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { listRuns, type RunSummary } from '../../core/training/run-store.js';
import { paths, type Workspace } from '../../core/workspace.js';
import { metricsTask } from '../../shared/run-events.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const listHelp = `expman list [--experiment E] [--json]

Lists experiments and their runs: status (queued, running, finished, failed, stopped, pruned — stopped
early by a sweep; a run training on another host shows as running@<host>), epochs, backend, the best validation metrics, once tested the
test score, and the device it trained on (--json adds the backend versions). The score is the task's:
accuracy for classification (VAL/TEST columns show acc), R² for regression (shown as r2=…, with the
RMSE in --json). Under the table, each failed run's error, with the last lines of stderr of a command
run's script. Runs executed on a target add a WHERE column: executor, target, Slurm job id, node, and
for a queued job its state and why it waits (PENDING (Priority)).`;

/** Last stderr lines `list` shows under a failed run (the UI shows all it has). */
const STDERR_LINES_SHOWN = 5;

/** metrics.csv of a tested run as name → value (null when not tested). */
async function testMetrics(ws: Workspace, run: RunSummary): Promise<Record<string, number> | null> {
  try {
    const text = await fs.readFile(join(paths.resultsDir(ws, run.experiment, run.model), 'metrics.csv'), 'utf8');
    const rows = text.split('\n').slice(1).filter(Boolean).map((l) => l.split(','));
    return Object.fromEntries(rows.map(([name, value]) => [name!, Number(value)]));
  } catch {
    return null;
  }
}

/** The task's headline score: accuracy for classification, R² (prefixed) for regression. */
function score(metrics: { accuracy?: number; r2?: number; val_accuracy?: number; val_r2?: number } | null, test: boolean): string {
  if (!metrics) return '-';
  const r2 = test ? metrics.r2 : metrics.val_r2;
  const accuracy = test ? metrics.accuracy : metrics.val_accuracy;
  if (typeof r2 === 'number') return `r2=${r2.toFixed(4)}`;
  return typeof accuracy === 'number' ? accuracy.toFixed(4) : '-';
}

/** Where a run executes or executed; a queued Slurm job with its state and why it waits. */
function whereRan(run: RunSummary): string {
  const e = run.executor;
  if (!e) return 'local';
  const job = e.job_id ? ` ${e.executor === 'slurm' ? 'job' : 'pid'} ${e.job_id}` : '';
  const state = run.status === 'queued' && e.state ? ` ${e.state}${e.reason && e.reason !== 'None' ? ` (${e.reason})` : ''}` : '';
  const on = e.executor === 'ssh' ? e.host : e.node;
  return `${e.executor}:${e.target}${job}${state}${on ? ` on ${on}` : ''}`;
}

export async function listCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, { experiment: { type: 'string' } });
  const ws = dataWorkspace(values.data);
  const runs = await listRuns(ws, values.experiment);
  const rows = await Promise.all(
    runs.map(async (run) => {
      // testScore is set exactly when results/<run>/metrics.csv was read: untested runs cost no failed open.
      const test = run.testScore ? await testMetrics(ws, run) : null;
      return {
        ...run,
        task: metricsTask(run.best),
        test_accuracy: test?.['accuracy'] ?? null,
        ...(test && 'r2' in test ? { test_r2: test['r2'], test_rmse: test['rmse'] ?? null } : {}),
        test,
      };
    }),
  );
  if (values.json) {
    emitJson({ data: ws.root, runs: rows.map(({ test: _test, ...row }) => row) });
    return 0;
  }
  if (!rows.length) {
    console.log(`No runs in ${ws.root}${values.experiment ? ` for experiment ${values.experiment}` : ''}. Start one with: expman train`);
    return 0;
  }
  // WHERE only when some run executed elsewhere (a Slurm job): "slurm:cluster job 12 on node7".
  const where = rows.some((r) => r.executor);
  const table = [
    ['EXPERIMENT', 'RUN', 'STATUS', 'EPOCHS', 'BACKEND', 'BEST EPOCH', 'VAL_LOSS', 'VAL_SCORE', 'TEST_SCORE', 'DEVICE', ...(where ? ['WHERE'] : [])],
    ...rows.map((r) => [
      r.experiment,
      r.model,
      r.live === 'elsewhere' ? `${r.status}@${r.host}` : r.status,
      `${r.epoch}/${r.epochs}`,
      r.backend ?? '',
      r.best ? String(r.best.epoch) : '-',
      r.best ? r.best.val_loss.toFixed(4) : '-',
      score(r.best, false),
      score(r.test, true),
      r.device ?? '',
      ...(where ? [whereRan(r)] : []),
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  // One write: 10,000 console.log calls cost more than reading the runs. Then why failed runs failed: the
  // error, and for a crashed process (a command run's script) its last stderr lines.
  const lines = table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  for (const r of rows) {
    if (r.status !== 'failed' || !r.error) continue;
    lines.push('', `${r.experiment}/${r.model} failed: ${r.error.message.split('\n')[0]}`);
    for (const line of (r.error.stderr_tail ?? []).slice(-STDERR_LINES_SHOWN)) lines.push(`  | ${line}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
