import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExperimentConfig, saveExperimentConfig, validateConfigText } from '../../../src/core/config/experiment-config.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { configSchemaDto } from '../../../src/core/config/schema-dto.js';
import { CONFIG_KEYS, CONFIG_SCHEMA } from '../../../src/core/config/schema.js';
import { ExpmanError } from '../../../src/core/errors.js';
import { paths, workspace } from '../../../src/core/workspace.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const EXPERIMENT_TEXT = '# tuned\n[training]\nepochs = 30\nlearning_rate = 0.05\n\n[model]\nhidden_units = [8]\n';

function workspaceWithDefaults() {
  const ws = workspace(tempDataDir(false));
  writeFileSync(paths.defaultConfig(ws), '[training]\nepochs = 99\nbatch_size = 4\n\n[logging]\nlevel = "warn"\n');
  return ws;
}

describe('validateConfigText', () => {
  it('resolves values and origins exactly as loadConfig does once the text is saved', async () => {
    const ws = workspaceWithDefaults();
    const overrides = ['training.seed=7', 'training.epochs=12'];
    const result = await validateConfigText(ws, 'e1', EXPERIMENT_TEXT, overrides);
    expect(result.ok).toBe(true);
    expect(result.issues).toEqual([]);
    expect(result.values).toEqual({ 'training.epochs': 30, 'training.learning_rate': 0.05, 'model.hidden_units': [8] });

    await saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, null);
    const loaded = await loadConfig(ws, { experiment: 'e1', overrides });
    expect(result.resolved.map((entry) => entry.key)).toEqual(CONFIG_KEYS);
    for (const entry of result.resolved) {
      const key = entry.key as (typeof CONFIG_KEYS)[number];
      expect(entry.value, key).toEqual(loaded.values[key]);
      expect(entry.origin, key).toEqual(loaded.origins[key]);
    }
    const byKey = Object.fromEntries(result.resolved.map((entry) => [entry.key, entry]));
    expect(byKey['training.epochs']!.origin).toEqual({ kind: 'override', text: 'training.epochs=12' });
    expect(byKey['training.learning_rate']!.origin).toEqual({ kind: 'config', file: paths.experimentConfig(ws, 'e1'), line: 4, column: 1 });
    expect(byKey['training.batch_size']!.origin).toMatchObject({ kind: 'default-config.toml', line: 3 });
    expect(byKey['training.optimizer']!.origin).toEqual({ kind: 'default' });
  });

  it('gives the inherited values: what a key falls back to without the edited text', async () => {
    const ws = workspaceWithDefaults();
    const result = await validateConfigText(ws, 'e1', EXPERIMENT_TEXT);
    const inherited = Object.fromEntries(result.inherited.map((entry) => [entry.key, entry]));
    expect(inherited['training.epochs']).toMatchObject({ value: 99, origin: { kind: 'default-config.toml' } });
    expect(inherited['training.learning_rate']).toMatchObject({ value: CONFIG_SCHEMA['training.learning_rate'].default, origin: { kind: 'default' } });
  });

  it('reports every problem with line, column, the range to underline, the key and the expected type', async () => {
    const ws = workspaceWithDefaults();
    const text = '[training]\nepochs = "many"  # oops\nbatch_size = 16\nepoch = 3\n';
    const result = await validateConfigText(ws, 'e1', text);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      {
        message: 'expected integer ≥ 1 and ≤ 1000000, got string "many"',
        key: 'training.epochs',
        expected: 'integer ≥ 1 and ≤ 1000000',
        line: 2,
        column: 1,
        endLine: 2,
        endColumn: 16,
      },
      { message: 'unknown key (did you mean training.epochs?)', key: 'training.epoch', line: 4, column: 1, endLine: 4, endColumn: 10 },
    ]);
    // The valid keys still count, so the form and the resolved table stay useful while editing.
    expect(result.values).toEqual({ 'training.batch_size': 16 });
    expect(result.resolved.find((entry) => entry.key === 'training.epochs')!.value).toBe(99);
  });

  it('reports a TOML syntax error at its position', async () => {
    const ws = workspaceWithDefaults();
    const result = await validateConfigText(ws, 'e1', '[training]\nepochs = = 3\n');
    expect(result.ok).toBe(false);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ line: 2, column: expect.any(Number), syntax: true });
    expect(result.issues[0]!.message).toMatch(/^invalid TOML: /);
  });

  it('reports problems outside the text (default-config.toml, overrides) with their source', async () => {
    const ws = workspace(tempDataDir(false));
    writeFileSync(paths.defaultConfig(ws), '[training]\nepochs = 0\n');
    const result = await validateConfigText(ws, 'e1', '', ['training.seed=x']);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ key: 'training.epochs', line: 2, source: paths.defaultConfig(ws) }),
      expect.objectContaining({ key: 'training.seed', source: 'command line --set training.seed=x' }),
    ]);
  });
});

