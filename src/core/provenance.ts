import { execFileSync } from 'node:child_process';
import { hostname, platform, arch } from 'node:os';
import { packageRoot, toolVersion } from './version.js';

export interface Provenance {
  created: string;
  tool_version: string;
  git_commit?: string;
  git_dirty?: boolean;
  node_version: string;
  tfjs_version: string;
  backend: string;
  backend_version: string;
  device: string;
  host: string;
  platform: string;
  dataset: string;
  dataset_hashes: Record<string, string>;
  seed: number;
  command_line: string[];
  /** Where each non-default value came from: "training.epochs = config file experiments/x/config.toml:7". */
  config_sources: string[];
  rerun_of?: string;
  /** Model modules: the file the run's copy (model-module.mjs) came from, relative to $DATA, and its sha256. */
  model_module_source?: string;
  model_module_sha256?: string;
  /** Runs of a sweep: the sweep (`<experiment>/sweeps/<name>`'s name) and the trial number in it. */
  sweep?: string;
  sweep_trial?: number;
  /** Command runs: the command (argument array), its code folder relative to $DATA, the sha256 of each of its files, the interpreter (`python3 --version`) and the git state of the repository holding the code. */
  command?: string[];
  command_code?: string;
  command_code_sha256?: Record<string, string>;
  command_interpreter?: string;
  command_code_git_commit?: string;
  command_code_git_dirty?: boolean;
}

/** The commit and dirty state of the git checkout expman runs from, when it runs from one. */
export function gitState(cwd = packageRoot()): { git_commit?: string; git_dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim().length > 0;
    return { git_commit: commit, git_dirty: dirty };
  } catch {
    return {};
  }
}

export function baseProvenance(): Pick<Provenance, 'created' | 'tool_version' | 'node_version' | 'host' | 'platform' | 'git_commit' | 'git_dirty'> {
  return {
    created: new Date().toISOString(),
    tool_version: toolVersion(),
    ...gitState(),
    node_version: process.version,
    host: hostname(),
    platform: `${platform()}-${arch()}`,
  };
}
