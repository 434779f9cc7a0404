import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import { tempDataDir } from '../../helpers/data-dir.js';

test('targets:list: the targets of targets.toml for the launcher; none without the file; a broken file is its config error', async () => {
  const dir = tempDataDir(false);
  const b = createBackend({ focus: { dataDir: dir }, transport: 'browser', emit: () => undefined });
  expect(await b.dispatch('targets:list', {})).toEqual({ ok: true, value: [] });
  writeFileSync(join(dir, 'targets.toml'), '[cluster]\nexecutor = "slurm"\npartition = "gpu"\n\n[box]\nexecutor = "ssh"\nhost = "gpu.lab"\ndata = "/scratch/x"\n');
  expect(await b.dispatch('targets:list', {})).toEqual({
    ok: true,
    value: [
      { name: 'cluster', executor: 'slurm', description: 'slurm submit here, partition gpu' },
      { name: 'box', executor: 'ssh', description: 'ssh gpu.lab data /scratch/x' },
    ],
  });
  writeFileSync(join(dir, 'targets.toml'), '[cluster]\nexecutor = "slurm"\ncpu = 4\n');
  expect(await b.dispatch('targets:list', {})).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', details: { line: 3, key: 'cluster.cpu' } } });
});
