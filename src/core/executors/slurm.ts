import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExpmanError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readEventTail } from '../runs/event-tail.js';
import { acquireRunLock, FOLLOW_LOCK_NAME, readLock } from '../runs/lock.js';
import { markEnded } from '../runs/stop.js';
import { readStatus, writeStatus } from '../training/run-store.js';
import { cliEntry, workerEnv } from '../training/supervisor.js';
import type { WorkerRuntime } from '../training/worker-runtime.js';
import { toolVersion } from '../version.js';
import { runFiles } from '../workspace.js';
import type { ExecutorInfo } from '../../shared/runs.js';
import { fileTail, IN_PLACE_ENV, writeExecutorRecord, type ExecEnd, type ExecHandle, type ExecState, type Executor, type LaunchRequest } from './executor.js';
import { lastMessage, runCommand, type CommandResult } from './run-command.js';
import { bringHome, markHeld, onRemote, remoteMirror, remoteOf, remotePaths, shipRun, type Remote, type SshOptions, type SshReach } from './ssh.js';
import type { SlurmTarget } from './targets.js';

/**
 * Runs the worker as a Slurm batch job. The job script (kept in the run folder as `slurm-job.sh`) runs
 * `expman train --resume <dir>` on a node that shares this file system, so the node writes the run
 * folder itself and every reader here sees its metrics.jsonl and status.json as for a local run. The
 * job is watched with `scontrol show job` (never sacct: no slurmdbd needed) and cancelled with scancel.
 *
 * Time limits and preemption: Slurm sends SIGTERM to the job's processes, and the worker stops after its
 * batch (status `stopped`, resumable). With `requeue = true` the job also asks for SIGUSR1 on its batch
 * shell `signal_before` seconds before the limit; the script then stops the worker the same way and
 * requeues the job, which resumes from the last complete checkpoint (`expman train --resume`).
 */
export const JOB_SCRIPT = 'slurm-job.sh';

/** Job states after which nothing of the job runs any more (REQUEUED, PREEMPTED-with-requeue come back). */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT']);
/** What scontrol says of a job it no longer knows. */
const UNKNOWN_JOB = /invalid job id|job \S+ not found/i;
const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED']);

export interface SlurmOptions {
  /** How often the job is looked at and metrics.jsonl read; default 1 s. */
  pollMs?: number;
  /** Environment of sbatch, squeue, scontrol and scancel (and so of the job: sbatch exports it). */
  env?: NodeJS.ProcessEnv;
  /** How the login node is reached, for a target with a submit `host`. */
  ssh?: SshOptions;
}

/**
 * A cluster submitted to on a login node over SSH (`host` set): sbatch/scontrol/scancel run on the login
 * node. Without this file system (`data` set too) the run is shipped to `data` there as for an SSH target,
 * and the run folder is mirrored back over the same connection (ssh.ts) and brought home when the job
 * ends. Without `data` the login node (and the nodes) share this file system at the same paths: nothing
 * is shipped, and the job writes the run folder here, read as for a local run.
 */
export interface LoginNode {
  /** `data` is the cluster's data folder; absent: this file system is shared. */
  reach: SshReach & { data?: string };
  remote: Remote;
}

export function loginNodeOf(target: SlurmTarget, options: SlurmOptions): LoginNode | undefined {
  if (!target.ssh) return undefined;
  const reach = { name: target.name, ssh: target.ssh, ...(target.data ? { data: target.data } : {}) };
  return { reach, remote: remoteOf(reach, options.ssh ?? {}) };
}

/** The login node of a cluster without this file system (runs are shipped to its `data`), else undefined. */
export function shippedTo(login: LoginNode | undefined): { reach: SshReach & { data: string }; remote: Remote } | undefined {
  const data = login?.reach.data;
  return login && data ? { reach: { ...login.reach, data }, remote: login.remote } : undefined;
}

/** A scheduler command (its words) on the login node, in a POSIX shell there; a missing command is exit 127. */
async function onLoginNode(login: LoginNode, words: string[], input?: string): Promise<CommandResult> {
  const line = words.map(shellQuote).join(' ');
  return onRemote(login.reach, login.remote, input === undefined ? line : `${line} <<'EXPMAN_JOB_SCRIPT'\n${input}EXPMAN_JOB_SCRIPT`);
}

