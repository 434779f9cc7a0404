import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseCsvText } from '../datasets/csv-lines.js';
import { ExpmanError } from '../errors.js';
import { writeDirAtomic } from '../fs/atomic.js';
import { fileLogger } from '../logging/loggers.js';
import { acquireRunLock, type RunLock } from '../runs/lock.js';
import { asRunError } from '../runs/run-errors.js';
import { readRunConfig } from '../training/run-folder.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import { runCommandProcess } from './command-process.js';
import { commandEnv, resolveExecutable, runCodeDir } from './command-spec.js';

export interface CommandTestResult {
  /** results/<run>/ */
  dir: string;
  /** The CSV files the command wrote there, sorted. */
  files: string[];
  /** metrics.csv as name → value, when the command wrote one (`metric,value` rows; the first column names, the second is numeric). */
  metrics: Record<string, number>;
}

/**
 * Tests a command run: runs its `[command] test` in the run's copy of its code, with the run's
 * environment plus EXPMAN_RESULTS_DIR, a fresh folder that replaces results/<run>/ atomically once the
 * command succeeded (a failed test leaves the previous results). Takes the run's lock like `expman test`
 * of a built-in run: a run that is training is refused.
 */
export async function testCommandRun(ws: Workspace, experiment: string, model: string, onLine?: (stream: 'stdout' | 'stderr', line: string) => void): Promise<CommandTestResult> {
  const runDir = paths.modelDir(ws, experiment, model);
  const { config } = await readRunConfig(runDir);
  const values = config.values;
  const argv = values['command.test'];
  if (!argv.length) throw new ExpmanError('CONFIG_INVALID', `run ${experiment}/${model} has no [command] test command (command.test) to test it with`, { key: 'command.test', file: runFiles.config(runDir) });
  const codeDir = runCodeDir(runDir);
  let lock: RunLock;
  try {
    lock = acquireRunLock(runDir, { command: `expman test --experiment ${experiment} --model ${model}`, refusal: 'cannot test' });
  } catch (error) {
    throw asRunError(error, runDir);
  }
  const target = paths.resultsDir(ws, experiment, model);
  try {
    const executable = resolveExecutable(argv, codeDir, process.env, 'command.test');
    const log = fileLogger(join(runFiles.logs(runDir), 'test.log'), values['logging.level']);
    log.info(`test command ${JSON.stringify(argv)} in ${codeDir}`);
    await fs.mkdir(join(target, '..'), { recursive: true });
    await writeDirAtomic(target, async (tmp) => {
      const exit = await runCommandProcess({
        file: executable,
        args: argv.slice(1),
        cwd: codeDir,
        env: commandEnv(ws, runDir, values, { EXPMAN_RESULTS_DIR: tmp }),
        graceMs: values['command.stop_grace_seconds'] * 1000,
        onLine: (stream, line) => {
          if (stream === 'stdout') log.info(line);
          else log.warn(line);
          onLine?.(stream, line);
        },
      });
      if (exit.code !== 0) {
        const last = exit.stderrTail.filter((line) => line.trim()).at(-1);
        throw new ExpmanError('COMMAND_FAILED', `${argv.join(' ')} ${exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}${last ? `: ${last.trim()}` : ''}`, { key: 'command.test', stderr_tail: exit.stderrTail });
      }
    });
    const files = (await fs.readdir(target)).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
    let metrics: Record<string, number> = {};
    if (files.includes('metrics.csv')) {
      const rows = parseCsvText(await fs.readFile(join(target, 'metrics.csv'), 'utf8')).rows;
      metrics = Object.fromEntries(rows.filter(([, value]) => value !== undefined && Number.isFinite(Number(value))).map(([name, value]) => [name!, Number(value)]));
    }
    return { dir: target, files, metrics };
  } catch (error) {
    throw asRunError(error, runDir);
  } finally {
    lock.release();
  }
}
