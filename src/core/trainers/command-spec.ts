import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, promises as fs, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import type { FlatConfig } from '../config/schema.js';
import { ExpmanError } from '../errors.js';
import { findOnPath } from '../find-on-path.js';
import { gitState, type Provenance } from '../provenance.js';
import { paths, runFiles, type Workspace } from '../workspace.js';

/**
 * Command runs (`[command] train = [...]`): what is checked and recorded before such a run starts, and
 * the environment its command gets. The run keeps a copy of the code folder (`<run>/code/`); it runs
 * there, and resume and re-run use that copy, so a later edit of the experiment's code never changes an
 * old run.
 */

/** Whether a config trains with a command instead of the built-in trainer. */
export function isCommandRun(config: FlatConfig): boolean {
  return config['command.train'].length > 0;
}

/** Folders of a code tree that are caches or another tool's state, not code: never hashed or copied. */
const SKIPPED = new Set(['__pycache__', '.git', '.ipynb_checkpoints', 'node_modules', '.venv']);

/** The run's copy of its code folder: the command's working folder. */
export const runCodeDir = (dir: string): string => join(dir, 'code');

/** The experiment's code folder named by `command.code`, which must stay inside the experiment folder. */
export function experimentCodeDir(ws: Workspace, experiment: string, config: FlatConfig): string {
  const folder = config['command.code'];
  if (isAbsolute(folder) || folder.split(/[\\/]/).includes('..')) {
    throw new ExpmanError('CONFIG_INVALID', `command.code: ${JSON.stringify(folder)} must be a folder inside the experiment folder (archive and sync carry it with the data), e.g. "code"`, { key: 'command.code' });
  }
  return join(paths.experimentDir(ws, experiment), folder);
}

