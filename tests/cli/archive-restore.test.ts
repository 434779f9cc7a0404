import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { craftArchive } from '../core/archive/craft-archive.js';
import { cliBundle, expman, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';

const mounted: string[] = [];
afterEach(() => {
  while (mounted.length) spawnSync('umount', ['-l', mounted.pop()!]);
});

/** Root can mount a small tmpfs to make a real full or read-only disk; elsewhere these tests are skipped. */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = tempDataDir(false);
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
})();

function mount(at: string, options: string): void {
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]);
  mounted.push(at);
}

const temps = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('.tmp-'));

function spawnExpman(args: string[]) {
  return spawn(process.execPath, [cliBundle, ...args], { cwd: repoRoot, env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  return new Promise((resolveWait) => {
    const poll = () => (check() ? resolveWait(true) : Date.now() > until ? resolveWait(false) : setTimeout(poll, 25));
    poll();
  });
}

describe('expman archive restore: failures are one line and exit 1', () => {
  it.skipIf(!canMount)('onto a full disk: names the file and ENOSPC, restores nothing, leaves no temporary', () => {
    const work = tempDataDir(false);
    const into = join(work, 'small');
    mount(into, 'size=1m');
    const file = join(work, 'a.tar.gz');
    writeFileSync(file, craftArchive([{ path: 'big.bin', type: 'File', data: Buffer.alloc(3 << 20, 5) }]));
    const result = expman(['archive', 'restore', file, '--into', into]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('expman: error: big.bin: cannot restore (ENOSPC: no space left on device); nothing was changed\n');
    expect(readdirSync(into)).toEqual([]);
  });

  it.skipIf(!canMount)('into a read-only folder: one line, exit 1 (not an internal error)', () => {
    const work = tempDataDir(false);
    const into = join(work, 'ro');
    mount(into, 'ro,size=64k');
    const file = join(work, 'a.tar.gz');
    writeFileSync(file, craftArchive([{ path: 'a.txt', type: 'File', data: 'a' }]));
    const result = expman(['archive', 'restore', file, '--into', into]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^expman: error: \S+: cannot restore \(EROFS: read-only file system\); nothing was changed\n$/);
  });
});

describe('expman archive restore and signals', () => {
  it('the first SIGTERM while waiting to open a pipe ends the command (exit 143)', async () => {
    const work = tempDataDir(false);
    const fifo = join(work, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    const into = join(work, 'into');
    const child = spawnExpman(['archive', 'restore', fifo, '--into', into]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    // The staging folder appears just before the input is opened (a restore that checks first opens it sooner).
    await waitFor(() => existsSync(into) && temps(into).length > 0, 3000);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(143);
    expect(stderr).toContain('restore cancelled; nothing was changed');
    expect(existsSync(into)).toBe(false);
  });

  it('after a SIGKILL, the next restore into the same folder removes what the killed one left', async () => {
    const work = tempDataDir(false);
    const fifo = join(work, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    const into = join(work, 'into');
    mkdirSync(into);
    writeFileSync(join(into, 'keep.txt'), 'keep');
    const child = spawnExpman(['archive', 'restore', fifo, '--into', into]);
    const exited = new Promise((resolveExit) => child.on('exit', resolveExit));
    expect(await waitFor(() => temps(into).length > 0, 10_000)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(temps(into)).toHaveLength(1);
    const file = join(work, 'a.tar.gz');
    writeFileSync(file, craftArchive([{ path: 'a.txt', type: 'File', data: 'a' }]));
    const result = expman(['archive', 'restore', file, '--into', into]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(into).sort()).toEqual(['a.txt', 'keep.txt']);
  });
});
