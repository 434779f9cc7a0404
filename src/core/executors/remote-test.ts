import { dirname } from 'node:path';
import { ExpmanError } from '../errors.js';
import { writeDirAtomic } from '../fs/atomic.js';
import { liveLock, lockedError } from '../runs/lock.js';
import { paths, type Workspace } from '../workspace.js';
import { isCoreErrorCode } from '../../shared/errors.js';
import { runsInPlace, IN_PLACE_ENV, readExecutorRecord } from './executor.js';
import { lastMessage } from './run-command.js';
import { loginNodeOf, shellQuote, shippedTo } from './slurm.js';
import { onRemote, remoteOf, remotePaths, rsync, rsyncMessage, shipFiles, type SshOptions, type SshReach } from './ssh.js';
import { loadTarget } from './targets.js';

/**
 * Test of a run that executed on another machine: where it ran, when that machine can be reached. A run
 * of an SSH target is tested on that host, one of a Slurm cluster reached through a login node on the login
 * node (the cluster's own expman, Python and packages are what a command run's test command expects);
 * the results come home into experiments/<E>/results/<M>/. A run of a cluster on this file system, or one
 * whose target is gone or unreachable, is tested here on its best model, which always comes home.
 */
export interface RemoteTest {
  /** Where it was tested, in words: "target box (ana@gpu1)". */
  where: string;
  /** The remote `expman test --json` answer (its `tested` event), `dir` being this machine's results folder. */
  result: Record<string, unknown> & { dir: string };
}

export interface RemoteTestOptions {
  ssh?: SshOptions;
  /** Why the test runs here after all (target gone, unreachable). */
  onLog?: (line: string) => void;
  /** Default 30 minutes. */
  timeoutMs?: number;
}

/** A run's test where it ran; null when it is tested here (a local run, a shared file system, the target out of reach). */
export async function testOnTarget(ws: Workspace, experiment: string, model: string, options: RemoteTestOptions = {}): Promise<RemoteTest | null> {
  const dir = paths.modelDir(ws, experiment, model);
  // The test that this function started there tests in place (its copy of executor.json names the target too).
  if (runsInPlace()) return null;
  const record = await readExecutorRecord(dir);
  if (!record?.target) return null;
  const here = (why: unknown): null => {
    options.onLog?.(`testing here, on the best model brought home: ${why instanceof Error ? why.message : String(why)}`);
    return null;
  };
  let reach: SshReach & { data: string };
  let expman: string[];
  try {
    const target = await loadTarget(ws, record.target, 'target');
    if (target.executor === 'ssh') reach = target;
    else {
      const login = shippedTo(loginNodeOf(target, { ...(options.ssh ? { ssh: options.ssh } : {}) }));
      // On this file system the run folder is the one the job wrote: nothing to gain over there.
      if (!login) return null;
      reach = login.reach;
    }
    expman = target.expman ?? ['expman'];
  } catch (error) {
    return here(error);
  }
  // A run training (here, or there through its mirrored lock) is no result yet: refused as a local test is.
  const lock = liveLock(dir);
  if (lock) throw lockedError(dir, lock, 'cannot test');
  const remote = remoteOf(reach, options.ssh ?? {});
  const where = remotePaths(reach, dir);
  try {
    // The run folder may have been cleaned up there: what this machine has of it (best model, config) goes again.
    await shipFiles(reach, remote, dir);
  } catch (error) {
    if (error instanceof ExpmanError && error.code === 'TARGET_UNREACHABLE') return here(error);
    throw error;
  }
  const words = [`${IN_PLACE_ENV}=1`, ...expman, 'test', '--data', reach.data, '--experiment', experiment, '--model', model, '--json'].map(shellQuote).join(' ');
  let answer;
  try {
    answer = await onRemote(reach, remote, words, options.timeoutMs ?? 30 * 60_000);
  } catch (error) {
    if (error instanceof ExpmanError && error.code === 'TARGET_UNREACHABLE') return here(error);
    throw error;
  }
  const line = answer.stdout.split('\n').findLast((l) => l.startsWith('{'));
  let said: Record<string, unknown> | null = null;
  try {
    said = line ? (JSON.parse(line) as Record<string, unknown>) : null;
  } catch {
    said = null;
  }
  const destination = remote.destination;
  if (said?.['event'] === 'error') {
    const code = isCoreErrorCode(said['code']) ? said['code'] : 'WORKER_FAILED';
    throw new ExpmanError(code, `target ${reach.name} (${destination}): ${String(said['message'])}`, { file: dir });
  }
  if (answer.code !== 0 || said?.['event'] !== 'tested') {
    throw new ExpmanError('WORKER_FAILED', `target ${reach.name}: expman test failed on ${destination}: ${lastMessage(answer)}`, { file: dir });
  }
  // The results replace this machine's, whole (as a local test writes them).
  const results = paths.resultsDir(ws, experiment, model);
  const remoteResults = `${dirname(dirname(where.dir))}/results/${model}`;
  await writeDirAtomic(results, async (fetched) => {
    const back = await rsync(['-e', remote.rsyncShell, `${destination}:${remoteResults}/`, `${fetched}/`]);
    if (back.code !== 0) throw new ExpmanError('TARGET_UNREACHABLE', `target ${reach.name}: bringing the test results home from ${destination} failed: ${rsyncMessage(back)}`, { file: results });
  });
  return { where: `target ${reach.name} (${destination})`, result: { ...said, dir: results } };
}
