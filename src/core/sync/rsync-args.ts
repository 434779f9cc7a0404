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
}

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
 * rsync's argument array (never a shell string). `-a` keeps modes, times and links; `--partial` keeps a
 * half-sent file so an interrupted sync resumes; temporaries (`.tmp-*`, a checkpoint being written) are
 * never sent and, being excluded, never deleted on the other side either.
 */
export function rsyncArgs(options: RsyncArgsOptions): string[] {
  const args = ['-a', '--partial', '--info=progress2', '--no-inc-recursive', '--stats', '--out-format=%i %n%L', '--exclude=.tmp-*'];
  if (options.excludeCheckpoints) args.push('--exclude=checkpoints/');
  if (options.delete) args.push('--delete');
  if (options.dryRun) args.push('--dry-run');
  if (options.bwlimit !== undefined) args.push(`--bwlimit=${options.bwlimit}`);
  if (options.source.kind === 'ssh' || options.destination.kind === 'ssh') args.push('-e', sshCommand(options.ssh));
  args.push('--', rsyncPath(options.source), rsyncPath(options.destination));
  return args;
}