/** The environment the scheduler commands get: the worker's allow-list, plus where the cluster's config is. */
export function schedulerEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = workerEnv({}, source);
  for (const key of ['SLURM_CONF', 'MODULEPATH', 'LOADEDMODULES']) if (source[key] !== undefined) env[key] = source[key];
  return env;
}

/** A word for a POSIX shell, quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command the job runs: the target's expman, else this machine's (a shared file system has both). */
export function workerCommand(target: SlurmTarget, runtime: WorkerRuntime, dir: string): string[] {
  // Without this file system, or submitted on a login node (another machine, whose nodes need not have this
  // Node.js where this machine has it), only the cluster's own expman can run the job.
  const expman = target.expman ?? (target.data || target.ssh ? ['expman'] : [runtime.node, cliEntry()]);
  const env = Object.entries(target.expman ? {} : runtime.env).map(([k, v]) => `${k}=${v}`);
  return [...(env.length ? ['env', ...env] : []), ...expman, 'train', '--resume', dir];
}

/**
 * The batch script. Paths (output file, working folder) are given on sbatch's command line, so the script
 * needs no quoting in `#SBATCH` lines. `trap ':' TERM` keeps the shell waiting for the worker, which gets
 * Slurm's SIGTERM itself and needs the moment to record its stop; a shell that forwarded it as well would
 * make it a second signal ("exit at once").
 *
 * With `dirs`, the script of a job array: task i trains `dirs[i]` (the last word of `command`, the run
 * folder, becomes the task's), moves there and appends its output to that run's
 * `logs/slurm-<array>_<task>.out` — one `--output` pattern cannot name a different folder per task.
 */
export function slurmJobScript(target: SlurmTarget, job: { name: string; command: string[]; dirs?: readonly string[] }): string {
  const options: string[] = [`--job-name=${job.name}`];
  if (target.partition) options.push(`--partition=${target.partition}`);
  if (target.account) options.push(`--account=${target.account}`);
  if (target.time) options.push(`--time=${target.time}`);
  if (target.cpus) options.push(`--cpus-per-task=${target.cpus}`);
  if (target.mem) options.push(`--mem=${target.mem}`);
  if (target.gres) options.push(`--gres=${target.gres}`);
  options.push(target.requeue ? '--requeue' : '--no-requeue');
  if (target.requeue) options.push(`--signal=B:USR1@${target.signal_before}`);
  options.push(...target.sbatch);
  const lines = [
    '#!/bin/bash',
    ...options.map((o) => `#SBATCH ${o}`),
    `# Written by expman ${toolVersion()} for target ${target.name}. The worker owns the run folder: it takes`,
    '# its lock, writes status.json and logs/metrics.jsonl, and resumes from the last checkpoint when requeued.',
    ...(job.dirs
      ? [
          '# One job array: task i trains the i-th run folder.',
          'run_dirs=(',
          ...job.dirs.map((d) => `  ${shellQuote(d)}`),
          ')',
          'run_dir=${run_dirs[${SLURM_ARRAY_TASK_ID:-none}]}',
          'if [ -z "$run_dir" ]; then echo "expman: no run folder for array task ${SLURM_ARRAY_TASK_ID:-(none)}" >&2; exit 2; fi',
          'cd "$run_dir" || exit 1',
          'exec >>"$run_dir/logs/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out" 2>&1',
        ]
      : []),
    ...target.modules.map((m) => `module load ${shellQuote(m)} || exit 1`),
    `echo "expman: Slurm job ${job.dirs ? '${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}' : '${SLURM_JOB_ID}'} on $(hostname), start $(( \${SLURM_RESTART_COUNT:-0} + 1 ))"`,
    'requeue=0',
    ...(target.requeue ? [`trap 'requeue=1; kill -TERM "$worker" 2>/dev/null' USR1`] : []),
    "trap ':' TERM",
    '# The worker trains the run folder where it is (it must not submit the run again).',
    `export ${IN_PLACE_ENV}=1`,
    `${(job.dirs ? [...job.command.slice(0, -1).map(shellQuote), '"$run_dir"'] : job.command.map(shellQuote)).join(' ')} &`,
    'worker=$!',
    'while kill -0 "$worker" 2>/dev/null; do wait "$worker"; done',
    'wait "$worker"; rc=$?',
    'if [ "$requeue" = 1 ]; then echo "expman: time limit near: requeued to resume from the last checkpoint"; scontrol requeue "$SLURM_JOB_ID"; fi',
    'exit $rc',
  ];
  return `${lines.join('\n')}\n`;
}

