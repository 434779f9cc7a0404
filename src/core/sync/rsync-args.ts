import { TEMP_PREFIX } from '../fs/atomic.js';
import type { SyncLocation } from './location.js';
import { rsyncPath } from './location.js';

export interface SshOptions {
  /** A complete ssh command line for rsync -e (EXPMAN_SSH_COMMAND); the other fields are then ignored. */
  command?: string;
  port?: number;
  /** Identity file (ssh -i). */
  key?: string;
  /** false: never prompt (BatchMode), for the desktop and scripts; true: ssh may ask for a password. */
  interactive?: boolean;
}

export interface RsyncArgsOptions {
  source: SyncLocation;
  destination: SyncLocation;
  dryRun?: boolean;
  delete?: boolean;
  excludeCheckpoints?: boolean;
  /** KiB per second (rsync --bwlimit). */
  bwlimit?: number;
  ssh?: SshOptions;
  /** rsync --temp-dir: where the receiver writes files before renaming them into place (a local receiver only). */
  tempDir?: string;
  /** Extra filter rules, first: the live run folders of the receiving side (see live-runs.ts). */
  filters?: readonly string[];
}

/**
 * The folder, at the root of a local receiving side, that holds one temporary folder per running sync
 * (`<host>-<pid>-<n>`). rsync's temporary files go there instead of next to their destination file, so
 * a leftover of an rsync that was killed outright is found, and removed by the next sync, without
 * guessing at names (rsync's own `.<name>.XXXXXX` could be a user's file). Its `.tmp-` prefix makes every
 * reader skip it and keeps it out of transfers (the `.tmp-*` exclude).
 */
export const SYNC_TEMP_DIR = `${TEMP_PREFIX}sync`;

/**
 * Where an interrupted transfer keeps its partial file (per folder, created and removed by rsync). The
 * `.tmp-` prefix makes every reader (lists, archive) skip it and the `.tmp-*` exclude keep it out of
 * transfers and deletions, as rsync's own rule for a partial-dir would.
 */
export const PARTIAL_DIR = `${TEMP_PREFIX}rsync-partial`;

/** One argument for rsync -e, which splits on spaces and honours double quotes. */
function quoteForRsync(arg: string): string {
  return /[\s"']/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg;
}

export function sshCommand(ssh: SshOptions = {}): string {
  if (ssh.command?.trim()) return ssh.command.trim();
  const parts = ['ssh', '-o', 'ConnectTimeout=15'];
  if (!ssh.interactive) parts.push('-o', 'BatchMode=yes');
  if (ssh.port !== undefined) parts.push('-p', String(ssh.port));
  if (ssh.key) parts.push('-i', ssh.key);
  return parts.map(quoteForRsync).join(' ');
}

/**
 * rsync's argument array (never a shell string). `-a` keeps modes, times and links; `--partial-dir`
 * keeps a half-sent file aside (the destination file stays whole) so an interrupted sync resumes from it;
 * temporaries (`.tmp-*`, a checkpoint being written, sync's own temp folder) are never sent and, being
 * excluded, never deleted on the other side either.
 */
export function rsyncArgs(options: RsyncArgsOptions): string[] {
  const args = ['-a', `--partial-dir=${PARTIAL_DIR}`, '--info=progress2', '--no-inc-recursive', '--stats', '--out-format=%i %n%L'];
  args.push(...(options.filters ?? []), `--exclude=${TEMP_PREFIX}*`);
  if (options.tempDir) args.push(`--temp-dir=${options.tempDir}`);
  if (options.excludeCheckpoints) args.push('--exclude=checkpoints/');
  if (options.delete) args.push('--delete');
  if (options.dryRun) args.push('--dry-run');
  if (options.bwlimit !== undefined) args.push(`--bwlimit=${options.bwlimit}`);
  if (options.source.kind === 'ssh' || options.destination.kind === 'ssh') args.push('-e', sshCommand(options.ssh));
  args.push('--', rsyncPath(options.source), rsyncPath(options.destination));
  return args;
}

/**
 * Arguments that copy only the run state files (status.json, lock.json) of a remote data folder into a
 * local folder: what sync reads to learn which runs are live on a remote receiving side.
 */
export function runStateArgs(remote: SyncLocation, into: string, ssh?: SshOptions): string[] {
  const runs = '/experiments/*/models/*';
  return [
    '-a',
    '--include=/experiments/',
    '--include=/experiments/*/',
    '--include=/experiments/*/models/',
    `--include=${runs}/`,
    `--include=${runs}/status.json`,
    `--include=${runs}/lock.json`,
    '--exclude=*',
    '-e',
    sshCommand(ssh),
    '--',
    rsyncPath(remote),
    into.endsWith('/') ? into : `${into}/`,
  ];
}
