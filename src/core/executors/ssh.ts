import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExpmanError } from '../errors.js';
import { TEMP_PREFIX, writeFileAtomic } from '../fs/atomic.js';
import { acquireRunLock, FOLLOW_LOCK_NAME } from '../runs/lock.js';
import { markEnded } from '../runs/stop.js';
import { sshCommand } from '../sync/rsync-args.js';
import { readRunConfig } from '../training/run-folder.js';
import { readEvents, readStatus, writeStatus, type StatusFile } from '../training/run-store.js';
import { toolVersion } from '../version.js';
import { paths, runFiles, workspace } from '../workspace.js';
import type { RunEvent } from '../../shared/run-events.js';
import type { ExecutorInfo } from '../../shared/runs.js';
import { EXECUTOR_RECORD, fileTail, IN_PLACE_ENV, writeExecutorRecord, type ExecEnd, type ExecHandle, type ExecState, type Executor, type LaunchRequest } from './executor.js';
import { lastMessage, runCommand, type CommandResult } from './run-command.js';
import { shellQuote } from './slurm.js';
import { splitCommand, type SshTarget } from './targets.js';

/**
 * Runs the worker on another host over SSH. What the run needs — its folder (config snapshot, model
 * module copy, checkpoints to resume from) and its prepared dataset — is shipped with rsync to the same
 * places under the target's data folder; the worker is started there detached (`setsid`, output to
 * `logs/worker.out`), so it survives the connection. This machine then polls it over SSH: new lines of the
 * remote metrics.jsonl (from the byte offset the local copy has reached, so a dropped connection or a
 * restarted app re-attaches where it left off) are appended to the local metrics.jsonl and passed on, and
 * status.json is mirrored. When the worker has exited, the run folder comes back with rsync.
 */
export interface SshOptions {
  /** How often the remote run is read; default 1 s. */
  pollMs?: number;
  /** The whole ssh command line (as EXPMAN_SSH_COMMAND for sync); default: ssh with the target's port and identity. */
  sshCommand?: string;
}

const WORKER_OUTPUT = join('logs', 'worker.out');
const MARK_STATUS = '@@expman-status@@';
const MARK_LOCK = '@@expman-lock@@';
const MARK_ALIVE = '@@expman-alive@@';

/** A target reached over SSH: an SSH target, or a Slurm target whose submit host is a login node. */
export interface SshReach {
  name: string;
  ssh: SshTarget['ssh'];
}

export interface Remote {
  /** ssh's argv up to the destination, which follows. */
  ssh: string[];
  /** The same for rsync -e. */
  rsyncShell: string;
  destination: string;
}

/**
 * One SSH connection shared by the polls, rsync and signals of a run (OpenSSH multiplexing): a login per
 * poll would cost a key exchange a second. The master closes itself after a few idle seconds. Its socket
 * is named by the whole ssh command line too (%C is host, port and user only), so a target with another
 * identity never rides on a connection that a different key opened.
 */
function multiplexing(base: string): string {
  const dir = join(tmpdir(), `expman-ssh-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha256').update(base).digest('hex').slice(0, 12);
  return `-o ControlMaster=auto -o ControlPath=${dir}/${id}-%C -o ControlPersist=5`;
}

export function remoteOf(target: SshReach, options: SshOptions): Remote {
  const base = options.sshCommand ?? process.env['EXPMAN_SSH_COMMAND'] ?? sshCommand({ ...(target.ssh.port ? { port: target.ssh.port } : {}), ...(target.ssh.identity ? { key: target.ssh.identity } : {}) });
  const line = process.platform === 'win32' ? base : `${base} ${multiplexing(base)}`;
  const ssh = splitCommand(line);
  if (!ssh?.length) throw new ExpmanError('CONFIG_INVALID', `the ssh command ${JSON.stringify(line)} is not a command line`, { key: 'EXPMAN_SSH_COMMAND' });
  return { ssh, rsyncShell: line, destination: target.ssh.user ? `${target.ssh.user}@${target.ssh.host}` : target.ssh.host };
}

export async function onRemote(target: SshReach, remote: Remote, script: string, timeoutMs = 60_000): Promise<CommandResult> {
  const result = await runCommand(remote.ssh[0]!, [...remote.ssh.slice(1), remote.destination, '--', script], { timeoutMs });
  if (result.spawnError) throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: ssh not found on PATH (${result.spawnError})`);
  // 255: ssh's own failure (unreachable, refused, authentication); anything else is the remote command's.
  if (result.code === 255 || result.timedOut) throw new ExpmanError('TARGET_UNREACHABLE', `target ${target.name}: cannot reach ${remote.destination} over SSH: ${lastMessage(result)}`);
  return result;
}