export interface SlurmJob {
  id: string;
  state: string;
  reason: string;
  node?: string;
  /** "3:0": exit code and signal, as Slurm writes them. */
  exitCode: string;
  restarts: number;
}

/** `scontrol show job -o` output: one line of Key=Value words. */
export function parseScontrolJob(text: string): SlurmJob | null {
  const fields = new Map<string, string>();
  for (const match of text.matchAll(/(?:^|\s)([A-Za-z][A-Za-z:/_]*)=(\S*)/g)) if (!fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  const state = fields.get('JobState');
  // A task of a job array is named as sbatch and scancel name it, `<array>_<task>`: a task still pending
  // is shown as the array's own record (JobId=<array>), one that started gets a JobId of its own.
  const task = fields.get('ArrayTaskId');
  const id = fields.get('ArrayJobId') && task && /^\d+$/.test(task) ? `${fields.get('ArrayJobId')}_${task}` : fields.get('JobId');
  if (!id || !state) return null;
  const node = fields.get('BatchHost') || fields.get('NodeList');
  return {
    id,
    state,
    reason: fields.get('Reason') ?? 'None',
    ...(node && node !== '(null)' ? { node } : {}),
    exitCode: fields.get('ExitCode') ?? '0:0',
    restarts: Number(fields.get('Restarts') ?? 0),
  };
}

/** Whether an `ArrayTaskId` of scontrol ("3", "2-5%2", "1,4-9:2%3") includes task `task`. */
export function arrayTaskSpecHas(spec: string, task: number): boolean {
  return spec
    .replace(/%\d+$/, '')
    .split(',')
    .some((part) => {
      const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
      if (!m) return false;
      const [low, high, step] = [Number(m[1]), m[2] === undefined ? Number(m[1]) : Number(m[2]), Number(m[3] ?? 1)];
      return task >= low && task <= high && (task - low) % step === 0;
    });
}

/**
 * Task `task` of array `arrayId` in `scontrol show job -o <array>` output (one line per record): its own
 * record once it has started, else the array's record of the tasks still pending, named as the task.
 */
export function arrayTaskOf(text: string, arrayId: string, task: number): SlurmJob | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const id = `${arrayId}_${task}`;
  for (const line of lines) {
    const job = parseScontrolJob(line);
    if (job?.id === id) return job;
  }
  for (const line of lines) {
    const spec = /(?:^|\s)ArrayTaskId=(\S+)/.exec(line)?.[1];
    const job = spec && !/^\d+$/.test(spec) && arrayTaskSpecHas(spec, task) ? parseScontrolJob(line) : null;
    if (job) return { ...job, id };
  }
  return null;
}

/**
 * The tasks of one array, looked at with one `scontrol show job -o <array>` per poll interval for all of
 * them: a sweep of 200 trials asks the controller once a second, not 200 times.
 */
function arrayTasks(arrayId: string, env: NodeJS.ProcessEnv, pollMs: number): (task: number) => Promise<SlurmJob | null> {
  let last: { at: number; text: Promise<string | null> } | undefined;
  const read = (): Promise<string | null> => {
    if (!last || Date.now() - last.at >= pollMs / 2) {
      const text = runCommand('scontrol', ['show', 'job', '-o', arrayId], { env, timeoutMs: 15_000 }).then((result) => {
        if (result.code === 0) return result.stdout;
        // Every task purged: the array is unknown.
        if (UNKNOWN_JOB.test(`${result.stderr}\n${result.stdout}`)) return null;
        throw new ExpmanError('TARGET_UNREACHABLE', `scontrol show job ${arrayId} failed: ${lastMessage(result)}`);
      });
      last = { at: Date.now(), text };
    }
    return last.text;
  };
  return async (task) => {
    const text = await read();
    return text === null ? null : arrayTaskOf(text, arrayId, task);
  };
}

