import { constants, promises as fs } from 'node:fs';
import { ExpmanError } from '../errors.js';
import { resolveWorkerRuntime } from '../training/worker-runtime.js';
import { cliEntry } from '../training/supervisor.js';
import { toolVersion } from '../version.js';
import type { Workspace } from '../workspace.js';
import { lastMessage, runCommand } from './run-command.js';
import { loginNodeOf, schedulerEnv, shellQuote, slurmExecutor, type SlurmOptions } from './slurm.js';
import { expmanWords, onRemote, remoteExpmanVersion, sshExecutor, type SshOptions } from './ssh.js';
import type { Target } from './targets.js';

export interface TargetCheckItem {
  what: string;
  detail: string;
}

export interface TargetCheckOptions {
  slurm?: SlurmOptions;
  ssh?: SshOptions;
  /** Each check as it passes (the CLI prints it at once). */
  onPass?: (item: TargetCheckItem) => void;
}

function major(version: string): string {
  return version.replace(/^v/, '').split('.')[0] ?? '';
}

/**
 * Checks that a run can execute on a target: its tools are there (sbatch, squeue, scontrol, scancel),
 * the expman it runs answers with this major version, the folder runs are written to is writable, and
 * the scheduler would take a job (sbatch --test-only: partition, account, limits). Returns what passed;
 * the first problem is thrown as one line.
 */
export async function checkTarget(ws: Workspace, target: Target, options: TargetCheckOptions = {}): Promise<TargetCheckItem[]> {
  const passed: TargetCheckItem[] = [];
  const pass = (what: string, detail: string): void => {
    const item = { what, detail };
    passed.push(item);
    options.onPass?.(item);
  };
  if (target.executor === 'ssh') {
    // One login does it all: reachable, data folder writable, rsync there, expman's version.
    const version = await sshExecutor(target, options.ssh).validate();
    pass('ssh', `${target.ssh.user ? `${target.ssh.user}@` : ''}${target.ssh.host} reachable; ${target.data} writable; rsync present`);
    pass('expman', `${version} (${(target.expman ?? ['expman']).join(' ')})`);
    return passed;
  }
  if (target.ssh) {
    // A login node over SSH: the SSH target's checks (reachable, data writable, rsync, expman) there, then its
    // scheduler commands and sbatch --test-only, all run on the login node.
    const ssh = { ...(options.slurm?.ssh ?? options.ssh ?? {}) };
    const where = `${target.ssh.user ? `${target.ssh.user}@` : ''}${target.ssh.host}`;
    const login = loginNodeOf(target, { ...options.slurm, ssh })!;
    if (target.data) {
      const version = await sshExecutor({ executor: 'ssh', name: target.name, ssh: target.ssh, data: target.data, ...(target.expman ? { expman: target.expman } : {}) }, ssh).validate();
      pass('ssh', `${where} reachable; ${target.data} writable; rsync present`);
      pass('expman', `${version} (${(target.expman ?? ['expman']).join(' ')})`);
    } else {
      // A shared file system: this data folder, at the same path there (its targets.toml is the proof), writable.
      const root = shellQuote(ws.root);
      const seen = await onRemote(login.reach, login.remote, `test -f ${root}/targets.toml || { echo "not-shared"; exit 0; }; test -w ${root} || { echo "not-writable"; exit 0; }; echo "expman $(${expmanWords(target)} --version 2>&1 | tail -n 1)"`);
      if (seen.stdout.trim() === 'not-shared') throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: ${ws.root} is not on ${where} (a login node without data must share this file system at the same path; else set data, the cluster's data folder)`, { key: `${target.name}.data` });
      if (seen.stdout.trim() === 'not-writable') throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: the data folder ${ws.root} is not writable on ${where}`, { key: `${target.name}.host` });
      const version = remoteExpmanVersion(target, login.remote, seen);
      pass('ssh', `${where} reachable; ${ws.root} shared and writable there`);
      pass('expman', `${version} (${(target.expman ?? ['expman']).join(' ')})`);
    }
    const tools = await onRemote(login.reach, login.remote, 'for t in sbatch squeue scontrol scancel; do command -v "$t" >/dev/null || echo "missing $t"; done');
    const missing = /^missing (\S+)$/m.exec(tools.stdout)?.[1];
    if (missing) throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: ${missing} not found on ${where} (install Slurm's client commands there)`);
    pass('slurm', `sbatch, squeue, scontrol, scancel on ${where}`);
    await slurmExecutor(target, { ...options.slurm, ssh }).validate(resolveWorkerRuntime(''));
    pass('sbatch --test-only', `the job would be accepted${target.partition ? ` on partition ${target.partition}` : ''}`);
    return passed;
  }
  const env = options.slurm?.env ?? schedulerEnv();
  for (const tool of ['sbatch', 'squeue', 'scontrol', 'scancel']) {
    const result = await runCommand(tool, ['--version'], { env, timeoutMs: 15_000 });
    if (result.spawnError || result.code !== 0) {
      throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: ${tool} ${result.spawnError ? 'not found on PATH (install Slurm\'s client commands)' : `does not work: ${lastMessage(result)}`}`);
    }
    pass(tool, result.stdout.trim());
  }
  const runtime = resolveWorkerRuntime('');
  const expman = target.expman ?? [runtime.node, cliEntry()];
  const version = await runCommand(expman[0]!, [...expman.slice(1), '--version'], { env: { ...env, ...(target.expman ? {} : runtime.env) }, timeoutMs: 30_000 });
  const seen = version.stdout.trim().split(/\s+/).at(-1) ?? '';
  if (version.spawnError || version.code !== 0 || !/^\d+\.\d+/.test(seen)) {
    throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: expman does not run there (${expman.join(' ')}): ${version.spawnError ?? lastMessage(version)}`, { key: `${target.name}.expman` });
  }
  if (major(seen) !== major(toolVersion())) {
    throw new ExpmanError('TARGET_UNSUITABLE', `target ${target.name}: expman ${seen} there, ${toolVersion()} here: the major versions differ`, { key: `${target.name}.expman` });
  }
  pass('expman', `${seen} (${expman.join(' ')})`);
  try {
    await fs.access(ws.root, constants.W_OK);
  } catch {
    throw new ExpmanError('NOT_WRITABLE', `target ${target.name}: the data folder ${ws.root} is not writable (the job writes its run folder there)`, { file: ws.root });
  }
  pass('data folder', `${ws.root} (shared with the nodes)`);
  await slurmExecutor(target, options.slurm).validate(runtime);
  pass('sbatch --test-only', `the job would be accepted${target.partition ? ` on partition ${target.partition}` : ''}`);
  return passed;
}
