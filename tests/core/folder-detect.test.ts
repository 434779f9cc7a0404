import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { detectFolder } from '../../src/core/folder-detect.js';

const root = mkdtempSync(join(tmpdir(), 'expman-detect-'));
const data = join(root, 'data');
const exp = join(data, 'experiments', 'exp1');
const model = join(exp, 'models', 'run-1');
mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
mkdirSync(join(model, 'logs'), { recursive: true });
mkdirSync(join(model, 'checkpoints', 'model-checkpoint-epoch-2'), { recursive: true });
writeFileSync(join(model, 'config.toml'), '');
mkdirSync(join(root, 'elsewhere'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('detectFolder', () => {
  test('recognises a data root, an experiment and a model folder', async () => {
    expect(await detectFolder(data)).toEqual({ kind: 'data', dataDir: data });
    expect(await detectFolder(exp)).toEqual({ kind: 'experiment', dataDir: data, experiment: 'exp1' });
    expect(await detectFolder(`${model}/`)).toEqual({ kind: 'model', dataDir: data, experiment: 'exp1', model: 'run-1' });
  });

  test('a folder inside a run opens the run', async () => {
    expect(await detectFolder(join(model, 'logs'))).toMatchObject({ kind: 'model', model: 'run-1' });
    expect(await detectFolder(join(model, 'checkpoints', 'model-checkpoint-epoch-2'))).toMatchObject({ kind: 'model', model: 'run-1' });
  });

  test('anything else gets a message that says what a data folder is', async () => {
    await expect(detectFolder(join(root, 'elsewhere'))).rejects.toMatchObject({
      code: 'DATA_DIR',
      message: expect.stringMatching(/is not an Experiment Manager data folder: open a folder that contains datasets\/ or experiments\//),
    });
    await expect(detectFolder(join(root, 'missing'))).rejects.toMatchObject({ code: 'DATA_DIR', message: expect.stringMatching(/is not a folder$/) });
    await expect(detectFolder(join(model, 'config.toml'))).rejects.toMatchObject({ code: 'DATA_DIR' });
  });
});