/** A job as Slurm sees it now; null once it no longer knows it (purged after MinJobAge). */
export async function querySlurmJob(jobId: string, env: NodeJS.ProcessEnv): Promise<SlurmJob | null> {
  const result = await runCommand('scontrol', ['show', 'job', '-o', jobId], { env, timeoutMs: 15_000 });
  if (result.code !== 0) {
    // A purged job: "Invalid job id specified"; an array task cancelled before it started: "Job 7_3 not found"
    // (on stdout, exit 1).
    if (UNKNOWN_JOB.test(`${result.stderr}\n${result.stdout}`)) return null;
    throw new ExpmanError('TARGET_UNREACHABLE', `scontrol show job ${jobId} failed: ${lastMessage(result)}`);
  }
  return parseScontrolJob(result.stdout);
}

function describeJob(job: SlurmJob): ExecState {
  const phase: ExecState['phase'] = ENDED.has(job.state) ? 'ended' : PENDING.has(job.state) ? 'pending' : 'running';
  const why = phase === 'pending' && job.reason !== 'None' ? ` (${job.reason})` : '';
  const where = phase === 'running' && job.node ? ` on ${job.node}` : '';
  const exit = phase === 'ended' && job.exitCode !== '0:0' ? ` (exit ${job.exitCode})` : '';
  return { phase, detail: `Slurm job ${job.id} ${job.state}${why}${where}${exit}`, state: job.state, reason: job.reason, ...(job.node ? { node: job.node } : {}) };
}

function sbatchOutputArgs(dir: string): string[] {
  return [`--output=${join(runFiles.logs(dir), 'slurm-%j.out')}`, '--open-mode=append', `--chdir=${dir}`];
}

