import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { runManagerLauncher } from '../../../src/core/sweeps/launcher.js';
import { newStatus, writeStatus } from '../../../src/core/training/run-store.js';
import { paths, workspace } from '../../../src/core/workspace.js';

const data = mkdtempSync(join(tmpdir(), 'expman-sweep-launcher-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

test('stopping a trial whose run has just ended by itself resolves (the sweep neither fails nor loses the trial)', async () => {
  // A trial that finishes between the controller's last poll and its stop (pruned, or the sweep stopped):
  // no job, no live lock any more.
  const ws = workspace(data);
  const dir = paths.modelDir(ws, 'default', 'ended-t0000');
  mkdirSync(dir, { recursive: true });
  await writeStatus(dir, { ...newStatus(3), status: 'finished', epoch: 3 });
  const launcher = runManagerLauncher(new RunManager({ emit: () => undefined, concurrency: 1 }));
  await expect(launcher.stop(ws, { experiment: 'default', model: 'ended-t0000' })).resolves.toBeUndefined();
});
