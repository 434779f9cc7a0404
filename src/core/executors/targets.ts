import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { locateKeys, type KeyPosition } from '../config/toml-locate.js';
import { parseTomlFile } from '../config/toml-text.js';
import { ExpmanError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import { isValidName, NAME_RULE } from '../../shared/names.js';

/**
 * Named places a run can execute, from `$DATA/targets.toml` (one table per target):
 *
 *     [gpu-box]                 [cluster]
 *     executor = "ssh"          executor = "slurm"
 *     host = "gpu.lab"          partition = "gpu"
 *     data = "/scratch/expman"  time = "02:00:00"
 *
 * The file lives in the data folder, so archive and sync carry it with the experiments that name a target
 * (`runtime.target`). Every mistake is reported with file, line and key, as config files are.
 */
export type ExecutorKind = 'local' | 'ssh' | 'slurm';

/** How to reach a host over SSH; `host` unset means this machine. */
export interface SshAccess {
  host: string;
  user?: string;
  port?: number;
  /** Private key file (ssh -i). */
  identity?: string;
}

interface TargetBase {
  name: string;
  /** The expman command on the target, split into words: `["expman"]`, `["node", "/opt/expman/out/cli/expman.mjs"]`. */
  expman?: string[];
}

export interface SshTarget extends TargetBase {
  executor: 'ssh';
  ssh: SshAccess;
  /** The target's data folder: what a run needs is shipped there, and the run trains there. */
  data: string;
}

export interface SlurmTarget extends TargetBase {
  executor: 'slurm';
  /** Where sbatch/squeue/scancel run: this machine (undefined) or a login node over SSH. */
  ssh?: SshAccess;
  /** The cluster's view of the data folder; unset: a shared file system where it has the same path. */
  data?: string;
  partition?: string;
  account?: string;
  /** sbatch --time, e.g. "02:00:00" or "90" (minutes). */
  time?: string;
  cpus?: number;
  /** sbatch --mem, e.g. "8G". */
  mem?: string;
  /** sbatch --gres, e.g. "gpu:1". */
  gres?: string;
  /** More `#SBATCH` options, each one line's worth: ["--qos=long", "--constraint=a100"]. */
  sbatch: string[];
  /** `module load` these before the worker starts. */
  modules: string[];
  /** Requeue the job (and resume from its last checkpoint) when Slurm preempts it or its time runs out. */
  requeue: boolean;
  /** Seconds before the time limit at which the job is told to stop and requeue (sbatch --signal). */
  signal_before: number;
}

export type Target = SshTarget | SlurmTarget;

export const TARGETS_FILE = 'targets.toml';

export function targetsFile(ws: Workspace): string {
  return join(ws.root, TARGETS_FILE);
}

type KeyKind = 'string' | 'integer' | 'boolean' | 'string[]';

const KEYS: Record<string, { kind: KeyKind; for: ReadonlyArray<'ssh' | 'slurm'>; min?: number; max?: number }> = {
  executor: { kind: 'string', for: ['ssh', 'slurm'] },
  host: { kind: 'string', for: ['ssh', 'slurm'] },
  user: { kind: 'string', for: ['ssh', 'slurm'] },
  port: { kind: 'integer', for: ['ssh', 'slurm'], min: 1, max: 65535 },
  identity: { kind: 'string', for: ['ssh', 'slurm'] },
  data: { kind: 'string', for: ['ssh', 'slurm'] },
  expman: { kind: 'string', for: ['ssh', 'slurm'] },
  partition: { kind: 'string', for: ['slurm'] },
  account: { kind: 'string', for: ['slurm'] },
  time: { kind: 'string', for: ['slurm'] },
  cpus: { kind: 'integer', for: ['slurm'], min: 1, max: 100_000 },
  mem: { kind: 'string', for: ['slurm'] },
  gres: { kind: 'string', for: ['slurm'] },
  sbatch: { kind: 'string[]', for: ['slurm'] },
  modules: { kind: 'string[]', for: ['slurm'] },
  requeue: { kind: 'boolean', for: ['slurm'] },
  signal_before: { kind: 'integer', for: ['slurm'], min: 0, max: 86_400 },
};

/** Values that end up in a job script or a remote shell: one line, no NUL (the script quotes them). */
function oneLine(value: string): boolean {
  return !/[\n\r\0]/.test(value);
}

function describe(kind: KeyKind): string {
  return kind === 'string[]' ? 'an array of strings' : kind === 'integer' ? 'an integer' : `a ${kind}`;
}

/** Splits a command written as one string into words: plain spaces, with "double" or 'single' quoted parts. */
export function splitCommand(text: string): string[] | null {
  const words: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+))/gy;
  let current: string | null = null;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const gap = match[0].length > 0 && /^\s/.test(match[0]);
    if (gap && current !== null) {
      words.push(current);
      current = null;
    }
    const part = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3] ?? '');
    current = (current ?? '') + part;
    last = pattern.lastIndex;
    if (last >= text.length) break;
  }
  if (text.slice(last).trim() !== '') return null;
  if (current !== null) words.push(current);
  return words;
}