export function slurmExecutor(target: SlurmTarget, options: SlurmOptions = {}): Executor & { validate(runtime: WorkerRuntime): Promise<void> } {
  const env = options.env ?? schedulerEnv();
  const pollMs = options.pollMs ?? 1_000;

  const refuseUnsupported = (): void => {
    if (target.data && !target.ssh) {
      throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: a cluster without this file system (data = "${target.data}") is reached through its login node: set host (and user) too, or remove data when the nodes share this file system`, { key: `${target.name}.host` });
    }
  };
  const login = loginNodeOf(target, options);

  const executor = {
    kind: 'slurm' as const,

    /**
     * Asks sbatch whether it would take the job (`--test-only`: partition, account, limits), before a run
     * folder exists, so a refused job leaves the data folder unchanged.
     */
    async validate(runtime: WorkerRuntime): Promise<void> {
      refuseUnsupported();
      const script = slurmJobScript(target, { name: 'expman-check', command: workerCommand(target, runtime, '/nonexistent') });
      const result = login ? await onLoginNode(login, ['sbatch', '--test-only', '--output=/dev/null'], script) : await runCommand('sbatch', ['--test-only', '--output=/dev/null'], { env, input: script, timeoutMs: 30_000 });
      if (login && result.code === 127) throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: sbatch not found on ${login.remote.destination} (install Slurm's client commands there)`);
      if (result.spawnError) throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: sbatch not found on PATH (install Slurm's client commands)`);
      if (result.code !== 0) throw new ExpmanError('SUBMIT_REJECTED', `target ${target.name}: sbatch refused the job: ${lastMessage(result).replace(/^sbatch: error: /, '')}`);
    },

    async launch(request: LaunchRequest): Promise<ExecHandle> {
      refuseUnsupported();
      if (login) return launchOnLoginNode(target, login, request, pollMs);
      const { dir } = request;
      const experiment = basename(dirname(dirname(dir)));
      const name = `expman:${experiment}/${basename(dir)}`;
      await fs.mkdir(runFiles.logs(dir), { recursive: true });
      const scriptFile = join(dir, JOB_SCRIPT);
      await writeFileAtomic(scriptFile, slurmJobScript(target, { name, command: workerCommand(target, request.runtime, dir) }));
      await holdForScheduler(dir, target);
      const jobId = await submit(['--parsable', ...sbatchOutputArgs(dir), scriptFile], dir, [dir], scriptFile);
      const record: ExecutorInfo = { executor: 'slurm', target: target.name, host: hostname(), job_id: jobId, submitted: new Date().toISOString(), state: 'PENDING', expman_version: toolVersion() };
      await writeExecutorRecord(dir, record);
      request.onLog?.(`submitted Slurm job ${jobId} (target ${target.name})`);
      return watchSlurmJob(target, { dir, jobId, record, env, pollMs, request });
    },
  };

  /** sbatch with these arguments; the job id, or every run of the submission recorded failed with sbatch's refusal. */
  async function submit(args: string[], cwd: string, dirs: readonly string[], scriptFile: string): Promise<string> {
    const submitted = await runCommand('sbatch', args, { env, cwd, timeoutMs: 60_000 });
    const jobId = submitted.stdout.trim().split(';')[0] ?? '';
    if (submitted.code !== 0 || !/^\d+(_\d+)?$/.test(jobId)) {
      const message = submitted.spawnError ? `target ${target.name}: sbatch not found on PATH` : `target ${target.name}: sbatch refused the job: ${lastMessage(submitted).replace(/^sbatch: error: /, '')}`;
      for (const dir of dirs) await markEnded(dir, 'failed', message, { code: 'SUBMIT_REJECTED', message });
      throw new ExpmanError(submitted.spawnError ? 'TARGET_UNSUITABLE' : 'SUBMIT_REJECTED', message, { file: scriptFile });
    }
    return jobId;
  }

  /**
   * One job array for many runs (a sweep's trials): the same script, kept in every run folder, trains run
   * folder i in task i; `%limit` makes Slurm run at most `limit` tasks at once (a throttled task waits
   * with Reason JobArrayTaskLimit). Task i is job `<array>_i` for scontrol and scancel, so each run is
   * followed, stopped and re-attached exactly as a job of its own. Not over a login node: there each run
   * is shipped and submitted on its own (launch).
   */
  async function launchArray(requests: readonly LaunchRequest[], limit: number): Promise<ExecHandle[]> {
    refuseUnsupported();
    if (requests.length === 0) return [];
    const first = requests[0]!;
    // One script runs every task: one Node.js and environment for all (RunManager groups runs so).
    const command = workerCommand(target, first.runtime, first.dir);
    if (requests.some((r) => JSON.stringify(workerCommand(target, r.runtime, first.dir)) !== JSON.stringify(command))) {
      throw new Error(`target ${target.name}: the runs of one job array must share one worker runtime (runtime.node)`);
    }
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`job array limit ${limit}: expected an integer ≥ 1`);
    const dirs = requests.map((r) => r.dir);
    const experiment = basename(dirname(dirname(first.dir)));
    const name = `expman:${experiment}/${basename(first.dir)}${dirs.length > 1 ? `+${dirs.length - 1}` : ''}`;
    const script = slurmJobScript(target, { name, command, dirs });
    for (const dir of dirs) {
      await fs.mkdir(runFiles.logs(dir), { recursive: true });
      await writeFileAtomic(join(dir, JOB_SCRIPT), script);
    }
    for (const dir of dirs) await holdForScheduler(dir, target);
    const scriptFile = join(first.dir, JOB_SCRIPT);
    const cwd = dirname(first.dir);
    // Each task writes its own output into its run folder (the script's exec); the array's own goes nowhere.
    const arrayId = await submit(['--parsable', `--array=0-${dirs.length - 1}%${limit}`, '--output=/dev/null', `--chdir=${cwd}`, scriptFile], cwd, dirs, scriptFile);
    const submitted = new Date().toISOString();
    const tasks = arrayTasks(arrayId, env, pollMs);
    const handles: ExecHandle[] = [];
    for (const [i, request] of requests.entries()) {
      const jobId = `${arrayId}_${i}`;
      const record: ExecutorInfo = { executor: 'slurm', target: target.name, host: hostname(), job_id: jobId, submitted, state: 'PENDING', expman_version: toolVersion() };
      await writeExecutorRecord(request.dir, record);
      request.onLog?.(`submitted Slurm job array ${arrayId} (task ${i} of ${dirs.length}, at most ${limit} at once; target ${target.name})`);
      handles.push(watchSlurmJob(target, { dir: request.dir, jobId, record, env, pollMs, request, query: () => tasks(i) }));
    }
    return handles;
  }

  return login ? executor : { ...executor, launchArray };
}

