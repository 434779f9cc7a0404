import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { processMatches } from '../../../src/core/runs/lock.js';
import { workspace } from '../../../src/core/workspace.js';
import { expman, listTree, repoRoot, tempDataDir, testLogDir } from '../../helpers/data-dir.js';
import { describeIfAvailable } from '../../helpers/needs.js';
import { loginSshCommand, slurmUnavailable, useSlurm } from '../../helpers/slurm.js';
import { sshdUnavailable, sshTargetToml, targetExpman, useSshd } from '../../helpers/sshd.js';

// Bundled into out/ so that its packages resolve from the repository's node_modules.
const hostBundle = join(repoRoot, 'out', 'test', 'backend-host.mjs');
beforeAll(async () => {
  await build({ entryPoints: [join(repoRoot, 'tests/helpers/backend-host.ts')], outfile: hostBundle, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
});

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** A backend server process: call(channel, request) → ApiResult. */
async function server(data: string) {
  const child = spawn(process.execPath, [hostBundle, data], { cwd: repoRoot, env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir }, stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(child);
  const pending = new Map<number, (result: unknown) => void>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { id?: number; result?: unknown; ready?: number };
    if (message.ready) ready();
    else pending.get(message.id!)?.(message.result);
  });
  await isReady;
  let next = 1;
  const call = <T>(channel: string, request: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve as (r: unknown) => void);
      child.stdin.write(`${JSON.stringify({ id, channel, request })}\n`);
    });
  return { child, call };
}

const epochsIn = (dir: string): number => readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"epoch_end"')).length;

