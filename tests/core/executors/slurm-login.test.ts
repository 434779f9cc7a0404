import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readExecutorRecord, type ExecState } from '../../../src/core/executors/executor.js';
import { checkTarget } from '../../../src/core/executors/check.js';
import { JOB_SCRIPT, slurmExecutor, type SlurmOptions } from '../../../src/core/executors/slurm.js';
import { parseTargets, type SlurmTarget } from '../../../src/core/executors/targets.js';
import { readStatus } from '../../../src/core/training/run-store.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { ExpmanError } from '../../../src/core/errors.js';
import { cliBundle, listTree, tempDataDir, testLogDir } from '../../helpers/data-dir.js';
import { startSlurm, slurmUnavailable, type TestSlurm } from '../../helpers/slurm.js';
import { sshdUnavailable, startSshd, type TestSshd } from '../../helpers/sshd.js';
import { preparedData, queuedRun } from './contract.js';

const unavailable = slurmUnavailable() ?? sshdUnavailable();
if (unavailable) console.warn(`skipping the Slurm-over-SSH tests: ${unavailable}`);

let slurm: TestSlurm;
let sshd: TestSshd;
beforeAll(async () => {
  if (unavailable) return;
  slurm = await startSlurm();
  sshd = await startSshd();
}, 30_000);
afterAll(async () => {
  sshd?.stop();
  await slurm?.stop();
}, 30_000);

const runtime = resolveWorkerRuntime('');
const LONG = ['training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu', 'logging.batch_interval_ms=0'];

/** The login node is this machine's sshd; the cluster's data folder a second folder, which this side never reads. */
function cluster(partition = slurm.partition): { executor: ReturnType<typeof slurmExecutor>; target: SlurmTarget; options: SlurmOptions; remote: string } {
  const remote = tempDataDir(false);
  const target = parseTargets(
    `[cluster]\nexecutor = "slurm"\nhost = "127.0.0.1"\nuser = "${sshd.user}"\ndata = "${remote}"\npartition = "${partition}"\nexpman = "env EXPMAN_LOG_DIR=${testLogDir} ${process.execPath} ${cliBundle}"\n`,
    'targets.toml',
  ).get('cluster') as SlurmTarget;
  // The sshd passes the test cluster's config on to sbatch/scontrol/scancel there (a real login node has its own).
  const options: SlurmOptions = { pollMs: 250, ssh: { sshCommand: `${sshd.sshCommand()} -o SetEnv=SLURM_CONF=${slurm.env['SLURM_CONF']}` } };
  return { executor: slurmExecutor(target, options), target, options, remote };
}

describe.skipIf(unavailable)('Slurm through a login node over SSH, without a shared file system', () => {
  test('submit → RUNNING with metrics mirrored live → COMPLETED; the run folder comes home', async () => {
    const ws = preparedData();
    const { executor, remote } = cluster();
    await executor.validate(runtime);
    const dir = await queuedRun(ws, 'far', ['training.epochs=3', 'training.backend=cpu']);
    const events: RunEvent[] = [];
    const states: ExecState[] = [];
    const handle = await executor.launch({ dir, runtime, onEvent: (e) => events.push(e), onState: (s) => states.push(s) });
    expect(handle.jobId).toMatch(/^\d+$/);
    const end = await handle.ended;
    expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('finished');
    expect(events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(states.some((s) => s.state === 'RUNNING')).toBe(true);
    const remoteDir = join(remote, 'experiments/default/models/far');
    expect((await readStatus(dir))?.status).toBe('finished');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    // Everything the job wrote there is here: best model, checkpoints, the job's output.
    expect(listTree(dir)).toEqual(expect.arrayContaining(listTree(remoteDir)));
    expect(listTree(dir)).toEqual(expect.arrayContaining([JOB_SCRIPT, `logs/slurm-${handle.jobId}.out`]));
    expect(readFileSync(join(dir, `logs/slurm-${handle.jobId}.out`), 'utf8')).toMatch(new RegExp(`Slurm job ${handle.jobId} on `));
    expect(await readExecutorRecord(dir)).toMatchObject({ executor: 'slurm', target: 'cluster', host: '127.0.0.1', job_id: handle.jobId, state: 'COMPLETED', expman_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  }, 90_000);

  test('scancel while it runs: the run ends stopped here, its epochs so far mirrored and brought home', async () => {
    const ws = preparedData();
    const { executor, remote } = cluster();
    const dir = await queuedRun(ws, 'long', LONG);
    let epochs = 0;
    let reached!: () => void;
    const twoEpochs = new Promise<void>((r) => (reached = r));
    const handle = await executor.launch({
      dir,
      runtime,
      onEvent: (e) => {
        if (e.event === 'epoch_end' && ++epochs === 2) reached();
      },
    });
    await twoEpochs;
    expect((await readStatus(dir))?.status).toBe('running');
    handle.stop();
    const end = await handle.ended;
    expect(end.state, `${JSON.stringify(end)}\n${slurm.logs()}`).toBe('stopped');
    const status = await readStatus(dir);
    expect(status?.status).toBe('stopped');
    expect(status?.epoch).toBeGreaterThanOrEqual(2);
    const remoteDir = join(remote, 'experiments/default/models/long');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(await readExecutorRecord(dir)).toMatchObject({ state: 'CANCELLED' });
  }, 90_000);

  test('targets check runs on the login node; a partition it does not have is refused there in one line, the data folder unchanged', async () => {
    const ws = preparedData();
    const good = cluster();
    const passed = await checkTarget(ws, good.target, { slurm: good.options });
    expect(passed.map((p) => p.what)).toEqual(['ssh', 'expman', 'slurm', 'sbatch --test-only']);
    expect(passed[0]?.detail).toBe(`${sshd.user}@127.0.0.1 reachable; ${good.remote} writable; rsync present`);
    const bad = cluster('nope');
    const before = listTree(ws.root);
    const error = await checkTarget(ws, bad.target, { slurm: bad.options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpmanError);
    expect((error as ExpmanError).code).toBe('SUBMIT_REJECTED');
    expect((error as ExpmanError).message).toMatch(/^target cluster: sbatch refused the job: .*partition/i);
    expect(listTree(ws.root)).toEqual(before);
  }, 60_000);
});