/** The run folder's place on the target: the same path under its data folder. */
export function remotePaths(target: { data: string }, dir: string): { root: string; rel: string; dir: string } {
  const root = dirname(dirname(dirname(dirname(dir))));
  const rel = relative(root, dir);
  return { root, rel, dir: `${target.data.replace(/\/+$/, '')}/${rel}` };
}

export async function rsync(args: string[], cwd?: string): Promise<CommandResult> {
  return runCommand('rsync', ['-a', `--exclude=${TEMP_PREFIX}*`, '--exclude=lock.json', `--exclude=${FOLLOW_LOCK_NAME}`, ...args], { ...(cwd ? { cwd } : {}), timeoutMs: 30 * 60_000 });
}

/** rsync's own first complaint ("rsync: [sender] change_dir … failed: …") says more than its summary line. */
export function rsyncMessage(result: CommandResult): string {
  return result.stderr.split('\n').find((l) => l.startsWith('rsync: ') || l.startsWith('ssh: '))?.trim() ?? lastMessage(result);
}

/** A remote shell's `echo "expman $(expman --version | tail -n 1)"`: the version, checked against this one's major. */
export function remoteExpmanVersion(target: { name: string; expman?: string[] }, remote: Remote, result: CommandResult): string {
  const out = result.stdout.trim().split('\n').at(-1) ?? '';
  const version = /^expman (\d+\.\d+\.\d+\S*)$/.exec(out)?.[1];
  if (!version) throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: expman does not run on ${remote.destination} (${(target.expman ?? ['expman']).join(' ')}): ${out.replace(/^expman /, '') || lastMessage(result)}`, { key: `${target.name}.expman` });
  if (version.split('.')[0] !== toolVersion().split('.')[0]) {
    throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: expman ${version} on ${remote.destination}, ${toolVersion()} here: the major versions differ`, { key: `${target.name}.expman` });
  }
  return version;
}

export function expmanWords(target: { expman?: string[] }): string {
  return (target.expman ?? ['expman']).map(shellQuote).join(' ');
}

export function sshExecutor(target: SshTarget, options: SshOptions = {}): Executor & { validate(): Promise<string> } {
  const pollMs = options.pollMs ?? 1_000;
  const validate = async (): Promise<string> => {
    const remote = remoteOf(target, options);
    const data = shellQuote(target.data);
    const result = await onRemote(
      target,
      remote,
      `mkdir -p ${data} 2>/dev/null; test -w ${data} || { echo "not-writable"; exit 0; }; command -v rsync >/dev/null || { echo "no-rsync"; exit 0; }; echo "expman $(${expmanWords(target)} --version 2>&1 | tail -n 1)"`,
    );
    const out = result.stdout.trim();
    if (out === 'not-writable') throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: the data folder ${target.data} on ${remote.destination} is not writable`, { key: `${target.name}.data` });
    if (out === 'no-rsync') throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: rsync is not installed on ${remote.destination}`);
    return remoteExpmanVersion(target, remote, result);
  };

  return {
    kind: 'ssh',
    validate,
    async launch(request: LaunchRequest): Promise<ExecHandle> {
      const remote = remoteOf(target, options);
      const version = await validate();
      const { dir } = request;
      const where = await shipRun(target, remote, dir, 'ssh');
      const rdir = shellQuote(where.dir);
      const started = await onRemote(
        target,
        remote,
        `cd ${rdir} && mkdir -p logs && { ${IN_PLACE_ENV}=1 setsid ${expmanWords(target)} train --resume ${rdir} >> ${shellQuote(WORKER_OUTPUT)} 2>&1 < /dev/null & echo "pid $!"; }`,
      );
      const pid = /^pid (\d+)$/m.exec(started.stdout)?.[1];
      if (started.code !== 0 || !pid) {
        const message = `target ${target.name}: the worker did not start on ${remote.destination}: ${lastMessage(started)}`;
        await markEnded(dir, 'failed', message, { code: 'WORKER_FAILED', message });
        throw new ExpmanError('WORKER_FAILED', message);
      }
      const record: ExecutorInfo = { executor: 'ssh', target: target.name, host: target.ssh.host, job_id: pid, submitted: new Date().toISOString(), state: 'RUNNING', expman_version: version };
      await writeExecutorRecord(dir, record);
      request.onLog?.(`started on ${remote.destination} (target ${target.name}, pid ${pid})`);
      return watchSshRun(target, { dir, record, pollMs, options, request });
    },
  };
}

