import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOverrides, resolveConfig } from '../../../src/core/config/resolve.js';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import { checkModelFits, parameterCount, trainingBytes } from '../../../src/core/training/model-size.js';
import { trainNewRun } from '../../../src/core/training/train.js';
import { workspace } from '../../../src/core/workspace.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const config = (...sets: string[]) => resolveConfig([parseOverrides(['training.backend=cpu', ...sets])]).values;
const iris = { inputs: 4, classes: 3 };
const GB = 1e9;

describe('the memory a model needs, checked before it is built', () => {
  it('counts the dense stack: weights and biases of every layer', () => {
    expect(parameterCount(config('model.hidden_units=[16, 16]'), iris)).toBe(4 * 16 + 16 + (16 * 16 + 16) + (16 * 3 + 3));
    expect(parameterCount(config('model.hidden_units=[]'), iris)).toBe(4 * 3 + 3);
    // Adam keeps five copies of each weight; sgd three.
    const adam = trainingBytes(config('model.hidden_units=[1000]', 'training.batch_size=1'), iris);
    const sgd = trainingBytes(config('model.hidden_units=[1000]', 'training.batch_size=1', 'training.optimizer=sgd'), iris);
    expect(adam).toBeGreaterThan(sgd!);
  });

  it('does not estimate a model module (its layers are the user\'s code, built before the run folder exists)', () => {
    const moduleConfig = config('model.type=mymodel', 'model.hidden_units=[16384, 16384]');
    expect(parameterCount(moduleConfig, iris)).toBeNull();
    expect(() => checkModelFits(moduleConfig, iris, { available: 1 * GB, maxBuffer: 4 * GB })).not.toThrow();
  });

  it('refuses a model larger than the memory available, in one line naming model.hidden_units', () => {
    const memory = { available: 1 * GB, maxBuffer: 4 * GB };
    expect(() => checkModelFits(config('model.hidden_units=[4096, 4096]'), iris, memory)).not.toThrow();
    let error: unknown;
    try {
      checkModelFits(config('model.hidden_units=[16384, 16384]'), iris, memory);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'OUT_OF_MEMORY', details: { key: 'model.hidden_units' } });
    expect((error as Error).message).toMatch(/^model\.hidden_units = \[16384,16384\]: training needs about 5\.4 GB \(268,\d{3},\d{3} parameters\), more than the 1\.0 GB of memory available; use fewer or smaller layers$/);
  });

  it('refuses a layer whose weights exceed the largest buffer, whatever the memory', () => {
    expect(() => checkModelFits(config('model.hidden_units=[65536, 65536]'), iris, { available: 1000 * GB, maxBuffer: 2 ** 32 })).toThrow(
      /one layer's weights would take 17\.2 GB, more than the largest buffer Node\.js can allocate \(4\.3 GB\); use smaller layers$/,
    );
  });

  it('an oversized model fails at once on the cpu backend and leaves no run folder', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 });
    const huge = `model.hidden_units=[${Array.from({ length: 16 }, () => 65536).join(', ')}]`;
    const started = Date.now();
    await expect(
      trainNewRun(ws, { experiment: 'exp', model: 'huge', config: resolveConfig([parseOverrides(['training.backend=cpu', huge])]), commandLine: ['expman', 'train'] }),
    ).rejects.toMatchObject({ code: 'OUT_OF_MEMORY', details: { key: 'model.hidden_units' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(join(ws.root, 'experiments/exp/models/huge'))).toBe(false);
  });
});
