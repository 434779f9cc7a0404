import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runRsync } from '../../../src/core/sync/rsync-process.js';
import { repoRoot, tempDataDir } from '../../helpers/data-dir.js';
import { fakeWeights } from '../../helpers/data-tree.js';
import { processesOf, until } from '../../helpers/processes.js';

function slowTransfer(): { src: string; dest: string } {
  const src = tempDataDir(false);
  writeFileSync(join(src, 'w.bin'), fakeWeights(3_000_000, 7)); // 12 MB at 500 KiB/s: ~24 s
  const dest = join(tempDataDir(false), 'dest');
  mkdirSync(dest);
  return { src, dest };
}

describe('runRsync', () => {
  it.skipIf(process.platform !== 'linux')('rsync does not outlive a SIGKILLed parent, even when it writes nothing that could fail', async () => {
    // The parent: a plain Node process running runRsync. This rsync prints nothing until the end, so a
    // closed output pipe cannot end it: only the watchdog can.
    const work = tempDataDir(false);
    const module = join(work, 'rsync-process.mjs');
    await build({ entryPoints: [join(repoRoot, 'src/core/sync/rsync-process.ts')], outfile: module, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
    const { src, dest } = slowTransfer();
    const driver = `import { runRsync } from ${JSON.stringify(module)};\nawait runRsync('rsync', ['-a', '--bwlimit=500', ${JSON.stringify(`${src}/`)}, ${JSON.stringify(`${dest}/`)}]);\n`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', driver], { stdio: 'ignore' });
    expect(await until(() => readdirSync(dest).some((name) => name.startsWith('.w.bin.')), 10_000)).toBe(true);
    expect(processesOf('rsync', dest).length).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    const gone = await until(() => processesOf('rsync', dest).length === 0, 2000);
    for (const pid of processesOf('rsync', dest)) process.kill(pid, 'SIGKILL'); // never leave one behind
    expect(gone, 'rsync outlived its parent').toBe(true);
    // Stopped with SIGTERM, rsync removed its temporary file itself.
    expect(readdirSync(dest).filter((name) => name.startsWith('.w.bin.'))).toEqual([]);
  });

  it('aborting stops the whole group: SIGTERM, the partial file kept in --partial-dir', async () => {
    const { src, dest } = slowTransfer();
    const controller = new AbortController();
    const running = runRsync('rsync', ['-a', '--partial-dir=.rsync-partial', '--bwlimit=500', `${src}/`, `${dest}/`], { signal: controller.signal });
    expect(await until(() => readdirSync(dest).some((name) => name.startsWith('.w.bin.')), 10_000)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result.code).toBe(20); // rsync's "received SIGINT, SIGTERM, or SIGHUP"
    expect(processesOf('rsync', dest)).toEqual([]);
    expect(existsSync(join(dest, '.rsync-partial', 'w.bin'))).toBe(true);
    expect(readdirSync(dest).filter((name) => name.startsWith('.w.bin.'))).toEqual([]);
  });
});