/**
 * Ships what a run needs to the target's data folder (its dataset and its own folder, nothing else), after
 * marking a queued run as held there; a failure is recorded in the run and thrown. Where it went.
 */
export async function shipRun(target: SshReach & { data: string }, remote: Remote, dir: string, kind: 'ssh' | 'slurm'): Promise<{ root: string; rel: string; dir: string }> {
  await markHeld(dir, kind, `start on ${kind} target ${target.name}`);
  try {
    return await shipFiles(target, remote, dir);
  } catch (error) {
    if (error instanceof ExpmanError) await markEnded(dir, 'failed', error.message, { code: error.code, message: error.message });
    throw error;
  }
}

/**
 * Marks a queued run as held by an executor before its worker can start elsewhere (after, the worker may
 * already have written `running`); under the run's lock, so a live writer is never overwritten. A stopped
 * run stays as it is: `train --resume` continues it from its checkpoint.
 */
export async function markHeld(dir: string, kind: 'ssh' | 'slurm', command: string): Promise<void> {
  const lock = acquireRunLock(dir, { command });
  try {
    const status = await readStatus(dir);
    if (status?.status === 'queued') await writeStatus(dir, { ...status, executor: kind, updated: new Date().toISOString() });
  } finally {
    lock.release();
  }
}

/**
 * Copies a run folder and its dataset to the same places under the target's data folder (rsync: only
 * what changed); a run already there (stopped, finished) gets what this machine has that it lacks.
 */
export async function shipFiles(target: SshReach & { data: string }, remote: Remote, dir: string): Promise<{ root: string; rel: string; dir: string }> {
  const where = remotePaths(target, dir);
  const { config } = await readRunConfig(dir);
  const datasetDir = paths.datasetDir(workspace(where.root), config.values['data.dataset']);
  const dataset = relative(where.root, datasetDir);
  if (!(await fs.stat(datasetDir).catch(() => null))?.isDirectory()) {
    throw new ExpmanError('DATASET_MISSING', `dataset ${config.values['data.dataset']} is not in ${dirname(datasetDir)}: the run needs it on target ${target.name}`, { key: 'data.dataset' });
  }
  // Only what the run needs: its dataset and its own folder (--relative keeps the paths under data).
  // executor.json is this machine's record of the run's place (the worker's pid, the job): never theirs.
  const shipped = await rsync(['--relative', `--exclude=/${where.rel}/${EXECUTOR_RECORD}`, '-e', remote.rsyncShell, `./${dataset}/`, `./${where.rel}/`, `${remote.destination}:${target.data}/`], where.root);
  if (shipped.code !== 0) throw new ExpmanError('TARGET_UNREACHABLE', `target ${target.name}: shipping the run to ${remote.destination}:${target.data} failed: ${rsyncMessage(shipped)}`);
  return where;
}

/**
 * Follows a run started on an SSH target from what this machine has of it (the local metrics.jsonl's
 * size is the offset to read on from): used right after the start, and to re-attach after a dropped
 * connection or a restart. `detach` stops following without touching the run.
 */
