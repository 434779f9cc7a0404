import { describe, expect, it } from 'vitest';
import { parseConfigText, parseOverrides, resolveConfig, describeOrigin } from '../../../src/core/config/resolve.js';
import { CONFIG_KEYS, codeDefaults } from '../../../src/core/config/schema.js';
import { configToToml } from '../../../src/core/config/toml-write.js';
import { locateKeys } from '../../../src/core/config/toml-locate.js';
import { errorOf } from '../../helpers/errors.js';

describe('precedence: code defaults < default-config.toml < config file < overrides', () => {
  const defaults = parseConfigText('[training]\nepochs = 50\nbatch_size = 8\nlearning_rate = 0.1\n', 'default-config.toml', 'default-config.toml');
  const experiment = parseConfigText('[training]\nepochs = 20\nlearning_rate = 0.05\n', 'experiments/e/config.toml', 'config');
  const overrides = parseOverrides(['training.learning_rate=0.001']);
  const resolved = resolveConfig([defaults, experiment, overrides]);

  it('takes each key from the strongest layer that sets it', () => {
    expect(resolved.values['training.seed']).toBe(codeDefaults()['training.seed']);
    expect(resolved.values['training.batch_size']).toBe(8);
    expect(resolved.values['training.epochs']).toBe(20);
    expect(resolved.values['training.learning_rate']).toBe(0.001);
  });

  it('records the origin of every value, with file and line', () => {
    expect(resolved.origins['training.seed']).toEqual({ kind: 'default' });
    expect(resolved.origins['training.batch_size']).toEqual({ kind: 'default-config.toml', file: 'default-config.toml', line: 3, column: 1 });
    expect(resolved.origins['training.epochs']).toEqual({ kind: 'config', file: 'experiments/e/config.toml', line: 2, column: 1 });
    expect(resolved.origins['training.learning_rate']).toEqual({ kind: 'override', text: 'training.learning_rate=0.001' });
    expect(describeOrigin(resolved.origins['training.epochs'])).toBe('config file experiments/e/config.toml:2:1');
    expect(describeOrigin(resolved.origins['training.learning_rate'])).toBe('override (--set training.learning_rate=0.001)');
  });

  it('does not let a weaker layer change a stronger one regardless of order of keys', () => {
    const again = resolveConfig([experiment, defaults]);
    expect(again.values['training.epochs']).toBe(50);
  });
});

