import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { procStartTime, processMatches } from '../../../src/core/runs/lock.js';
import { stopLiveRun } from '../../../src/core/runs/stop.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A real process that ignores SIGTERM, holding the lock of a `running` run folder. */
async function stubbornRun(procStart?: (actual: number) => number): Promise<{ dir: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise((r) => child.stdout.once('data', r));
  const dir = join(tempDataDir(false), 'experiments/e/models/m');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const actual = procStartTime(child.pid!)!;
  writeFileSync(join(dir, 'lock.json'), JSON.stringify({ pid: child.pid, host: hostname(), started: new Date().toISOString(), proc_start: procStart ? procStart(actual) : actual, command: 'stubborn' }));
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ status: 'running', pid: child.pid, host: hostname(), started: '', updated: '', epoch: 3, epochs: 10, best: null }));
  return { dir, child };
}

describe('stopping a live run through its lock', () => {
  test('SIGTERM, then SIGKILL after the grace period; the killed run is recorded as stopped', async () => {
    const { dir, child } = await stubbornRun();
    const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
    const started = Date.now();
    const outcome = await stopLiveRun(dir, { graceMs: 500 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(outcome).toEqual({ signal: 'SIGKILL', ended: true, pid: child.pid });
    expect(await exited).toBe('SIGKILL');
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('stopped');
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toMatch(/stopped with SIGKILL/);
  });

  test('a lock whose pid was reused is never signalled: RUN_NOT_LIVE', async () => {
    const { dir, child } = await stubbornRun((actual) => actual - 1);
    await expect(stopLiveRun(dir, { graceMs: 100 })).rejects.toMatchObject({ code: 'RUN_NOT_LIVE' });
    expect(processMatches(child.pid!)).toBe(true);
  });

  test('a run live on another host cannot be stopped from here', async () => {
    const dir = join(tempDataDir(false), 'r');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock.json'), JSON.stringify({ pid: 1, host: 'elsewhere-host', started: '', command: '' }));
    await expect(stopLiveRun(dir)).rejects.toMatchObject({ code: 'RUN_NOT_LIVE', message: expect.stringContaining('running on elsewhere-host') });
  });
});