export function watchSshRun(
  target: SshTarget,
  run: { dir: string; record: ExecutorInfo; pollMs: number; options: SshOptions; request: Pick<LaunchRequest, 'onEvent' | 'onLog' | 'onState'> },
): ExecHandle & { detach(): void } {
  const { dir, request } = run;
  const remote = remoteOf(target, run.options);
  const where = remotePaths(target, dir);
  const pid = run.record.job_id!;
  const detail = `pid ${pid} on ${target.ssh.host} (target ${target.name})`;
  // One follower per run on this machine: refused (RUN_LOCKED) while another process follows it.
  const follower = acquireRunLock(dir, { name: FOLLOW_LOCK_NAME, command: `following ${detail}`, refusal: 'cannot follow' });
  let stopRequested = false;
  let detached = false;
  let alive = true;
  const mirror = remoteMirror(target, remote, dir, where.dir, request);
  const poll = async (): Promise<boolean> => (await mirror.poll(`kill -0 ${pid} 2>/dev/null && echo yes || echo no`)) === 'yes';

  const ended = (async (): Promise<ExecEnd> => {
    request.onState?.({ phase: 'running', detail });
    let failures = 0;
    while (!detached) {
      try {
        alive = await poll();
        failures = 0;
      } catch (error) {
        // A dropped connection: the run goes on there; read on from the same offset once it is back.
        if (failures++ === 0) request.onLog?.(error instanceof Error ? error.message : String(error));
      }
      if (!alive) break;
      await sleep(run.pollMs);
    }
    if (detached) return new Promise<ExecEnd>(() => undefined);
    await poll().catch(() => false);
    try {
      return await collect(target, remote, dir, where.dir, stopRequested, request);
    } finally {
      follower.release();
    }
  })();

  const signal = (name: 'TERM' | 'KILL'): void => {
    stopRequested = true;
    void onRemote(target, remote, `kill -${name} ${pid}`).catch((error: unknown) => request.onLog?.(error instanceof Error ? error.message : String(error)));
  };
  return {
    jobId: pid,
    state: (): Promise<ExecState> => Promise.resolve({ phase: alive ? 'running' : 'ended', detail }),
    stop: () => signal('TERM'),
    kill: () => signal('KILL'),
    detach: () => {
      detached = true;
      follower.release();
    },
    ended,
  };
}

/**
 * Mirrors a run folder on a target into this data folder, one SSH round trip per poll: the new lines of
 * its metrics.jsonl (from the byte offset the local copy has reached, so a dropped connection or a
 * restarted app reads on where it left off) are appended here and passed on, status.json and the writer's
 * lock are copied. `probe` is a shell command run in the same trip (is the worker, or the job, alive);
 * poll answers its output.
 */
export function remoteMirror(target: SshReach, remote: Remote, dir: string, remoteDir: string, request: Pick<LaunchRequest, 'onEvent'>): { poll(probe: string): Promise<string> } {
  let lastStatus = '';
  let lastLock = '';

  const poll = async (probe: string): Promise<string> => {
    const offset = (await fs.stat(runFiles.metrics(dir)).catch(() => ({ size: 0 }))).size;
    const rdir = shellQuote(remoteDir);
    const result = await onRemote(
      target,
      remote,
      `f=${rdir}/logs/metrics.jsonl; [ -f "$f" ] && tail -c +${offset + 1} "$f"; printf '%s\\n' '${MARK_STATUS}'; cat ${rdir}/status.json 2>/dev/null; printf '%s\\n' '${MARK_LOCK}'; cat ${rdir}/lock.json 2>/dev/null; printf '%s\\n' '${MARK_ALIVE}'; ${probe}`,
    );
    const text = result.stdout;
    const statusAt = text.lastIndexOf(MARK_STATUS);
    const lockAt = text.lastIndexOf(MARK_LOCK);
    const aliveAt = text.lastIndexOf(MARK_ALIVE);
    if (statusAt < 0 || lockAt < statusAt || aliveAt < lockAt) throw new ExpmanError('TARGET_UNREACHABLE', `target ${target.name}: unexpected answer from ${remote.destination}: ${lastMessage(result)}`);
    const chunk = text.slice(0, statusAt);
    // Passed on once status.json and the lock are mirrored too: whoever hears an event reads a folder that has it.
    const events: RunEvent[] = [];
    const complete = chunk.slice(0, chunk.lastIndexOf('\n') + 1);
    if (complete) {
      // The local copy grows by exactly the bytes read: its size is where the next read (or re-attach) starts.
      appendFileSync(runFiles.metrics(dir), complete);
      for (const line of complete.split('\n')) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line) as RunEvent);
        } catch {
          // a torn line; the file keeps it as the worker wrote it
        }
      }
    }
    const status = text.slice(statusAt + MARK_STATUS.length + 1, lockAt).trim();
    if (status && status !== lastStatus) {
      try {
        const parsed = JSON.parse(status) as StatusFile;
        lastStatus = status;
        await writeFileAtomic(runFiles.status(dir), `${JSON.stringify(parsed, null, 2)}\n`);
      } catch {
        // written half-way there (it is written atomically, so only a copy cut by the connection): next poll
      }
    }
    // The remote writer's lock, mirrored: readers here see who writes the run (elsewhere: its host), and
    // Resume here is refused while it runs there.
    const lock = text.slice(lockAt + MARK_LOCK.length + 1, aliveAt).trim();
    if (lock !== lastLock) {
      lastLock = lock;
      if (lock) await writeFileAtomic(join(dir, 'lock.json'), `${lock}\n`).catch(() => undefined);
      else await fs.rm(join(dir, 'lock.json'), { force: true });
    }
    for (const event of events) request.onEvent?.(event);
    return text.slice(aliveAt + MARK_ALIVE.length).trim();
  };
  return { poll };
}