describe('trainings do not share the server’s fate', () => {
  test('a run outlives a SIGKILLed server; the next server lists it as running here and stops it', async () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
    const dir = join(data, 'experiments/default/models/orphan');

    const first = await server(data);
    const startedJob = await first.call<{ state: string }>('runs:start', { experiment: 'default', model: 'orphan', overrides: ['training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu'] });
    expect(startedJob).toMatchObject({ ok: true, value: { state: 'running' } });
    await vi.waitFor(() => expect(existsSync(join(dir, 'logs/metrics.jsonl')) && epochsIn(dir)).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Its pipes are closed now: the worker goes on training and writing its folder.
    const before = epochsIn(dir);
    await vi.waitFor(() => expect(epochsIn(dir)).toBeGreaterThan(before + 3), { timeout: 30_000, interval: 100 });
    const lock = JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')) as { pid: number };

    const second = await server(data);
    const runs = await second.call<Array<{ model: string; status: string; live: string | null; pid?: number; host?: string }>>('runs:list', { experiment: 'default' });
    expect(runs.value?.find((r) => r.model === 'orphan')).toMatchObject({ status: 'running', live: 'here', pid: lock.pid, host: hostname() });

    const stopped = await second.call<{ status: string; live: string | null }>('runs:stop-run', { experiment: 'default', model: 'orphan' });
    expect(stopped).toMatchObject({ ok: true, value: { status: 'stopped', live: null } });
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('stopped');
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    // Gone (a zombie at most, where the container's init does not reap orphans).
    expect(processMatches(lock.pid)).toBe(false);

    // Nothing is live any more: a second stop says so, typed.
    expect(await second.call('runs:stop-run', { experiment: 'default', model: 'orphan' })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_LIVE' } });
  });
});

describeIfAvailable(sshdUnavailable(), 'runs on an SSH target are followed again by the next server (an sshd on 127.0.0.1)', () => {
  // The server processes and the in-process backend both reach the target with EXPMAN_SSH_COMMAND.
  const sshd = useSshd({ sshCommandEnv: true });

  test('a server dies mid-run; a new backend on the folder adopts the run once: epochs stream home, it ends finished with its files', async () => {
    const data = tempDataDir();
    const remote = tempDataDir(false);
    expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
    writeFileSync(join(data, 'targets.toml'), sshTargetToml(sshd, remote));
    const dir = join(data, 'experiments/default/models/far');
    const remoteDir = join(remote, 'experiments/default/models/far');
    const EPOCHS = 500;

    const first = await server(data);
    const overrides = ['runtime.executor=ssh', 'runtime.target=box', `training.epochs=${EPOCHS}`, 'training.batch_size=1', 'training.early_stopping.enabled=false', 'training.backend=cpu'];
    expect(await first.call('runs:start', { experiment: 'default', model: 'far', overrides })).toMatchObject({ ok: true, value: { state: 'running', executor: 'ssh', target: 'box' } });
    await vi.waitFor(() => expect(existsSync(join(dir, 'logs/metrics.jsonl')) && epochsIn(dir)).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Nobody follows it now: it trains on there while this folder stands still.
    const atDeath = epochsIn(dir);
    await vi.waitFor(() => expect(epochsIn(remoteDir)).toBeGreaterThan(atDeath + 3), { timeout: 30_000, interval: 100 });
    expect(epochsIn(dir)).toBe(atDeath);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('running');

    const emitted: Array<{ channel: string; payload: unknown }> = [];
    const backend = createBackend({ focus: { dataDir: data }, transport: 'browser', emit: (channel, payload) => void emitted.push({ channel, payload }) });
    // Opening the same folder again (and adopting by hand) must not attach a second follower.
    backend.setFocus({ dataDir: data });
    await backend.runs.adopt(workspace(data));
    await vi.waitFor(() => expect(backend.runs.state().jobs).toMatchObject([{ kind: 'attach', state: 'running', run: { experiment: 'default', model: 'far' }, executor: 'ssh', target: 'box' }]), { timeout: 10_000, interval: 50 });
    expect((await backend.runs.adopt(workspace(data))).adopted).toEqual([]);
    // Another run queue (another app, a terminal) leaves it to the follower that holds follow.json.
    // (The dead server's follow.json is stale: the new follower has taken it over.)
    await vi.waitFor(() => expect(JSON.parse(readFileSync(join(dir, 'follow.json'), 'utf8'))).toMatchObject({ pid: process.pid }), { timeout: 10_000, interval: 50 });
    const other = await new RunManager({ emit: () => undefined }).adopt(workspace(data));
    expect(other.adopted).toEqual([]);
    expect(other.skipped).toEqual([{ experiment: 'default', model: 'far', message: expect.stringMatching(/^not followed here: run .* is in use by pid \d+ on .* \(following pid \d+ on 127\.0\.0\.1 \(target box\)\)/) }]);

    await vi.waitFor(() => expect(epochsIn(dir)).toBeGreaterThan(atDeath), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(backend.runs.state().jobs[0]?.state).toBe('finished'), { timeout: 120_000, interval: 200 });
    expect(backend.runs.state().jobs).toHaveLength(1);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; epoch: number };
    expect(status).toMatchObject({ status: 'finished', epoch: EPOCHS });
    // Every epoch once: the local copy is the remote file, not two followers' appends.
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(epochsIn(dir)).toBe(EPOCHS);
    // The run folder came home whole (the remote lock aside, which is gone there too), of the checkpoints
    // the newest (runtime.fetch_checkpoints = "last", the default).
    expect(listTree(dir)).toEqual(expect.arrayContaining(listTree(remoteDir).filter((p) => !p.startsWith('checkpoints/') || p.startsWith(`checkpoints/model-checkpoint-epoch-${EPOCHS}`))));
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    expect(existsSync(join(dir, 'follow.json'))).toBe(false);
    // The UI heard the epochs after the restart and the end.
    const later = emitted.filter((e) => e.channel === 'runs:event').flatMap((e) => (e.payload as { events: Array<{ event: string; epoch?: number }> }).events);
    expect(later.filter((e) => e.event === 'epoch_end').at(-1)?.epoch).toBe(EPOCHS);
    expect(emitted.find((e) => e.channel === 'runs:exited')?.payload).toMatchObject({ state: 'finished' });
    expect(expman(['test', '--data', data, '--model', 'far']).code).toBe(0);
  }, 240_000);

  test('an adopted run is stopped from the UI: SIGTERM there, it ends stopped here with its folder home', async () => {
    const data = tempDataDir();
    const remote = tempDataDir(false);
    expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
    writeFileSync(join(data, 'targets.toml'), sshTargetToml(sshd, remote));
    const dir = join(data, 'experiments/default/models/endless');
    const remoteDir = join(remote, 'experiments/default/models/endless');
    const first = await server(data);
    const overrides = ['runtime.executor=ssh', 'runtime.target=box', 'training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu'];
    expect(await first.call('runs:start', { experiment: 'default', model: 'endless', overrides })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(existsSync(join(dir, 'logs/metrics.jsonl')) && epochsIn(dir)).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const backend = createBackend({ focus: { dataDir: data }, transport: 'browser', emit: () => undefined });
    await vi.waitFor(() => expect(backend.runs.state().jobs).toMatchObject([{ kind: 'attach', state: 'running' }]), { timeout: 10_000, interval: 50 });
    const atAdoption = epochsIn(dir);
    await vi.waitFor(() => expect(epochsIn(dir)).toBeGreaterThan(atAdoption), { timeout: 30_000, interval: 100 });
    const stopped = await backend.dispatch('runs:stop-run', { experiment: 'default', model: 'endless' });
    expect(stopped).toMatchObject({ ok: true, value: { status: 'stopped', live: null } });
    expect(backend.runs.state().jobs).toMatchObject([{ kind: 'attach', state: 'stopped' }]);
    expect(JSON.parse(readFileSync(join(remoteDir, 'status.json'), 'utf8')).status).toBe('stopped');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  }, 120_000);
});

describeIfAvailable(sshdUnavailable() ?? slurmUnavailable(), 'a Slurm job submitted through a login node is followed again by the next server (real Slurm + sshd)', () => {
  // Started in this order, stopped in the reverse (afterAll hooks run last-registered first).
  const slurm = useSlurm();
  const sshd = useSshd({ sshCommandEnv: (started) => loginSshCommand(started, slurm) });

  test('the server that submitted it dies; a new backend adopts the job, mirrors its epochs and scancels it from the UI', async () => {
    const data = tempDataDir();
    const remote = tempDataDir(false);
    expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
    writeFileSync(
      join(data, 'targets.toml'),
      `[hpc]\nexecutor = "slurm"\nhost = "127.0.0.1"\nuser = "${sshd.user}"\ndata = "${remote}"\npartition = "${slurm.partition}"\nexpman = "${targetExpman}"\n`,
    );
    const dir = join(data, 'experiments/default/models/job');
    const remoteDir = join(remote, 'experiments/default/models/job');
    const first = await server(data);
    const overrides = ['runtime.executor=slurm', 'runtime.target=hpc', 'training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu'];
    expect(await first.call('runs:start', { experiment: 'default', model: 'job', overrides })).toMatchObject({ ok: true, value: { executor: 'slurm', target: 'hpc' } });
    await vi.waitFor(() => expect(existsSync(join(dir, 'logs/metrics.jsonl')) && epochsIn(dir)).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const jobId = (JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8')) as { job_id: string }).job_id;

    const backend = createBackend({ focus: { dataDir: data }, transport: 'browser', emit: () => undefined });
    await vi.waitFor(() => expect(backend.runs.state().jobs).toMatchObject([{ kind: 'attach', state: 'running', executor: 'slurm', target: 'hpc' }]), { timeout: 10_000, interval: 50 });
    const atAdoption = epochsIn(dir);
    await vi.waitFor(() => expect(epochsIn(dir)).toBeGreaterThan(atAdoption), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(backend.runs.state().jobs[0]?.where).toMatch(new RegExp(`Slurm job ${jobId} RUNNING`)), { timeout: 10_000, interval: 50 });
    const stopped = await backend.dispatch('runs:stop-run', { experiment: 'default', model: 'job' });
    expect(stopped, slurm.logs()).toMatchObject({ ok: true, value: { status: 'stopped', live: null } });
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(existsSync(join(dir, `logs/slurm-${jobId}.out`))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8'))).toMatchObject({ state: 'CANCELLED' });
  }, 120_000);
});
