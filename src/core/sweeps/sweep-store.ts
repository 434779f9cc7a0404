import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { paths, type Workspace } from '../workspace.js';
import type { SweepDefinition } from './definition.js';
import type { SweepState, TrialRecord } from '../../shared/sweeps.js';

/**
 * The sweep folder, experiments/<experiment>/sweeps/<name>/:
 *   sweep.toml        the definition as the user wrote it (for people)
 *   definition.json   the checked definition the controller runs (resume reads this, not the file)
 *   state.json        the sweep's status, clock and sampler state (method, seed, next point)
 *   trials.json       the trials table: one row per run, written before the run is created
 *   lock.json         the controller that drives it (one at a time; src/core/runs/lock.ts)
 *   stop.json         a stop request for that controller, from another process (`expman sweep stop`)
 * Every file is replaced atomically; the trials table is the truth the sampler's next point is derived
 * from, so a crash between two writes cannot make a trial run twice.
 */
export const sweepFiles = {
  dir: (ws: Workspace, experiment: string, name: string) => join(paths.experimentDir(ws, experiment), 'sweeps', name),
  sweepsDir: (ws: Workspace, experiment: string) => join(paths.experimentDir(ws, experiment), 'sweeps'),
  source: (dir: string) => join(dir, 'sweep.toml'),
  definition: (dir: string) => join(dir, 'definition.json'),
  state: (dir: string) => join(dir, 'state.json'),
  trials: (dir: string) => join(dir, 'trials.json'),
  stop: (dir: string) => join(dir, 'stop.json'),
};

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpmanError(code === 'ENOENT' ? 'NOT_FOUND' : 'CONFIG_INVALID', `${file}: ${code === 'ENOENT' ? 'no such sweep file' : `cannot read (${code ?? (error as Error).message})`}`, { file });
  }
}

export const readDefinition = (dir: string): Promise<SweepDefinition> => readJson<SweepDefinition>(sweepFiles.definition(dir));
export const readState = (dir: string): Promise<SweepState> => readJson<SweepState>(sweepFiles.state(dir));
export const readTrials = (dir: string): Promise<TrialRecord[]> => readJson<TrialRecord[]>(sweepFiles.trials(dir));

export async function writeState(dir: string, state: SweepState): Promise<void> {
  await writeFileAtomic(sweepFiles.state(dir), `${JSON.stringify(state, null, 2)}\n`);
}

export async function writeTrials(dir: string, trials: readonly TrialRecord[]): Promise<void> {
  // One row per line: readable, and diffable between two reads.
  await writeFileAtomic(sweepFiles.trials(dir), `[\n${trials.map((t) => `  ${JSON.stringify(t)}`).join(',\n')}\n]\n`);
}

/** The names of the sweeps of an experiment (folders with a state.json). */
export async function listSweepNames(ws: Workspace, experiment: string): Promise<string[]> {
  const dir = sweepFiles.sweepsDir(ws, experiment);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names.sort()) {
    if (await fs.access(sweepFiles.state(join(dir, name))).then(() => true, () => false)) out.push(name);
  }
  return out;
}

/** Asks the controller of a sweep (in any process on this host) to stop; it polls for this file. */
export async function requestStop(dir: string): Promise<void> {
  await writeFileAtomic(sweepFiles.stop(dir), `${JSON.stringify({ requested: new Date().toISOString(), pid: process.pid })}\n`);
}

export async function stopRequested(dir: string): Promise<boolean> {
  return fs.access(sweepFiles.stop(dir)).then(() => true, () => false);
}

export async function clearStopRequest(dir: string): Promise<void> {
  await fs.rm(sweepFiles.stop(dir), { force: true });
}
