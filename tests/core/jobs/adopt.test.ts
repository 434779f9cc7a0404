import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { processMatches } from '../../../src/core/runs/lock.js';
import { expman, repoRoot, tempDataDir, testLogDir } from '../../helpers/data-dir.js';

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