/** sha256 of every file under `dir` by path relative to it ('/'-separated), sorted. */
export async function hashCodeTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    const entries = (await fs.readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (SKIPPED.has(entry.name)) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out[relative(dir, path).split('\\').join('/')] = createHash('sha256').update(await fs.readFile(path)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

/**
 * The executable of an argument list: a bare name is looked up on PATH (`python3`), a path (`./train.sh`)
 * is taken relative to the code folder. Not found → COMMAND_NOT_FOUND naming it and the PATH searched.
 */
export function resolveExecutable(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, key: 'command.train' | 'command.test'): string {
  const name = argv[0]!;
  if (/[\\/]/.test(name)) {
    const path = resolve(cwd, name);
    try {
      if (!statSync(path).isFile()) throw new Error('not a file');
      accessSync(path, constants.X_OK);
    } catch {
      throw new ExpmanError('COMMAND_NOT_FOUND', `${key}: ${JSON.stringify(name)} is not an executable file (looked for ${path})`, { key, file: path });
    }
    return path;
  }
  const found = findOnPath(name, env);
  if (!found) {
    const searched = (env['PATH'] ?? '').split(delimiter).filter(Boolean).join(delimiter);
    throw new ExpmanError('COMMAND_NOT_FOUND', `${key}: command ${JSON.stringify(name)} not found on PATH (${searched || 'PATH is empty'})`, { key });
  }
  return found;
}

/** `python3 --version` and the like: for an interpreter found on PATH only (a script path is not run for this). */
function interpreterVersion(argv: readonly string[], executable: string): string | undefined {
  if (/[\\/]/.test(argv[0]!)) return undefined;
  try {
    const out = execFileSync(executable, ['--version'], { timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    return out.split('\n').find((line) => line.trim())?.trim();
  } catch (error) {
    const e = error as { stderr?: string };
    return e.stderr?.split('\n').find((line) => line.trim())?.trim();
  }
}

/** What a command run records in its `[provenance]` (keys are added, never renamed). */
export type CommandProvenance = Pick<Provenance, 'command' | 'command_code' | 'command_code_sha256' | 'command_interpreter' | 'command_code_git_commit' | 'command_code_git_dirty'>;

export interface CommandRunPlan {
  /** Copies the code into the run folder and returns the provenance to record. */
  copyInto(dir: string): Promise<CommandProvenance>;
}

export interface CommandSource {
  /** The code folder to copy (re-runs: the original run's copy); default the experiment's `command.code`. */
  codeSource?: string;
  /** sha256 per file the code must have (re-runs): otherwise CODE_CHANGED. */
  expectCodeHashes?: Record<string, string>;
}

/** Refuses a code folder whose files are not what a run recorded. */
export function checkCodeHashes(actual: Record<string, string>, expected: Record<string, string>, where: string, consequence: string): void {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const name of [...names].sort()) {
    if (actual[name] !== expected[name]) {
      const what = actual[name] === undefined ? 'is missing' : expected[name] === undefined ? 'was added' : 'changed (sha256 differs)';
      throw new ExpmanError('CODE_CHANGED', `${join(where, name)} ${what} since the run was recorded: ${consequence}`, { file: join(where, name) });
    }
  }
}

/**
 * Checks a new command run before its folder exists: the code folder is there, the command can be found,
 * and (re-runs) the code is still what the original run trained with.
 */
export async function planCommandRun(ws: Workspace, experiment: string, config: FlatConfig, source: CommandSource = {}): Promise<CommandRunPlan> {
  const codeDir = source.codeSource ?? experimentCodeDir(ws, experiment, config);
  let isDir = false;
  try {
    isDir = (await fs.stat(codeDir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ExpmanError('NOT_FOUND', `command.code: code folder ${codeDir} does not exist; put the training script there (see README, Command runs)`, { key: 'command.code', file: codeDir });
  }
  const hashes = await hashCodeTree(codeDir);
  if (source.expectCodeHashes) checkCodeHashes(hashes, source.expectCodeHashes, codeDir, 'a re-run would not be exact');
  const argv = config['command.train'];
  const executable = resolveExecutable(argv, codeDir, process.env, 'command.train');
  if (config['command.test'].length) resolveExecutable(config['command.test'], codeDir, process.env, 'command.test');
  const interpreter = interpreterVersion(argv, executable);
  const git = gitState(codeDir);
  return {
    async copyInto(dir) {
      await fs.cp(codeDir, runCodeDir(dir), { recursive: true, filter: (path) => !SKIPPED.has(path.split(/[\\/]/).pop()!) });
      return {
        command: [...argv],
        command_code: relative(ws.root, codeDir).split('\\').join('/'),
        command_code_sha256: hashes,
        ...(interpreter ? { command_interpreter: interpreter } : {}),
        ...(git.git_commit ? { command_code_git_commit: git.git_commit, command_code_git_dirty: git.git_dirty ?? false } : {}),
      };
    },
  };
}

/** Time a worker needs after SIGTERM to stop its command (SIGKILL after `command.stop_grace_seconds`) and record the run as stopped. */
const WORKER_STOP_MARGIN_MS = 5_000;

/**
 * The SIGTERM → SIGKILL grace for the worker of a run: at least `base`; for a command run longer than
 * its command's grace, so the worker is never killed before it has stopped the command and written
 * `stopped` (killed first, the run would read as failed).
 */
export function workerStopGraceMs(config: FlatConfig, base: number): number {
  return isCommandRun(config) ? Math.max(base, config['command.stop_grace_seconds'] * 1000 + WORKER_STOP_MARGIN_MS) : base;
}

/** Re-run options of a command run: its own copy of the code, which must still match what it recorded. */
export function rerunCommandOptions(dir: string, provenance: Partial<Provenance>): CommandSource {
  return provenance.command_code_sha256 ? { codeSource: runCodeDir(dir), expectCodeHashes: provenance.command_code_sha256 } : {};
}

/**
 * The documented environment of a command (README, Command runs): the caller's environment plus where
 * the run's files are. PYTHONUNBUFFERED makes Python's prints reach the log as they happen instead of in
 * 8 KiB blocks; PYTHONDONTWRITEBYTECODE keeps the run's copy of its code as it was recorded (no
 * __pycache__ folders written into it).
 */
export function commandEnv(ws: Workspace, dir: string, config: FlatConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['EXPMAN_RESUME_FROM'];
  delete env['EXPMAN_RESULTS_DIR'];
  return {
    ...env,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    DATA: ws.root,
    EXPMAN_RUN_DIR: dir,
    EXPMAN_CONFIG: runFiles.config(dir),
    EXPMAN_DATASET_DIR: paths.datasetDir(ws, config['data.dataset']),
    EXPMAN_METRICS: runFiles.metrics(dir),
    EXPMAN_CHECKPOINT_DIR: runFiles.checkpoints(dir),
    ...extra,
  };
}
