import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfigText } from '../../../src/core/config/experiment-config.js';
import { paths, workspace } from '../../../src/core/workspace.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const examples = join(import.meta.dirname, '../../../examples/models');

/** A data folder with the digits CNN example as models/digits-cnn.mjs and, optionally, more modules. */
function dataWithModules(extra: Record<string, string> = {}) {
  const ws = workspace(tempDataDir(false));
  mkdirSync(join(ws.root, 'models'), { recursive: true });
  copyFileSync(join(examples, 'digits-cnn.mjs'), paths.modelModule(ws, 'digits-cnn'));
  for (const [name, source] of Object.entries(extra)) writeFileSync(paths.modelModule(ws, name), source);
  return ws;
}

describe("config:validate checks [model.params] against the named module's paramsSchema", () => {
  it('reports unknown keys and wrong types with the line and key, like the built-in keys', async () => {
    const ws = dataWithModules();
    const text = '[model]\ntype = "digits-cnn"\n\n[model.params]\nfilters = 0\ndense_units = "wide"\nfiltres = 8\n';
    const result = await validateConfigText(ws, 'e1', text);
    expect(result.ok).toBe(false);
    const byKey = Object.fromEntries(result.issues.map((issue) => [issue.key, issue]));
    expect(byKey['model.params.filters']).toMatchObject({ line: 5, column: 1, endLine: 5, message: 'expected integer ≥ 1 and ≤ 256, got integer 0' });
    expect(byKey['model.params.dense_units']).toMatchObject({ line: 6, message: 'expected integer ≥ 1 and ≤ 4096, got string "wide"' });
    expect(byKey['model.params.filtres']).toMatchObject({ line: 7, message: expect.stringMatching(/^unknown key for model module .*models\/digits-cnn\.mjs \(it accepts: filters, dense_units\)$/) });
    for (const issue of result.issues) expect(issue.source).toBeUndefined(); // in the edited text

    const fixed = await validateConfigText(ws, 'e1', '[model]\ntype = "digits-cnn"\n\n[model.params]\nfilters = 8\n');
    expect(fixed).toMatchObject({ ok: true, issues: [] });
  });

  it('locates a bad value set by an override or by default-config.toml where it was set', async () => {
    const ws = dataWithModules();
    writeFileSync(paths.defaultConfig(ws), '[model.params]\ndense_units = 0\n');
    const result = await validateConfigText(ws, 'e1', '[model]\ntype = "digits-cnn"\n', ['model.params.filters=1000']);
    expect(result.issues).toEqual([
      expect.objectContaining({ key: 'model.params.dense_units', line: 2, source: paths.defaultConfig(ws) }),
      expect.objectContaining({ key: 'model.params.filters', source: '--set model.params.filters=1000', message: 'expected integer ≥ 1 and ≤ 256, got integer 1000' }),
    ]);
  });

  it('names a module that is missing or cannot load on model.type, and takes any table from a module without a schema', async () => {
    const ws = dataWithModules({ broken: 'export default function build() {\n  return 1 +;\n}\n', free: 'export default () => null;\n' });
    const missing = await validateConfigText(ws, 'e1', '[model]\ntype = "nosuch"\n');
    expect(missing.issues).toEqual([expect.objectContaining({ key: 'model.type', line: 2, message: expect.stringMatching(/^model module "nosuch" not found: no file .*models\/nosuch\.mjs/) })]);
    const broken = await validateConfigText(ws, 'e1', '[model]\ntype = "broken"\n');
    expect(broken.issues).toEqual([expect.objectContaining({ key: 'model.type', line: 2, message: expect.stringMatching(/^model module "broken" cannot be used: .*models\/broken\.mjs:2: syntax error/) })]);
    expect(await validateConfigText(ws, 'e1', '[model]\ntype = "free"\n\n[model.params]\nanything = [1, 2]\n')).toMatchObject({ ok: true, issues: [] });
    // The built-in model ignores [model.params]; nothing is inspected.
    expect(await validateConfigText(ws, 'e1', '[model.params]\nanything = 1\n')).toMatchObject({ ok: true, issues: [] });
  });

  it('reads the module again when it changes (the inspection is cached per file version)', async () => {
    const ws = dataWithModules({ m: "export const paramsSchema = { units: { type: 'integer' } };\nexport default () => null;\n" });
    const text = '[model]\ntype = "m"\n\n[model.params]\nwidth = 3\n';
    expect((await validateConfigText(ws, 'e1', text)).issues.map((issue) => issue.key)).toEqual(['model.params.width']);
    writeFileSync(paths.modelModule(ws, 'm'), "export const paramsSchema = { width: { type: 'integer', min: 1 } };\nexport default () => null;\n");
    expect(await validateConfigText(ws, 'e1', text)).toMatchObject({ ok: true, issues: [] });
  });
});
