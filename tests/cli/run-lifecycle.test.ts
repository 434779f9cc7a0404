import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { expman, expmanAsync, jsonLines, tempDataDir } from '../helpers/data-dir.js';

function prepared(): string {
  const data = tempDataDir();
  expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
  return data;
}

const LONG = ['--set', 'training.epochs=100000', '--set', 'training.early_stopping.enabled=false', '--set', 'training.backend=cpu'];

/** A `--json` training process and a way to wait for one of its events. */
function training(args: string[]) {
  const child = expmanAsync(['train', ...args, '--json']);
  const events: Array<{ event: string; epoch?: number }> = [];
  const waiters: Array<{ test: (e: { event: string; epoch?: number }) => boolean; resolve: () => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as { event: string; epoch?: number };
    events.push(event);
    for (const w of [...waiters]) if (w.test(event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    events,
    exited,
    stderr: () => stderr,
    until: (test: (e: { event: string; epoch?: number }) => boolean) => new Promise<void>((resolve) => waiters.push({ test, resolve })),
  };
}

const running: ChildProcess[] = [];

/** `kill(SIGSTOP)` returns before every thread has stopped: wait until /proc says the process is stopped (state T). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't') {
      // Every thread, not just the main one (libuv's pool writes files too).
      const tasks = readdirSync(`/proc/${pid}/task`);
      if (tasks.every((t) => { const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const c = s[s.lastIndexOf(')') + 2]; return c === 'T' || c === 't'; })) return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} did not stop`);
}
const mounts: string[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
  for (const mount of mounts.splice(0).reverse()) execFileSync('umount', ['-l', mount]);
});

function listed(data: string, model: string) {
  return jsonLines<{ runs: Array<{ model: string; status: string; live: string | null; pid?: number; host?: string }> }>(expman(['list', '--data', data, '--json']).stdout)[0]!.runs.find((r) => r.model === model);
}

function expectOneLine(stderr: string, message: RegExp): void {
  expect(stderr).not.toMatch(/internal error/);
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr.trim()).toMatch(message);
}

describe('one writer per run folder (lock.json)', () => {
  it('refuses resume and test while a run trains; a killed run’s lock is stale and taken over', async () => {
    const data = prepared();
    const dir = join(data, 'experiments/default/models/locked');
    const run = training(['--data', data, '--model', 'locked', '--set', 'checkpoints.every=1', ...LONG]);
    running.push(run.child);
    await run.until((e) => e.event === 'checkpoint_saved');

    const lock = JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8'));
    expect(lock).toMatchObject({ pid: run.child.pid, host: hostname(), command: expect.stringContaining('train --data') });
    expect(typeof lock.proc_start).toBe('number');
    expect(listed(data, 'locked')).toMatchObject({ status: 'running', live: 'here', pid: run.child.pid, host: hostname() });

    const resume = expman(['train', '--resume', dir]);
    expect(resume.code).toBe(1);
    expectOneLine(resume.stderr, new RegExp(`cannot resume: run .*locked is in use by pid ${run.child.pid} on ${hostname()}`));
    const test = expman(['test', '--data', data, '--model', 'locked']);
    expect(test.code).toBe(1);
    expectOneLine(test.stderr, new RegExp(`cannot test: .*in use by pid ${run.child.pid}`));

    run.child.kill('SIGKILL');
    await run.exited;
    // The lock stays behind, but its process is gone: the run reads as failed, nobody live.
    expect(existsSync(join(dir, 'lock.json'))).toBe(true);
    expect(listed(data, 'locked')).toMatchObject({ status: 'failed', live: null });

    const resumed = training(['--resume', dir]);
    running.push(resumed.child);
    await resumed.until((e) => e.event === 'epoch_end');
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toMatch(new RegExp(`took over the stale lock of pid ${run.child.pid} .*: pid ${run.child.pid} is not running`));
    expect(JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')).pid).toBe(resumed.child.pid);
    resumed.child.kill('SIGTERM');
    expect((await resumed.exited).code).toBe(143);
    // Released on a signal's clean stop.
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    expect(listed(data, 'locked')).toMatchObject({ status: 'stopped', live: null });
  });

  it('a lock whose pid now belongs to another process (reused) is stale; one from another host is not', () => {
    const data = prepared();
    expect(expman(['train', '--data', data, '--model', 'r', '--set', 'training.epochs=2']).code).toBe(0);
    const dir = join(data, 'experiments/default/models/r');
    // pid 1 is alive, but it started long before this lock claims: the pid was reused.
    writeFileSync(join(dir, 'lock.json'), JSON.stringify({ pid: 1, host: hostname(), started: new Date().toISOString(), proc_start: 999_999_999, command: 'old' }));
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    writeFileSync(join(dir, 'status.json'), JSON.stringify({ ...status, status: 'stopped' }));
    const ok = expman(['train', '--resume', dir]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toMatch(/took over the stale lock of pid 1 .*pid 1 was reused by another process/);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);

    writeFileSync(join(dir, 'status.json'), JSON.stringify({ ...status, status: 'running', host: 'gpu-node-7', pid: 4242 }));
    writeFileSync(join(dir, 'lock.json'), JSON.stringify({ pid: 4242, host: 'gpu-node-7', started: new Date().toISOString(), command: 'expman train' }));
    expect(listed(data, 'r')).toMatchObject({ status: 'running', live: 'elsewhere', pid: 4242, host: 'gpu-node-7' });
    const refused = expman(['test', '--data', data, '--model', 'r']);
    expect(refused.code).toBe(1);
    expectOneLine(refused.stderr, /cannot test: .* in use by pid 4242 on gpu-node-7/);
  });

  it('a second Ctrl-C exits at once and still releases the lock', async () => {
    const data = prepared();
    const dir = join(data, 'experiments/default/models/twice');
    const run = training(['--data', data, '--model', 'twice', ...LONG]);
    running.push(run.child);
    await run.until((e) => e.event === 'epoch_end');
    expect(existsSync(join(dir, 'lock.json'))).toBe(true);
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  });
});

const asRoot = process.getuid?.() === 0;

describe('system failures during a run: one line, exit 1, no orphan', () => {
  it.skipIf(!asRoot)('a full disk during training fails the run with one line; a full disk at creation leaves no run folder', async () => {
    const data = prepared();
    const small = mkdtempSync(join(tmpdir(), 'expman-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    mounts.push(small);
    execFileSync('cp', ['-r', join(data, 'datasets'), small]);
    // Checkpoints every epoch and kept: the disk fills after a few epochs.
    const full = expman(['train', '--data', small, '--model', 'filled', '--set', 'checkpoints.every=1', '--set', 'checkpoints.keep_last=0', '--set', 'logging.batch_interval_ms=0', ...LONG]);
    expect(full.code).toBe(1);
    expectOneLine(full.stderr, /^expman: error: no space left on the device writing .*filled.* \(ENOSPC\)$/);
    expect(existsSync(join(small, 'experiments/default/models/filled/lock.json'))).toBe(false);
    expect(listed(small, 'filled')?.status).toBe('failed');

    // Now the disk is full before a run starts: its folder cannot be completed and must not stay behind.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(small, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd ends with "No space left on device": that is the point
    }
    const orphan = expman(['train', '--data', small, '--model', 'fresh', '--set', 'training.epochs=2']);
    expect(orphan.code).toBe(1);
    expectOneLine(orphan.stderr, /no space left on the device writing .*fresh/);
    expect(readdirSync(join(small, 'experiments/default/models')).sort()).toEqual(['filled']);
    rmSync(join(small, 'filler'));
    rmSync(join(small, 'experiments/default/models/filled'), { recursive: true });
    const retry = expman(['train', '--data', small, '--model', 'fresh', '--set', 'training.epochs=2']);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
  });

  it.skipIf(!asRoot)('a read-only data folder: resume and test say so in one line', () => {
    const data = prepared();
    expect(expman(['train', '--data', data, '--model', 'ro', '--set', 'training.epochs=2']).code).toBe(0);
    const status = JSON.parse(readFileSync(join(data, 'experiments/default/models/ro/status.json'), 'utf8'));
    writeFileSync(join(data, 'experiments/default/models/ro/status.json'), JSON.stringify({ ...status, status: 'stopped' }));
    const ro = mkdtempSync(join(tmpdir(), 'expman-ro-'));
    execFileSync('mount', ['--bind', data, ro]);
    mounts.push(ro);
    execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
    const resume = expman(['train', '--resume', join(ro, 'experiments/default/models/ro')]);
    expect(resume.code).toBe(1);
    expectOneLine(resume.stderr, /^expman: error: cannot write .*ro.*: read-only file system$/);
    const test = expman(['test', '--data', ro, '--model', 'ro']);
    expect(test.code).toBe(1);
    expectOneLine(test.stderr, /^expman: error: cannot write .*: read-only file system$/);
  });

  it('the run folder removed while training: one line, exit 1, nothing recreated', async () => {
    const data = prepared();
    const dir = join(data, 'experiments/default/models/gone');
    const run = training(['--data', data, '--model', 'gone', ...LONG]);
    running.push(run.child);
    await run.until((e) => e.event === 'epoch_end' && e.epoch === 2);
    // Paused while the folder goes, so that `rm -rf` does not race the trainer's own writes.
    run.child.kill('SIGSTOP');
    await stopped(run.child.pid!);
    rmSync(dir, { recursive: true, force: true });
    run.child.kill('SIGCONT');
    const exit = await run.exited;
    expectOneLine(run.stderr(), /^expman: error: run folder .*gone was removed while the run was (training|using it)/);
    expect(exit.code).toBe(1);
    expect(existsSync(dir)).toBe(false);
  });

  it('a model too large for memory: refused before it is built (cpu grew to many GB first), one line, exit 1, no run folder', () => {
    const data = prepared();
    for (const backend of ['wasm', 'cpu']) {
      const started = Date.now();
      const result = expman(['train', '--data', data, '--model', 'huge', '--set', 'model.hidden_units=[65536,65536]', '--set', 'training.epochs=1', '--set', `training.backend=${backend}`]);
      expect(result.code, backend).toBe(1);
      expectOneLine(result.stderr, /^expman: error: model\.hidden_units = \[65536,65536\]: .*; use (fewer or )?smaller layers$/);
      expect(Date.now() - started, backend).toBeLessThan(30_000);
      expect(existsSync(join(data, 'experiments/default/models/huge')), backend).toBe(false);
    }
  });
});