describe('data.dataset is a choice of the prepared datasets', () => {
  function withDatasets(...names: string[]) {
    const ws = workspace(tempDataDir(false));
    for (const name of names) {
      mkdirSync(join(ws.root, 'datasets', name), { recursive: true });
      writeFileSync(join(ws.root, 'datasets', name, 'info.toml'), '');
    }
    mkdirSync(join(ws.root, 'datasets', 'half-made'), { recursive: true }); // no info.toml: not prepared
    return ws;
  }

  it('refuses a dataset that does not exist, at its line, with "did you mean" and the choices', async () => {
    const ws = withDatasets('iris-prepared', 'wine');
    const result = await validateConfigText(ws, 'e1', '[training]\nepochs = 3\n\n[data]\ndataset = "iris-prepard"\n');
    expect(result.ok).toBe(false);
    expect(result.choices).toEqual({ 'data.dataset': ['iris-prepared', 'wine'] });
    expect(result.issues).toEqual([
      expect.objectContaining({
        key: 'data.dataset',
        line: 5,
        column: 1,
        endLine: 5,
        message: 'data.dataset: no prepared dataset "iris-prepard" (did you mean "iris-prepared"?); prepared: iris-prepared, wine',
      }),
    ]);
    expect((await validateConfigText(ws, 'e1', '[data]\ndataset = "wine"\n')).ok).toBe(true);
    expect((await validateConfigText(ws, 'e1', '[data]\ndataset = "half-made"\n')).issues[0]!.message).not.toMatch(/did you mean/);
  });

  it('checks overrides too, and leaves an inherited default alone (a fresh data folder can still be edited)', async () => {
    const ws = withDatasets();
    const fresh = await validateConfigText(ws, 'e1', '[training]\nepochs = 3\n');
    expect(fresh.ok).toBe(true);
    const overridden = await validateConfigText(ws, 'e1', '', ['data.dataset=nope']);
    expect(overridden.issues).toEqual([
      expect.objectContaining({ key: 'data.dataset', source: 'command line --set data.dataset=nope', message: expect.stringMatching(/no dataset is prepared yet/) }),
    ]);
  });
});