/**
 * Marks a run as held by the scheduler before its job can start (after, its worker may already have
 * written `running`); under the run's lock, so a live writer is never overwritten.
 */
async function holdForScheduler(dir: string, target: SlurmTarget): Promise<void> {
  const lock = acquireRunLock(dir, { command: `submit to Slurm target ${target.name}` });
  try {
    const status = await readStatus(dir);
    // Only a queued run: `train --resume` starts a queued run from its snapshot, and a stopped one from its checkpoint.
    if (status?.status === 'queued') await writeStatus(dir, { ...status, executor: 'slurm', updated: new Date().toISOString() });
  } finally {
    lock.release();
  }
}

/**
 * Ships the run to the cluster's data folder (on a shared file system: nothing to ship), submits its job
 * script there on the login node and follows it over SSH (see LoginNode). The script is written here
 * first, so the run folder keeps it.
 */
async function launchOnLoginNode(target: SlurmTarget, login: LoginNode, request: LaunchRequest, pollMs: number): Promise<ExecHandle> {
  const { dir } = request;
  const cluster = shippedTo(login);
  // On a shared file system the job runs the folder where it is.
  const rdir = cluster ? remotePaths(cluster.reach, dir).dir : dir;
  const experiment = basename(dirname(dirname(dir)));
  await fs.mkdir(runFiles.logs(dir), { recursive: true });
  const scriptFile = join(dir, JOB_SCRIPT);
  await writeFileAtomic(scriptFile, slurmJobScript(target, { name: `expman:${experiment}/${basename(dir)}`, command: workerCommand(target, request.runtime, rdir) }));
  if (cluster) await shipRun(cluster.reach, cluster.remote, dir, 'slurm');
  else await markHeld(dir, 'slurm', `submit to Slurm target ${target.name} on ${login.remote.destination}`);
  const expman = (target.expman ?? ['expman']).map(shellQuote).join(' ');
  const submitted = await onRemote(
    login.reach,
    login.remote,
    `echo "expman $(${expman} --version 2>&1 | tail -n 1)"; ${['sbatch', '--parsable', ...sbatchOutputArgs(rdir), `${rdir}/${JOB_SCRIPT}`].map(shellQuote).join(' ')}`,
  );
  const version = /^expman (\d+\.\d+\.\d+\S*)$/m.exec(submitted.stdout)?.[1];
  const jobId = submitted.stdout.trim().split('\n').at(-1)?.split(';')[0] ?? '';
  if (submitted.code !== 0 || !/^\d+(_\d+)?$/.test(jobId)) {
    const message = submitted.code === 127 ? `target ${target.name}: sbatch not found on ${login.remote.destination}` : `target ${target.name}: sbatch refused the job: ${lastMessage(submitted).replace(/^sbatch: error: /, '')}`;
    await markEnded(dir, 'failed', message, { code: 'SUBMIT_REJECTED', message });
    throw new ExpmanError(submitted.code === 127 ? 'TARGET_UNSUITABLE' : 'SUBMIT_REJECTED', message, { file: scriptFile });
  }
  const record: ExecutorInfo = { executor: 'slurm', target: target.name, host: target.ssh!.host, job_id: jobId, submitted: new Date().toISOString(), state: 'PENDING', ...(version ? { expman_version: version } : {}) };
  await writeExecutorRecord(dir, record);
  request.onLog?.(`submitted Slurm job ${jobId} on ${login.remote.destination} (target ${target.name})`);
  return watchSlurmJob(target, { dir, jobId, record, env: {}, pollMs, request, login });
}

