import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { cliBundle, expman, expmanAsync, listTree, tempDataDir, testLogDir } from '../helpers/data-dir.js';
import { describeIfAvailable } from '../helpers/needs.js';
import { slurmUnavailable, useSlurm } from '../helpers/slurm.js';

// expmanAsync passes this process's environment: with SLURM_CONF, sbatch and friends find the test cluster.
const slurm = useSlurm({ confEnv: true });

function dataWithTargets(): string {
  const data = tempDataDir();
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
  writeFileSync(join(data, 'targets.toml'), `[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\n\n[nowhere]\nexecutor = "slurm"\npartition = "nope"\n`);
  return data;
}
const env = (): Record<string, string> => ({ SLURM_CONF: slurm.env['SLURM_CONF']! });
const onCluster = ['--set', 'runtime.executor=slurm', '--set', 'runtime.target=cluster', '--set', 'training.backend=cpu'];

describeIfAvailable(slurmUnavailable(), 'expman on a Slurm target (a real single-node cluster)', () => {
  test('targets list and check; train submits the run, follows it live, and list shows where it ran', () => {
    const data = dataWithTargets();
    const list = expman(['targets', 'list', '--data', data], { env: env() });
    expect(list.stdout).toMatch(/^cluster\s+slurm submit here, partition debug\nnowhere\s+slurm submit here, partition nope\n$/);
    const check = expman(['targets', 'check', 'cluster', '--data', data], { env: env() });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/ok {2}sbatch: slurm[\s\S]*ok {2}expman: \d+\.\d+\.\d+[\s\S]*ok {2}sbatch --test-only: the job would be accepted on partition debug\ntarget cluster is ready\n$/);
    expect(check.code).toBe(0);

    const run = expman(['train', '--data', data, '--model', 'r1', ...onCluster, '--set', 'training.epochs=3'], { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^submitted Slurm job (\d+) \(target cluster\)\n/);
    expect(run.stdout).toMatch(/epoch 3\/3[\s\S]*Finished after 3 epochs/);
    const job = /submitted Slurm job (\d+)/.exec(run.stdout)![1];
    const shown = expman(['list', '--data', data]);
    expect(shown.stdout).toMatch(new RegExp(`WHERE\\n.*r1\\s+finished\\s+3/3.*slurm:cluster job ${job} on ${slurm.node}\\n`));
    const json = JSON.parse(expman(['list', '--data', data, '--json']).stdout) as { runs: Array<{ executor: Record<string, unknown> }> };
    expect(json.runs[0]!.executor).toMatchObject({ executor: 'slurm', target: 'cluster', job_id: job, node: slurm.node, state: 'COMPLETED' });
    expect(readFileSync(join(data, 'experiments', 'default', 'models', 'r1', 'config.toml'), 'utf8')).toMatch(/\[runtime\][\s\S]*executor = "slurm"[\s\S]*target = "cluster"/);
  }, 60_000);

  test('refusals are one line and leave the data folder unchanged: sbatch refusing the job, an unknown target', () => {
    const data = dataWithTargets();
    const before = listTree(data);
    const refused = expman(['train', '--data', data, '--set', 'runtime.executor=slurm', '--set', 'runtime.target=nowhere'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('expman: error: target nowhere: sbatch refused the job: allocation failure: Invalid partition name specified\n');
    const unknown = expman(['train', '--data', data, '--set', 'runtime.executor=slurm', '--set', 'runtime.target=gpu'], { env: env() });
    expect(unknown.stderr).toBe(`expman: error: unknown target "gpu": ${join(data, 'targets.toml')} defines cluster, nowhere\n`);
    const check = expman(['targets', 'check', 'nowhere', '--data', data], { env: env() });
    expect(check.code).toBe(1);
    expect(check.stderr).toBe('expman: error: target nowhere: sbatch refused the job: allocation failure: Invalid partition name specified\n');
    expect(listTree(data)).toEqual(before);
  }, 60_000);

  test('Ctrl-C cancels the job: the worker stops after its batch and the run can be resumed', async () => {
    const data = dataWithTargets();
    const child = expmanAsync(['train', '--data', data, '--model', 'long', ...onCluster, '--set', 'training.epochs=100000', '--set', 'training.early_stopping.enabled=false']);
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/epoch 2\//.test(out)) resolve();
      }),
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    const status = JSON.parse(readFileSync(join(data, 'experiments', 'default', 'models', 'long', 'status.json'), 'utf8')) as { status: string; epoch: number };
    expect(status.status).toBe('stopped');
    expect(status.epoch).toBeGreaterThanOrEqual(2);
    expect(out).toContain('Resume with: expman train --resume');
    const dir = join(data, 'experiments', 'default', 'models', 'long');
    const firstJob = (JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8')) as { job_id: string }).job_id;

    // --resume of a run for the cluster submits it again (the job's worker resumes it in place).
    const again = expmanAsync(['train', '--resume', dir]);
    let more = '';
    await new Promise<void>((resolve) =>
      again.stdout.on('data', (chunk: Buffer) => {
        more += chunk.toString();
        if (/epoch \d+\/100000[\s\S]*epoch \d+\/100000/.test(more)) resolve();
      }),
    );
    expect(more).toMatch(/^submitted Slurm job (\d+) \(target cluster\)\n/);
    again.kill('SIGINT');
    expect(await new Promise<number | null>((resolve) => again.once('exit', resolve))).toBe(130);
    const record = JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8')) as { job_id: string; state: string };
    expect(record.job_id).not.toBe(firstJob);
    const events = readFileSync(join(dir, 'logs', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; from_epoch?: number });
    expect(events.filter((e) => e.event === 'run_resumed')).toEqual([expect.objectContaining({ from_epoch: expect.any(Number) })]);
    expect(events.filter((e) => e.event === 'run_started')).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))).toMatchObject({ status: 'stopped' });
  }, 90_000);
});