/** Parses and checks a targets file's text; the first problem is thrown with file, line and key. */
export function parseTargets(text: string, file: string): Map<string, Target> {
  const parsed = parseTomlFile(text, file);
  const positions = locateKeys(text);
  const fail = (key: string, message: string, expected?: string): never => {
    const at: Partial<KeyPosition> = positions.get(key) ?? positions.get(key.slice(0, key.lastIndexOf('.'))) ?? {};
    const where = at.line !== undefined ? `${file}:${at.line}:${at.column}` : file;
    throw new ExpmanError('CONFIG_INVALID', `${where}: ${message}`, { file, ...at, key, ...(expected ? { expected } : {}) });
  };
  const targets = new Map<string, Target>();
  for (const [name, raw] of Object.entries(parsed)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(name, `${name} must be a table [${name}] describing a target`, 'a table');
    if (!isValidName(name)) fail(name, `invalid target name ${JSON.stringify(name)}: use ${NAME_RULE}`);
    const table = raw as Record<string, unknown>;
    const executor = table['executor'];
    if (executor !== 'ssh' && executor !== 'slurm') {
      fail(executor === undefined ? name : `${name}.executor`, `target ${name}: executor must be "ssh" or "slurm"${executor === undefined ? ' (missing)' : `, not ${JSON.stringify(executor)}`}`, '"ssh" or "slurm"');
    }
    const kind = executor as 'ssh' | 'slurm';
    for (const [key, value] of Object.entries(table)) {
      const spec = KEYS[key];
      const full = `${name}.${key}`;
      if (!spec || !spec.for.includes(kind)) {
        const known = Object.keys(KEYS).filter((k) => KEYS[k]!.for.includes(kind));
        fail(full, `target ${name}: unknown key ${JSON.stringify(key)} for an ${kind} target (known: ${known.join(', ')})`);
      }
      const s = spec!;
      const ok =
        s.kind === 'string' ? typeof value === 'string' && value !== '' && oneLine(value)
        : s.kind === 'integer' ? Number.isInteger(value) && (value as number) >= (s.min ?? -Infinity) && (value as number) <= (s.max ?? Infinity)
        : s.kind === 'boolean' ? typeof value === 'boolean'
        : Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '' && oneLine(v));
      if (!ok) {
        const range = s.kind === 'integer' && s.min !== undefined ? ` from ${s.min} to ${s.max}` : '';
        const expected = `${describe(s.kind)}${s.kind === 'string' || s.kind === 'string[]' ? ' (not empty, one line)' : ''}${range}`;
        fail(full, `target ${name}: ${key} must be ${expected}, not ${JSON.stringify(value)}`, expected);
      }
    }
    const str = (key: string): string | undefined => table[key] as string | undefined;
    let expman: string[] | undefined;
    if (str('expman') !== undefined) {
      const words = splitCommand(str('expman')!);
      if (!words || words.length === 0) fail(`${name}.expman`, `target ${name}: expman must be a command, e.g. "expman" or "node /opt/expman/out/cli/expman.mjs"`);
      expman = words!;
    }
    const host = str('host');
    const ssh: SshAccess | undefined = host
      ? { host, ...(str('user') ? { user: str('user')! } : {}), ...(table['port'] !== undefined ? { port: table['port'] as number } : {}), ...(str('identity') ? { identity: str('identity')! } : {}) }
      : undefined;
    if (!host) for (const key of ['user', 'port', 'identity']) if (table[key] !== undefined) fail(`${name}.${key}`, `target ${name}: ${key} needs host (the machine to reach over SSH)`);
    const data = str('data');
    if (data !== undefined && !data.startsWith('/')) fail(`${name}.data`, `target ${name}: data must be an absolute path on the target, not ${JSON.stringify(data)}`);
    if (kind === 'ssh') {
      if (!ssh) fail(name, `target ${name}: an ssh target needs host`, 'host = "name or address"');
      if (!data) fail(name, `target ${name}: an ssh target needs data (its data folder, an absolute path there)`, 'data = "/path"');
      targets.set(name, { name, executor: 'ssh', ssh: ssh!, data: data!, ...(expman ? { expman } : {}) });
    } else {
      const words = (key: string): string[] => (table[key] as string[] | undefined) ?? [];
      for (const [index, line] of words('sbatch').entries()) {
        if (!line.startsWith('-')) fail(`${name}.sbatch`, `target ${name}: sbatch[${index}] = ${JSON.stringify(line)} must be an sbatch option such as "--qos=long"`);
      }
      targets.set(name, {
        name,
        executor: 'slurm',
        ...(ssh ? { ssh } : {}),
        ...(data ? { data } : {}),
        ...(expman ? { expman } : {}),
        ...(str('partition') ? { partition: str('partition')! } : {}),
        ...(str('account') ? { account: str('account')! } : {}),
        ...(str('time') ? { time: str('time')! } : {}),
        ...(table['cpus'] !== undefined ? { cpus: table['cpus'] as number } : {}),
        ...(str('mem') ? { mem: str('mem')! } : {}),
        ...(str('gres') ? { gres: str('gres')! } : {}),
        sbatch: words('sbatch'),
        modules: words('modules'),
        requeue: (table['requeue'] as boolean | undefined) ?? false,
        signal_before: (table['signal_before'] as number | undefined) ?? 120,
      });
    }
  }
  return targets;
}

