import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectModule, listModels } from '../../../src/core/models/inspect.js';
import { workspace } from '../../../src/core/workspace.js';

const examples = join(import.meta.dirname, '../../../examples/models');

function dataWithModules(modules: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'expman-models-'));
  mkdirSync(join(root, 'models'));
  for (const [name, source] of Object.entries(modules)) writeFileSync(join(root, 'models', name), source);
  return root;
}

describe('models:list (listModels)', () => {
  it('lists the built-in model and every module with its schema and input shape, or its error', async () => {
    const root = dataWithModules({
      'broken.mjs': 'export default function build() {\n\n  return 1 +;\n}\n',
      'throws.mjs': 'const a = 1;\nthrow new RangeError("needs a GPU");\n',
      'badschema.mjs': "export const paramsSchema = { units: { type: 'int' } };\nexport default () => null;\n",
      'noschema.mjs': 'export default function build({ tf }) { return null; }\n',
      'bad name.mjs': 'export default () => null;\n',
      'notes.txt': 'not a module',
    });
    copyFileSync(join(examples, 'digits-cnn.mjs'), join(root, 'models/digits-cnn.mjs'));
    const models = await listModels(workspace(root));
    expect(models.map((m) => m.name)).toEqual(['simple', 'badschema', 'broken', 'digits-cnn', 'noschema', 'throws']);
    expect(models[0]).toEqual({ name: 'simple', builtin: true });
    const byName = Object.fromEntries(models.map((m) => [m.name, m]));
    expect(byName['digits-cnn']).toMatchObject({ builtin: false, file: 'models/digits-cnn.mjs', inputShape: [8, 8, 1], paramsSchema: { filters: { type: 'integer', default: 16 } } });
    expect(byName['digits-cnn']!.error).toBeUndefined();
    expect(byName['noschema']).toEqual({ name: 'noschema', builtin: false, file: 'models/noschema.mjs' });
    expect(byName['broken']!.error).toMatch(/models\/broken\.mjs:3: syntax error: Unexpected token/);
    expect(byName['throws']!.error).toMatch(/models\/throws\.mjs: the module threw while loading: needs a GPU \(at .*models\/throws\.mjs:2:7\)/);
    expect(byName['badschema']!.error).toMatch(/models\/badschema\.mjs: paramsSchema\.units: type must be one of integer, number/);
  });

  it('runs module code in a child process, never in this one, and gives up on a module that hangs', async () => {
    const root = dataWithModules({
      'spy.mjs': `import { writeFileSync } from 'node:fs';\nglobalThis.__expmanSpy = true;\nwriteFileSync(${JSON.stringify('PLACEHOLDER')}, String(process.pid));\nexport default () => null;\n`,
      'hangs.mjs': 'while (true) {}\nexport default () => null;\n',
    });
    const marker = join(root, 'pid.txt');
    writeFileSync(join(root, 'models/spy.mjs'), readFileSync(join(root, 'models/spy.mjs'), 'utf8').replace('"PLACEHOLDER"', JSON.stringify(marker)));
    const spy = await inspectModule(workspace(root), 'spy');
    expect(spy.error).toBeUndefined();
    expect(Number(readFileSync(marker, 'utf8'))).not.toBe(process.pid);
    expect((globalThis as { __expmanSpy?: boolean }).__expmanSpy).toBeUndefined();
    const started = Date.now();
    const hangs = await inspectModule(workspace(root), 'hangs', 1500);
    expect(hangs.error).toMatch(/models\/hangs\.mjs: loading the module took longer than 1\.5 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('is just the built-in model when the data folder has no models/', async () => {
    expect(await listModels(workspace(mkdtempSync(join(tmpdir(), 'expman-models-'))))).toEqual([{ name: 'simple', builtin: true }]);
  });
});
