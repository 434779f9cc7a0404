import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { listRuns, type RunSummary } from '../../core/training/run-store.js';
import { paths, type Workspace } from '../../core/workspace.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const listHelp = `expman list [--experiment E] [--json]

Lists experiments and their runs: status (queued, running, finished, failed, stopped; a run training on
another host shows as running@<host>), epochs, backend, the best
validation metrics, once tested the test accuracy, and the device it trained on (--json adds the
backend versions).`;

async function testAccuracy(ws: Workspace, run: RunSummary): Promise<number | null> {
  try {
    const text = await fs.readFile(join(paths.resultsDir(ws, run.experiment, run.model), 'metrics.csv'), 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('accuracy,'));
    return line ? Number(line.split(',')[1]) : null;
  } catch {
    return null;
  }
}

export async function listCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, { experiment: { type: 'string' } });
  const ws = dataWorkspace(values.data);
  const runs = await listRuns(ws, values.experiment);
  const rows = await Promise.all(runs.map(async (run) => ({ ...run, test_accuracy: await testAccuracy(ws, run) })));
  if (values.json) {
    emitJson({ data: ws.root, runs: rows });
    return 0;
  }
  if (!rows.length) {
    console.log(`No runs in ${ws.root}${values.experiment ? ` for experiment ${values.experiment}` : ''}. Start one with: expman train`);
    return 0;
  }
  const table = [
    ['EXPERIMENT', 'RUN', 'STATUS', 'EPOCHS', 'BACKEND', 'BEST EPOCH', 'VAL_LOSS', 'VAL_ACC', 'TEST_ACC', 'DEVICE'],
    ...rows.map((r) => [
      r.experiment,
      r.model,
      r.live === 'elsewhere' ? `${r.status}@${r.host}` : r.status,
      `${r.epoch}/${r.epochs}`,
      r.backend ?? '',
      r.best ? String(r.best.epoch) : '-',
      r.best ? r.best.val_loss.toFixed(4) : '-',
      r.best ? r.best.val_accuracy.toFixed(4) : '-',
      r.test_accuracy === null ? '-' : r.test_accuracy.toFixed(4),
      r.device ?? '',
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  return 0;
}
