import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArchive } from '../../../src/core/archive/create.js';
import { findLiveRuns, REMOTE_LIVE_WINDOW_MS } from '../../../src/core/archive/live-runs.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { writeDataTree } from '../../helpers/data-tree.js';

/** The run's lock, as its one writer (`pid` on this host) holds it while training. */
function setLock(data: string, run: string, pid: number): void {
  writeFileSync(join(data, run, 'lock.json'), JSON.stringify({ pid, host: hostname(), started: new Date().toISOString(), command: 'expman train' }));
}

function setStatus(data: string, run: string, fields: Record<string, unknown>): void {
  const file = join(data, run, 'status.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...fields }));
}

describe('archiving while a run trains', () => {
  it('lists live runs: locked by a live process here, or running and recently updated elsewhere', async () => {
    const data = tempDataDir();
    writeDataTree(data, { weights: 100 });
    const now = Date.now();
    setStatus(data, 'experiments/e1/models/run-0', { status: 'running', pid: process.pid, host: hostname(), updated: new Date(now).toISOString() });
    setLock(data, 'experiments/e1/models/run-0', process.pid);
    setStatus(data, 'experiments/e2/models/run-1', { status: 'running', pid: 1, host: 'gpu-box', updated: new Date(now - 60_000).toISOString() });
    expect((await findLiveRuns(data, now)).map((r) => r.path)).toEqual(['experiments/e1/models/run-0', 'experiments/e2/models/run-1']);
    // Elsewhere and silent for longer than the window: a crashed run, not a live one.
    expect((await findLiveRuns(data, now + REMOTE_LIVE_WINDOW_MS)).map((r) => r.path)).toEqual(['experiments/e1/models/run-0']);
    // Here, with a process that has exited: crashed.
    const gone = execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).trim();
    setStatus(data, 'experiments/e1/models/run-0', { pid: Number(gone) });
    setLock(data, 'experiments/e1/models/run-0', Number(gone));
    expect((await findLiveRuns(data, now)).map((r) => r.path)).toEqual(['experiments/e2/models/run-1']);
  });

  it('skips the checkpoint being written, leaves out a checkpoint deleted mid-archive whole, and records live runs', async () => {
    const data = tempDataDir();
    writeDataTree(data, { weights: 300_000 });
    const run = 'experiments/e2/models/run-1';
    setStatus(data, run, { status: 'running', pid: process.pid, host: hostname() });
    setLock(data, run, process.pid);
    const out = join(tempDataDir(false), 'live.tar.gz');
    let deleted = false;
    const result = await createArchive({
      dataDir: data,
      out,
      onProgress: () => {
        if (deleted) return;
        // The trainer prunes an old checkpoint after the folder was listed: all of it or nothing goes in.
        rmSync(join(data, run, 'checkpoints/model-checkpoint-epoch-1'), { recursive: true });
        deleted = true;
      },
    });
    expect(result.liveRuns.map((r) => r.path)).toEqual([run]);
    // The folder is listed as it is archived: a checkpoint gone before the walk reaches it is simply not
    // there; one gone between its listing and its files' opening is named as skipped. Never half of one.
    for (const s of result.skipped) expect(s).toEqual({ path: `${run}/checkpoints/model-checkpoint-epoch-1`, reason: 'removed while archiving (a replaced checkpoint)' });
    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' });
    expect(listing).not.toContain('.tmp-');
    expect(listing).not.toContain(`${run}/checkpoints/model-checkpoint-epoch-1`);
    expect(listing).toContain(`${run}/checkpoints/model-checkpoint-epoch-2/weights.bin`);
    expect((await verifyArchive(out)).ok).toBe(true);
  });

  it("leaves out run folders' lock.json and follow.json (liveness, not data), and nothing else of those names", async () => {
    const data = tempDataDir();
    writeDataTree(data, { weights: 100 });
    const run = 'experiments/e1/models/run-0';
    writeFileSync(join(data, run, 'lock.json'), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), command: 'train' }));
    writeFileSync(join(data, run, 'follow.json'), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), command: 'following Slurm job 7' }));
    writeFileSync(join(data, 'experiments', 'e1', 'lock.json'), '{"a user file": true}');
    writeFileSync(join(data, 'experiments', 'e1', 'follow.json'), '{"a user file": true}');
    const out = join(tempDataDir(false), 'locks.tar.gz');
    await createArchive({ dataDir: data, out });
    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n');
    expect(listing).not.toContain(`${run}/lock.json`);
    expect(listing).not.toContain(`${run}/follow.json`);
    expect(listing).toContain(`${run}/status.json`);
    expect(listing).toContain('experiments/e1/lock.json');
    expect(listing).toContain('experiments/e1/follow.json');
  });
});