describe('validation', () => {
  it('reports an unknown key with file, line, column and a suggestion', () => {
    const e = errorOf(() => parseConfigText('[training]\nepoch = 5\n', 'exp.toml', 'config'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('exp.toml:2:1: training.epoch: unknown key (did you mean training.epochs?)');
    expect(e.details).toMatchObject({ file: 'exp.toml', line: 2, column: 1, key: 'training.epoch' });
  });

  it('reports a wrong type with the expected type', () => {
    const e = errorOf(() => parseConfigText('[training]\n  batch_size = "16"\n', 'exp.toml', 'config'));
    expect(e.message).toBe('exp.toml:2:3: training.batch_size: expected integer ≥ 1 and ≤ 1000000, got string "16"');
    expect(e.details.expected).toBe('integer ≥ 1 and ≤ 1000000');
  });

  it('reports out-of-range values and enum mismatches, all of them', () => {
    const e = errorOf(() => parseConfigText('[data]\nvalidation_split = 1.5\n[training]\noptimizer = "adamw"\nepochs = 2.5\n', 'x.toml', 'config'));
    expect(e.message).toMatch(/^x\.toml:2:1: data\.validation_split: expected number > 0 and ≤ 0\.9, got float 1\.5 \(and 2 more\)$/);
    const issues = e.details['issues'] as Array<{ key: string; line: number }>;
    expect(issues.map((i) => [i.key, i.line])).toEqual([
      ['data.validation_split', 2],
      ['training.optimizer', 4],
      ['training.epochs', 5],
    ]);
  });

  it('reports dotted keys and keys in nested tables at their line', () => {
    const e = errorOf(() => parseConfigText('[training.early_stopping]\n\npatience = 0\n', 'x.toml', 'config'));
    expect(e.message).toContain('x.toml:3:1: training.early_stopping.patience: expected integer ≥ 1');
    const f = errorOf(() => parseConfigText('training.early_stopping.patience = -1\n', 'y.toml', 'config'));
    expect(f.details).toMatchObject({ line: 1, key: 'training.early_stopping.patience' });
  });

  it('reports TOML syntax errors with line and column', () => {
    const e = errorOf(() => parseConfigText('[training]\nepochs = = 3\n', 'bad.toml', 'config'));
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toMatch(/^bad\.toml:2:\d+: invalid TOML: /);
    expect(e.details.line).toBe(2);
  });

  it('refuses a dataset name that is not a folder name (the rule of experiments and runs), with file and line', () => {
    for (const name of ['../../elsewhere', '/etc', 'a/b', '.hidden', 'x..y', '']) {
      const e = errorOf(() => parseConfigText(`[training]\nepochs = 3\n[data]\ndataset = ${JSON.stringify(name)}\n`, 'exp.toml', 'config'));
      expect(e.message, name).toMatch(name ? /^exp\.toml:4:1: data\.dataset: expected dataset name \(letters, digits, '\.', '_' and '-', starting with a letter or digit, at most 128 characters\), got string / : /^exp\.toml:4:1: data\.dataset: expected a non-empty string/);
    }
    expect(errorOf(() => parseOverrides(['data.dataset=../x'])).message).toContain('data.dataset: expected dataset name');
    expect(parseConfigText('[data]\ndataset = "iris-v2.1_b"\n', 'exp.toml', 'config').values['data.dataset']).toBe('iris-v2.1_b');
  });

  it('accepts a UTF-8 byte order mark, and counts columns after it', () => {
    const layer = parseConfigText('\uFEFF[training]\nepochs = 7\n', 'bom.toml', 'config');
    expect(layer.values['training.epochs']).toBe(7);
    const e = errorOf(() => parseConfigText('\uFEFFepochs = 7\n', 'bom.toml', 'config'));
    expect(e.message).toBe('bom.toml:1:1: epochs: unknown key (did you mean training.epochs?)');
  });

  it('rejects a table where a value is expected and vice versa', () => {
    expect(errorOf(() => parseConfigText('[training.epochs]\nx = 1\n', 'x.toml', 'config')).message).toContain('training.epochs: expected integer');
    expect(errorOf(() => parseConfigText('training = 3\n', 'x.toml', 'config')).message).toContain('training: unknown key');
  });

  it('ignores the [provenance] table that expman writes into run configs', () => {
    const layer = parseConfigText('[training]\nepochs = 3\n[provenance]\ncreated = "x"\n', 'run.toml', 'config');
    expect(layer.values).toEqual({ 'training.epochs': 3 });
  });
});

describe('--set overrides', () => {
  it('parses TOML values, and bare words for string keys', () => {
    const layer = parseOverrides(['training.epochs=5', 'model.hidden_units=[8, 4]', 'training.optimizer=sgd', 'data.standardize=false', 'data.dataset=2024']);
    expect(layer.values).toEqual({
      'training.epochs': 5,
      'model.hidden_units': [8, 4],
      'training.optimizer': 'sgd',
      'data.standardize': false,
      'data.dataset': '2024',
    });
  });

  it('rejects unknown keys, bad values and missing =', () => {
    expect(errorOf(() => parseOverrides(['training.epoch=5'])).message).toBe('command line --set: training.epoch: unknown key (did you mean training.epochs?)');
    expect(errorOf(() => parseOverrides(['training.epochs=abc'])).message).toBe('command line --set training.epochs=abc: training.epochs: expected integer ≥ 1 and ≤ 1000000, got string "abc"');
    expect(errorOf(() => parseOverrides(['epochs'])).message).toContain('expected key=value');
  });
});

describe('TOML writing', () => {
  it('round-trips a full configuration through configToToml and the parser', () => {
    const values = { ...codeDefaults(), 'training.epochs': 7, 'model.dropout': 0, 'model.hidden_units': [3] };
    const layer = parseConfigText(configToToml(values, { docs: true }), 'rt.toml', 'config');
    expect(Object.keys(layer.values).sort()).toEqual([...CONFIG_KEYS].sort());
    expect(resolveConfig([layer]).values).toEqual(values);
  });

  it('keeps floats as floats', () => {
    expect(configToToml(codeDefaults())).toContain('dropout = 0.0');
  });
});

describe('locateKeys', () => {
  it('skips multi-line arrays and comments', () => {
    const text = '# comment\n[model]\nhidden_units = [\n  16, # first\n  8,\n]\nactivation = "tanh" # note\n';
    const positions = locateKeys(text);
    expect(positions.get('model.hidden_units')).toEqual({ line: 3, column: 1 });
    expect(positions.get('model.activation')).toEqual({ line: 7, column: 1 });
  });
});

describe('the shipped default-config.toml', () => {
  it('documents every key with the code defaults', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../../default-config.toml', import.meta.url), 'utf8');
    const layer = parseConfigText(text, 'default-config.toml', 'default-config.toml');
    expect(Object.keys(layer.values).sort()).toEqual([...CONFIG_KEYS].sort());
    expect(resolveConfig([layer]).values).toEqual(codeDefaults());
    const comments = text.split('\n').filter((line) => line.startsWith('# ')).length;
    expect(comments).toBeGreaterThanOrEqual(CONFIG_KEYS.length);
  });
});