/**
 * Follows a submitted job until it ends: its state (and PENDING's reason) into `executor.json` and
 * onState, new metrics.jsonl lines into onEvent; at the end, what the worker could not record (it never
 * started, was killed, the node failed) into status.json, with the tail of the job's output. Also what
 * re-attaching to a job after a restart uses.
 */
export function watchSlurmJob(
  target: SlurmTarget,
  job: {
    dir: string;
    jobId: string;
    record: ExecutorInfo;
    env: NodeJS.ProcessEnv;
    pollMs: number;
    request: Pick<LaunchRequest, 'onEvent' | 'onLog' | 'onState'>;
    login?: LoginNode;
    /** How the job is looked at, when not with its own `scontrol show job` (the tasks of one array share one). */
    query?: () => Promise<SlurmJob | null>;
  },
): ExecHandle {
  const { dir, jobId, env, request, login } = job;
  // Through a login node without this file system, one SSH trip per poll mirrors the run folder and asks
  // scontrol about the job; with it, the trip asks scontrol only, and the run folder is read here.
  const cluster = shippedTo(login);
  const rdir = cluster ? remotePaths(cluster.reach, dir).dir : '';
  const mirror = cluster ? remoteMirror(cluster.reach, cluster.remote, dir, rdir, request) : undefined;
  // The mirror writes this folder: one follower per run on this machine (see FOLLOW_LOCK_NAME).
  const follower = cluster ? acquireRunLock(dir, { name: FOLLOW_LOCK_NAME, command: `following Slurm job ${jobId} on ${cluster.remote.destination}`, refusal: 'cannot follow' }) : undefined;
  const query = async (): Promise<SlurmJob | null> => {
    if (job.query) return job.query();
    if (!login) return querySlurmJob(jobId, env);
    const out = mirror ? await mirror.poll(`scontrol show job -o ${shellQuote(jobId)} 2>&1`) : await onLoginNode(login, ['scontrol', 'show', 'job', '-o', jobId]).then((r) => `${r.stdout}${r.stderr}`.trim());
    if (UNKNOWN_JOB.test(out)) return null;
    const parsed = parseScontrolJob(out);
    if (!parsed) throw new ExpmanError('TARGET_UNREACHABLE', `scontrol show job ${jobId} on ${login.remote.destination} failed: ${out.split('\n').at(-1) ?? ''}`);
    return parsed;
  };
  let record = job.record;
  let stopRequested = false;
  let last: SlurmJob | null = null;
  let lastDetail = '';
  let offset = 0;
  const output = join(runFiles.logs(dir), `slurm-${jobId}.out`);

  const readEvents = async (): Promise<void> => {
    // Through a login node the mirror has passed them on already.
    if (mirror) return;
    const tail = await readEventTail(runFiles.metrics(dir), offset);
    if (!tail) return;
    offset = tail.offset;
    for (const event of tail.events) request.onEvent?.(event);
  };

  /** Looks at the job; a change of state is recorded, and told (onState) by `tell` once the events before it are read. */
  let untold: ExecState | null = null;
  const tell = (): void => {
    if (untold) request.onState?.(untold);
    untold = null;
  };
  const observe = async (): Promise<SlurmJob | null> => {
    let seen: SlurmJob | null;
    try {
      seen = await query();
    } catch (error) {
      // The controller restarting or briefly unreachable: keep the last state and look again.
      request.onLog?.(error instanceof Error ? error.message : String(error));
      return last;
    }
    if (seen) {
      const state = describeJob(seen);
      if (state.detail !== lastDetail) {
        lastDetail = state.detail;
        record = { ...record, state: seen.state, reason: seen.reason, restarts: seen.restarts, ...(seen.node ? { node: seen.node } : {}) };
        await writeExecutorRecord(dir, record).catch(() => undefined);
        untold = state;
      }
    }
    last = seen;
    return seen;
  };

  const ended = (async (): Promise<ExecEnd> => {
    // Events already in metrics.jsonl (a resumed run's history) are not this launch's.
    offset = (await fs.stat(runFiles.metrics(dir)).catch(() => ({ size: 0 }))).size;
    let seen = await observe();
    let unknownSince: number | null = null;
    for (;;) {
      await readEvents();
      tell();
      if (seen && ENDED.has(seen.state)) break;
      if (!seen) {
        // Cancelled as asked: a pending array task is forgotten at once ("Job 7_3 not found").
        if (stopRequested && lastDetail !== '') break;
        // Unknown at once after sbatch (a controller that has not answered yet) is not an end; unknown
        // for a while is a job purged after it ended.
        unknownSince ??= Date.now();
        if (Date.now() - unknownSince > Math.max(5 * job.pollMs, 5_000)) break;
      } else unknownSince = null;
      await sleep(job.pollMs);
      seen = await observe();
    }
    await readEvents();
    if (!seen && stopRequested && record.state !== 'CANCELLED') {
      // Cancelled before it started and forgotten at once (a pending array task): its last word was PENDING.
      record = { ...record, state: 'CANCELLED', reason: 'None' };
      await writeExecutorRecord(dir, record).catch(() => undefined);
    }
    try {
      if (cluster && mirror) {
        // The job's files (checkpoints, best model, its output) come home before the end is settled here.
        await mirror.poll('true').catch(() => undefined);
        await bringHome(cluster.reach, cluster.remote, dir, rdir, request);
      }
      return await settle(dir, jobId, seen, stopRequested, output);
    } finally {
      follower?.release();
    }
  })();

  const scancel = (args: string[]): void => {
    const cancelled = login ? onLoginNode(login, ['scancel', ...args, jobId]) : runCommand('scancel', [...args, jobId], { env, timeoutMs: 30_000 });
    void cancelled.then(
      (result) => {
        if (result.code !== 0) request.onLog?.(`scancel ${jobId}: ${lastMessage(result)}`);
      },
      (error: unknown) => request.onLog?.(`scancel ${jobId}: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  return {
    jobId,
    async state(): Promise<ExecState> {
      const seen = await observe();
      tell();
      return seen ? describeJob(seen) : { phase: 'ended', detail: `Slurm job ${jobId} (no longer known to Slurm)` };
    },
    stop: () => {
      stopRequested = true;
      // Plain scancel: SIGTERM to every process of the job (the worker stops after its batch), SIGKILL after KillWait.
      scancel([]);
    },
    kill: () => {
      stopRequested = true;
      scancel(['--full', '--signal=KILL']);
      scancel([]);
    },
    ended,
  };
}

/** Records in the run folder how the job ended when its worker could not, and says how the run ended. */
async function settle(dir: string, jobId: string, job: SlurmJob | null, stopRequested: boolean, output: string): Promise<ExecEnd> {
  const how = job ? `Slurm job ${jobId} ended ${job.state} (exit ${job.exitCode})${job.node ? ` on ${job.node}` : ''}` : `Slurm job ${jobId} is no longer known to Slurm`;
  const [code, signal] = (job?.exitCode ?? '0:0').split(':').map(Number) as [number, number];
  const exit = { code: job ? code : null, signal: signal ? `signal ${signal}` : null };
  const tail = await fileTail(output);
  // The job has ended, so its processes are gone: a lock its worker left on the node (another host, which
  // this machine cannot check) says nothing any more, and would keep the end from being recorded.
  const lock = readLock(dir);
  if (job && ENDED.has(job.state) && lock && lock.host !== hostname()) await fs.rm(join(dir, 'lock.json'), { force: true });
  const cancelled = stopRequested || job?.state === 'CANCELLED';
  if (cancelled) {
    await markEnded(dir, 'stopped', `${how}: cancelled before the worker recorded its stop`);
  } else {
    // Changes only a run still open (the worker never started, was killed, its node failed), or adds the
    // output tail to a failure the worker recorded without one.
    const last = tail.findLast((l) => !/^\s*at /.test(l)) ?? '';
    const message = `${how}${last ? `: ${last.trim()}` : ''}`;
    await markEnded(dir, 'failed', message, { code: 'WORKER_FAILED', message, stderr_tail: tail });
  }
  const status = await readStatus(dir);
  const state: ExecEnd['state'] = status?.status === 'finished' ? 'finished' : status?.status === 'stopped' ? 'stopped' : 'failed';
  return { state, ...exit, ...(state === 'failed' && status?.error ? { error: status.error } : {}) };
}
