import { ExpmanError } from '../errors.js';
import type { FlatConfig } from '../config/schema.js';
import type { WorkerRuntime } from '../training/worker-runtime.js';
import type { Workspace } from '../workspace.js';
import { readExecutorRecord, type ExecHandle, type Executor, type LaunchRequest } from './executor.js';
import { localExecutor } from './local.js';
import { loginNodeOf, schedulerEnv, slurmExecutor, watchSlurmJob, type SlurmOptions } from './slurm.js';
import { sshExecutor, watchSshRun, type SshOptions } from './ssh.js';
import { loadTarget, type Target } from './targets.js';

/** The executor a run's config asks for, checked before its folder exists. */
export interface Placement {
  executor: Executor;
  target?: Target;
  /** Whether the place would take the run (sbatch --test-only …); throws its one-line refusal. */
  validate(runtime: WorkerRuntime): Promise<void>;
}

export interface PlacementOptions {
  slurm?: SlurmOptions;
  ssh?: SshOptions;
}

/** `runtime.executor` + `runtime.target` → the executor; an unknown or mismatched target is a config error. */
export async function placeRun(ws: Workspace, config: Pick<FlatConfig, 'runtime.executor' | 'runtime.target'>, options: PlacementOptions = {}): Promise<Placement> {
  const kind = config['runtime.executor'];
  const name = config['runtime.target'];
  if (kind === 'local') {
    if (name) throw new ExpmanError('CONFIG_INVALID', `runtime.target = ${JSON.stringify(name)} needs runtime.executor = "ssh" or "slurm" (it is "local")`, { key: 'runtime.target' });
    return { executor: localExecutor, validate: () => Promise.resolve() };
  }
  if (!name) throw new ExpmanError('CONFIG_INVALID', `runtime.executor = "${kind}" needs runtime.target: the name of a target in targets.toml`, { key: 'runtime.target' });
  const target = await loadTarget(ws, name);
  if (target.executor !== kind) {
    throw new ExpmanError('CONFIG_INVALID', `runtime.target = ${JSON.stringify(name)} is an ${target.executor} target, but runtime.executor = "${kind}"`, { key: 'runtime.executor' });
  }
  if (target.executor === 'ssh') {
    const ssh = sshExecutor(target, options.ssh);
    return { executor: ssh, target, validate: async () => void (await ssh.validate()) };
  }
  const slurm = slurmExecutor(target, options.slurm);
  return { executor: slurm, target, validate: (runtime) => slurm.validate(runtime) };
}

/**
 * Follows again a run that executes (or executed) on a target, from its `executor.json`: after the
 * process that launched it went away (the app restarted, the connection dropped for good). New events are
 * read from where this machine's copy of metrics.jsonl ends; an ended run is settled and brought home.
 */
export async function attachRun(ws: Workspace, dir: string, request: Pick<LaunchRequest, 'onEvent' | 'onLog' | 'onState'>, options: PlacementOptions = {}): Promise<ExecHandle> {
  const record = await readExecutorRecord(dir);
  if (!record?.job_id) throw new ExpmanError('RUN_NOT_LIVE', `run ${dir} was not started on a target (no executor.json with a job): nothing to attach to`, { file: dir });
  const target = await loadTarget(ws, record.target, 'target');
  if (target.executor !== record.executor) {
    throw new ExpmanError('CONFIG_INVALID', `target ${record.target} is now an ${target.executor} target; the run was started on it as ${record.executor}`, { key: 'target' });
  }
  if (target.executor === 'slurm') {
    const login = loginNodeOf(target, options.slurm ?? {});
    return watchSlurmJob(target, { dir, jobId: record.job_id, record, env: options.slurm?.env ?? schedulerEnv(), pollMs: options.slurm?.pollMs ?? 1_000, request, ...(login ? { login } : {}) });
  }
  return watchSshRun(target, { dir, record, pollMs: options.ssh?.pollMs ?? 1_000, options: options.ssh ?? {}, request });
}