/** The data folder's targets; none when the file does not exist. */
export async function loadTargets(ws: Workspace): Promise<Map<string, Target>> {
  const file = targetsFile(ws);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new Map();
    throw new ExpmanError('CONFIG_INVALID', `${file}: cannot read the targets file (${code ?? String(error)})`, { file });
  }
  return parseTargets(text, file);
}

/** One target by name; an unknown name is refused with the names there are. */
export async function loadTarget(ws: Workspace, name: string, key = 'runtime.target'): Promise<Target> {
  const targets = await loadTargets(ws);
  const target = targets.get(name);
  if (!target) {
    const known = [...targets.keys()];
    throw new ExpmanError(
      'CONFIG_INVALID',
      `unknown target ${JSON.stringify(name)}: ${known.length ? `${targetsFile(ws)} defines ${known.join(', ')}` : `${targetsFile(ws)} defines none`}`,
      { file: targetsFile(ws), key },
    );
  }
  return target;
}

/** A target's settings in words, for lists: "slurm submit here, partition gpu, time 02:00:00". */
export function describeTarget(target: Target): string {
  if (target.executor === 'ssh') return `ssh ${target.ssh.user ? `${target.ssh.user}@` : ''}${target.ssh.host}${target.ssh.port ? `:${target.ssh.port}` : ''} data ${target.data}`;
  const parts = [
    target.ssh ? `submit on ${target.ssh.host}` : 'submit here',
    target.ssh && (target.data ? `data ${target.data}` : 'shared file system'),
    target.partition && `partition ${target.partition}`,
    target.account && `account ${target.account}`,
    target.time && `time ${target.time}`,
    target.cpus && `cpus ${target.cpus}`,
    target.mem && `mem ${target.mem}`,
    target.gres && `gres ${target.gres}`,
    target.requeue && `requeue (signal ${target.signal_before} s before the limit)`,
    target.modules.length > 0 && `modules ${target.modules.join(' ')}`,
  ];
  return `slurm ${parts.filter(Boolean).join(', ')}`;
}