/** Copies the run folder back from the target once its worker has exited (its mirrored lock says nothing any more). */
export async function bringHome(target: SshReach, remote: Remote, dir: string, rdir: string, request: Pick<LaunchRequest, 'onLog'>): Promise<void> {
  await fs.rm(join(dir, 'lock.json'), { force: true });
  // A copy of executor.json there (shipped by an older expman) is stale: this machine's is the record.
  const back = await rsync([`--exclude=/${EXECUTOR_RECORD}`, ...(await checkpointFilter(dir, rdir)), '-e', remote.rsyncShell, `${remote.destination}:${rdir}/`, `${dir}/`]);
  if (back.code !== 0) request.onLog?.(`target ${target.name}: bringing the run folder back failed: ${rsyncMessage(back)}`);
}

/**
 * rsync filter rules that leave on the target the checkpoints the run's `runtime.fetch_checkpoints` does
 * not want home ("last": all but the newest, which the last checkpoint_saved event of the local — fully
 * mirrored — metrics.jsonl names; a command run may name it by its absolute path there). The best model
 * is not a checkpoint (best-model/): it always comes.
 */
export async function checkpointFilter(dir: string, rdir: string): Promise<string[]> {
  const fetch = (await readRunConfig(dir).catch(() => null))?.config.values['runtime.fetch_checkpoints'] ?? 'all';
  if (fetch === 'all') return [];
  if (fetch === 'none') return ['--exclude=/checkpoints/'];
  const events = await readEvents(dir).catch(() => [] as RunEvent[]);
  const saved = events.findLast((e) => e.event === 'checkpoint_saved' && typeof (e as { path?: unknown }).path === 'string') as { path: string } | undefined;
  const path = saved ? (posix.isAbsolute(saved.path) ? posix.relative(rdir, saved.path) : saved.path) : '';
  const keep = path && !path.startsWith('..') ? [`--include=/${path.replace(/\/+$/, '')}`] : [];
  return [...keep, '--exclude=/checkpoints/*'];
}

/** Brings the run folder home and records an end the worker could not (killed, crashed, never started). */
async function collect(target: SshTarget, remote: Remote, dir: string, rdir: string, stopRequested: boolean, request: Pick<LaunchRequest, 'onLog' | 'onState'>): Promise<ExecEnd> {
  await bringHome(target, remote, dir, rdir, request);
  const how = `the worker on ${remote.destination} ended without recording it`;
  if (stopRequested) await markEnded(dir, 'stopped', `${how} (stopped from here)`);
  else {
    const tail = await fileTail(join(dir, WORKER_OUTPUT));
    const last = tail.findLast((l) => !/^\s*at /.test(l));
    const message = `${how}${last ? `: ${last.trim()}` : ' (killed?)'}`;
    await markEnded(dir, 'failed', message, { code: 'WORKER_FAILED', message, ...(tail.length ? { stderr_tail: tail } : {}) });
  }
  const status = await readStatus(dir);
  request.onState?.({ phase: 'ended', detail: `${status?.status ?? 'ended'} on ${target.ssh.host} (target ${target.name})` });
  const state: ExecEnd['state'] = status?.status === 'finished' ? 'finished' : status?.status === 'stopped' ? 'stopped' : 'failed';
  return { state, code: null, signal: null, ...(state === 'failed' && status?.error ? { error: status.error } : {}) };
}
