import { readFileSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/load.js';
import { prepareRun } from '../../../src/core/training/train.js';
import { readStatus } from '../../../src/core/training/run-store.js';
import { workspace } from '../../../src/core/workspace.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { expman, tempDataDir } from '../../helpers/data-dir.js';

const examples = join(import.meta.dirname, '../../../examples/models');

/**
 * The app's path: the server process prepares a queued run (config snapshot + module copy) without
 * importing the module; the worker (`expman train --resume <dir>`, a real child process) checks and trains.
 */
describe('a queued model-module run (the app path)', () => {
  it('is prepared without running module code; the worker trains from the copy, and a bad param fails the run in one line', async () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data, '--separate-sets']).code).toBe(0);
    mkdirSync(join(data, 'models'));
    // Importing this module in the server process would set the flag.
    writeFileSync(join(data, 'models/spy.mjs'), `globalThis.__expmanSpyImported = true;\n${readFileSync(join(examples, 'residual-mlp.mjs'), 'utf8')}`);
    mkdirSync(join(data, 'experiments/q'), { recursive: true });
    writeFileSync(join(data, 'experiments/q/config.toml'), '[model]\ntype = "spy"\n[model.params]\nunits = 8\n[training]\nepochs = 3\nbackend = "cpu"\n');
    const ws = workspace(data);

    const good = await prepareRun(ws, { experiment: 'q', model: 'good', config: await loadConfig(ws, { experiment: 'q' }), commandLine: ['test'] }, 'queued');
    good.lock.release();
    const bad = await prepareRun(ws, { experiment: 'q', model: 'bad', config: await loadConfig(ws, { experiment: 'q', overrides: ['model.params.depth=3'] }), commandLine: ['test'] }, 'queued');
    bad.lock.release();
    expect((globalThis as { __expmanSpyImported?: boolean }).__expmanSpyImported).toBeUndefined();
    expect(readFileSync(join(good.dir, 'model-module.mjs'), 'utf8')).toContain('__expmanSpyImported');
    expect((await readStatus(good.dir))!.status).toBe('queued');

    // The module in $DATA changes after queuing: the run trains what was queued.
    copyFileSync(join(examples, 'digits-cnn.mjs'), join(data, 'models/spy.mjs'));
    const ok = expman(['train', '--data', data, '--resume', good.dir]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect((await readStatus(good.dir))!.status).toBe('finished');

    const failed = expman(['train', '--data', data, '--resume', bad.dir]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/model\.params\.depth: unknown key for model module .*models\/bad\/model-module\.mjs \(it accepts: units, blocks, activation\)/);
    const status = (await readStatus(bad.dir))!;
    expect(status.status).toBe('failed');
    expect(status.error!.code).toBe('CONFIG_INVALID');
  });

  it("RunManager's re-run copies the original run's module, not the edited one in $DATA/models", async () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data, '--separate-sets']).code).toBe(0);
    mkdirSync(join(data, 'models'));
    copyFileSync(join(examples, 'residual-mlp.mjs'), join(data, 'models/res.mjs'));
    mkdirSync(join(data, 'experiments/r'), { recursive: true });
    writeFileSync(join(data, 'experiments/r/config.toml'), '[model]\ntype = "res"\n[training]\nepochs = 2\nbackend = "cpu"\n');
    expect(expman(['train', '--data', data, '--experiment', 'r', '--model', 'orig']).code).toBe(0);
    const original = readFileSync(join(data, 'models/res.mjs'));
    writeFileSync(join(data, 'models/res.mjs'), '// edited\n' + original.toString());
    // Concurrency 0: the re-run is prepared and queued, and no worker starts.
    const manager = new RunManager({ emit: () => undefined, concurrency: 0 });
    const job = await manager.rerun(workspace(data), { experiment: 'r', model: 'orig' });
    const dir = join(data, 'experiments/r/models', job.run.model);
    expect(job.state).toBe('queued');
    expect(readFileSync(join(dir, 'model-module.mjs'))).toEqual(original);
    expect(readFileSync(join(dir, 'config.toml'), 'utf8')).toContain('model_module_source = "experiments/r/models/orig/model-module.mjs"');
  });
});
