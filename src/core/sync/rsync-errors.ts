import { ExpmanError } from '../errors.js';
import { describeLocation, type SyncLocation } from './location.js';

/**
 * Turns a failed rsync into one clear error. rsync and ssh report through stderr text and a few exit
 * codes (255: ssh failed; 12: the stream broke, often because the remote has no rsync; 23: some files
 * failed), so both are read.
 */
export function rsyncFailure(code: number | null, stderr: string, remote: SyncLocation | undefined): ExpmanError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.filter((l) => !/^rsync error:|^rsync: connection unexpectedly closed/.test(l)).at(-1) ?? lines.at(-1) ?? '';
  const where = remote?.kind === 'ssh' ? remote.host : 'this machine';
  const target = remote ? describeLocation(remote) : '';
  const details = { rsync_exit_code: code, stderr: lines.slice(-10) };
  const find = (pattern: RegExp) => lines.find((l) => pattern.test(l));

  if (find(/rsync: (command )?not found|rsync: No such file or directory.*exec|command not found/)) {
    return new ExpmanError('RSYNC_MISSING', `rsync is not installed on ${where}: install it there (e.g. apt install rsync)`, details);
  }
  const resolveFailure = find(/Could not resolve hostname|Name or service not known|Temporary failure in name resolution|nodename nor servname/);
  if (resolveFailure) return new ExpmanError('SYNC_UNREACHABLE', `cannot reach ${where}: unknown host (${resolveFailure})`, details);
  const network = find(/Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Connection reset|Connection closed by|kex_exchange_identification/);
  if (network) return new ExpmanError('SYNC_UNREACHABLE', `cannot reach ${where} over SSH: ${network}`, details);
  const hostKey = find(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  if (hostKey) {
    return new ExpmanError('SYNC_PERMISSION', `${where}: ${hostKey} — connect once with ssh ${where} to check and accept its host key`, details);
  }
  const login = find(/Permission denied \(|Too many authentication failures|no matching host key type/);
  if (login) {
    return new ExpmanError('SYNC_PERMISSION', `SSH login to ${where} refused (${login}): check the user, and the key (--ssh-key) or your ssh-agent`, details);
  }
  const denied = find(/Permission denied|Read-only file system|Operation not permitted/);
  if (denied) return new ExpmanError('SYNC_PERMISSION', `permission denied: ${denied}`, details);
  if (code === 255) return new ExpmanError('SYNC_UNREACHABLE', `cannot reach ${where} over SSH: ${last || 'ssh failed'}`, details);
  const missing = find(/change_dir .* failed: No such file or directory|link_stat .* failed: No such file or directory/);
  if (missing) return new ExpmanError('SYNC_FAILED', `${target || where}: ${missing}`, details);
  return new ExpmanError('SYNC_FAILED', `rsync failed (exit code ${code ?? 'none'}): ${last || 'no message'}`, details);
}
