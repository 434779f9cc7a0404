import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expman, listTree, tempDataDir } from '../helpers/data-dir.js';

/** Runs a failing command and checks: one clear line on stderr, the exit code, data folder unchanged. */
function expectCleanFailure(data: string, args: string[], message: RegExp, code = 1): void {
  const before = listTree(data);
  const result = expman([...args, '--data', data]);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(message);
  expect(listTree(data)).toEqual(before);
}

describe('hostile input to preprocess, config show and train', () => {
  it('--seed outside 0..4294967295 is refused before anything is written', () => {
    const data = tempDataDir();
    for (const seed of ['-1', '1e99', '4294967296']) {
      expectCleanFailure(data, ['preprocess', `--seed=${seed}`], /^expman: error: --seed must be a whole number from 0 to 4294967295, got /, 2);
    }
  });

  it('a quoted label with a comma, and a label that is not UTF-8, are named as such with file:line', () => {
    const data = tempDataDir();
    writeFileSync(join(data, 'datasets/external/quoted.csv'), 'a,b,species\n1,2,x\n3,4,"setosa, var"\n');
    writeFileSync(join(data, 'datasets/external/latin1.csv'), Buffer.concat([Buffer.from('a,b,species\n1,2,x\n3,4,y\n5,6,'), Buffer.from([0xe9, 0x74, 0xe9]), Buffer.from('\n')]));
    expectCleanFailure(data, ['preprocess', '--dataset', 'quoted'], /^expman: error: datasets\/external\/quoted\.csv:3:3: quoted fields are not supported \(column "species"\)/);
    expectCleanFailure(data, ['preprocess', '--dataset', 'latin1'], /^expman: error: datasets\/external\/latin1\.csv:4:3: column "species" is not valid UTF-8/);
  });

  it('data.dataset outside the datasets folder is refused by config show and train, with file:line', () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data]).code).toBe(0);
    mkdirSync(join(data, 'experiments/escape'), { recursive: true });
    writeFileSync(join(data, 'experiments/escape/config.toml'), '[data]\ndataset = "../../elsewhere"\n');
    const message = /experiments\/escape\/config\.toml:2:1: data\.dataset: expected dataset name \(letters, digits.*\), got string "\.\.\/\.\.\/elsewhere"$/;
    expectCleanFailure(data, ['config', 'show', '--experiment', 'escape'], message);
    expectCleanFailure(data, ['train', '--experiment', 'escape'], message);
    expectCleanFailure(data, ['train', '--set', 'data.dataset=/etc'], /data\.dataset: expected dataset name/);
  });

  it('a config.toml saved with a UTF-8 BOM is read like any other', () => {
    const data = tempDataDir();
    mkdirSync(join(data, 'experiments/bom'), { recursive: true });
    writeFileSync(join(data, 'experiments/bom/config.toml'), '\uFEFF[training]\nepochs = 7\n');
    const shown = expman(['config', 'show', '--data', data, '--experiment', 'bom', '--origin']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/epochs = 7 .*config\.toml:2/);
  });
});