describe('saveExperimentConfig', () => {
  it('writes the text exactly, creating the experiment folder, and leaves no temporary file', async () => {
    const ws = workspace(tempDataDir(false));
    const { file, version } = await saveExperimentConfig(ws, 'fresh', EXPERIMENT_TEXT, null);
    expect(file).toBe(paths.experimentConfig(ws, 'fresh'));
    expect(readFileSync(file, 'utf8')).toBe(EXPERIMENT_TEXT);
    expect(readdirSync(paths.experimentDir(ws, 'fresh'))).toEqual(['config.toml']);
    expect(version.sha256).toBe(createHash('sha256').update(EXPERIMENT_TEXT).digest('hex'));
    expect(await readExperimentConfig(ws, 'fresh')).toEqual({ experiment: 'fresh', file, text: EXPERIMENT_TEXT, exists: true, version });
  });

  it('refuses an invalid text with the CLI error and every issue, leaving the file unchanged', async () => {
    const ws = workspace(tempDataDir(false));
    const file = paths.experimentConfig(ws, 'e1');
    mkdirSync(paths.experimentDir(ws, 'e1'), { recursive: true });
    writeFileSync(file, EXPERIMENT_TEXT);
    const error = await saveExperimentConfig(ws, 'e1', '[training]\nbatch_size = "16"\nepoch = 1\n', null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpmanError);
    const e = error as ExpmanError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${file}:2:1: training.batch_size: expected integer ≥ 1 and ≤ 1000000, got string "16" (and 1 more)`);
    expect(e.details['issues']).toHaveLength(2);
    const syntax = await saveExperimentConfig(ws, 'e1', '[training\n', null).catch((x: unknown) => x);
    expect((syntax as ExpmanError).code).toBe('CONFIG_PARSE');
    expect(readFileSync(file, 'utf8')).toBe(EXPERIMENT_TEXT);
    expect(readdirSync(paths.experimentDir(ws, 'e1'))).toEqual(['config.toml']);
  });

  it('catches a two-tab save: the second save, based on the version both loaded, is refused with the file as it is now', async () => {
    const ws = workspace(tempDataDir(false));
    await saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, null);
    const tabA = await readExperimentConfig(ws, 'e1');
    const tabB = await readExperimentConfig(ws, 'e1');
    const textA = tabA.text.replace('epochs = 30', 'epochs = 31');
    const textB = tabB.text.replace('learning_rate = 0.05', 'learning_rate = 0.2');
    const savedA = await saveExperimentConfig(ws, 'e1', textA, tabA.version);

    const error = await saveExperimentConfig(ws, 'e1', textB, tabB.version).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpmanError);
    const e = error as ExpmanError;
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/config\.toml: changed on disk at .* since it was loaded; reload it or overwrite it$/);
    expect(e.details).toMatchObject({ file: paths.experimentConfig(ws, 'e1'), text: textA, version: savedA.version });
    expect(readFileSync(paths.experimentConfig(ws, 'e1'), 'utf8')).toBe(textA);

    // Overwriting on purpose: save again over the version the conflict reported.
    await saveExperimentConfig(ws, 'e1', textB, e.details['version'] as typeof savedA.version);
    expect(readFileSync(paths.experimentConfig(ws, 'e1'), 'utf8')).toBe(textB);
    expect(readdirSync(paths.experimentDir(ws, 'e1'))).toEqual(['config.toml']);
  });

  it('refuses to create a file that appeared, or to save over one that was deleted, since it was loaded', async () => {
    const ws = workspace(tempDataDir(false));
    const loaded = await readExperimentConfig(ws, 'e1');
    expect(loaded.version).toBeNull();
    await saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, null);
    await expect(saveExperimentConfig(ws, 'e1', '', loaded.version)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/was created elsewhere/) });
    const current = await readExperimentConfig(ws, 'e1');
    rmSync(paths.experimentConfig(ws, 'e1'));
    await expect(saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, current.version)).rejects.toMatchObject({ code: 'CONFLICT', details: { text: '', version: null } });
  });

  it('two saves from the same version at the same moment: exactly one wins, the other is a CONFLICT', async () => {
    const ws = workspace(tempDataDir(false));
    const { version } = await saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, null);
    const results = await Promise.allSettled([
      saveExperimentConfig(ws, 'e1', '[training]\nepochs = 1\n', version),
      saveExperimentConfig(ws, 'e1', '[training]\nepochs = 2\n', version),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as ExpmanError).code).toBe('CONFLICT');
  });

  it('accepts a file that was only touched (same content, new mtime)', async () => {
    const ws = workspace(tempDataDir(false));
    const { version } = await saveExperimentConfig(ws, 'e1', EXPERIMENT_TEXT, null);
    utimesSync(paths.experimentConfig(ws, 'e1'), new Date(), new Date(Date.now() + 5000));
    await expect(saveExperimentConfig(ws, 'e1', '', version)).resolves.toMatchObject({ file: paths.experimentConfig(ws, 'e1') });
  });

  it('refuses a bad experiment name before touching the disk', async () => {
    const ws = workspace(tempDataDir(false));
    await expect(saveExperimentConfig(ws, '../x', '', null)).rejects.toThrow(/invalid experiment name/);
    expect(readdirSync(ws.root)).toEqual([]);
  });
});

describe('readExperimentConfig and configSchemaDto', () => {
  it('reads a missing config as an empty text', async () => {
    const ws = workspace(tempDataDir(false));
    expect(await readExperimentConfig(ws, 'none')).toEqual({ experiment: 'none', file: join(ws.root, 'experiments', 'none', 'config.toml'), text: '', exists: false, version: null });
  });

  it('sends every schema key with its section, type, default and expected text', () => {
    const dto = configSchemaDto();
    expect(dto.fields.map((field) => field.key)).toEqual(CONFIG_KEYS);
    expect(dto.fields.find((field) => field.key === 'training.early_stopping.patience')).toMatchObject({
      section: 'training.early_stopping',
      name: 'patience',
      type: 'integer',
      default: 20,
      min: 1,
      expected: 'integer ≥ 1 and ≤ 1000000',
    });
    expect(dto.sections[0]).toBe('data');
    expect(JSON.parse(JSON.stringify(dto))).toEqual(dto);
  });
});
