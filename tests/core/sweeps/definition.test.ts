import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../helpers/data-dir.js';
import { parseSweepText } from '../../../src/core/sweeps/definition.js';
import { ExpmanError } from '../../../src/core/errors.js';

const base = (parameters: string, extra = ''): string => `method = "random"
metric = "val_accuracy"
goal = "maximize"
${extra}
[budget]
trials = 5
[parameters]
${parameters}
`;

function refusal(text: string, file = '/x/lr.toml'): ExpmanError {
  try {
    parseSweepText(text, file);
  } catch (error) {
    if (error instanceof ExpmanError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('sweep definition', () => {
  test('reads every kind of parameter, quoted or dotted keys, [set], pruner and defaults', () => {
    const def = parseSweepText(
      `method = "tpe"
metric = "val_loss"
goal = "minimize"
seed = 3
parallel = 2
repeats = 2
[budget]
trials = 12
time = "1h30m"
[set]
"training.epochs" = 6
[parameters]
"training.learning_rate" = { log_uniform = [1e-4, 0.1] }
training.batch_size = [8, 16]
"model.params.units" = { int = [4, 64] }
"training.optimizer" = { choice = ["adam", "sgd"] }
"data.validation_split" = { uniform = [0.1, 0.3] }
[pruner]
type = "asha"
eta = 2
`,
      '/data/sweeps/lr-search.toml',
    );
    expect(def).toMatchObject({ name: 'lr-search', experiment: 'default', method: 'tpe', metric: 'val_loss', goal: 'minimize', seed: 3, parallel: 2, repeats: 2, seedKey: 'training.seed' });
    expect(def.budget).toEqual({ trials: 12, seconds: 5400 });
    expect(def.fixed).toEqual(['training.epochs=6']);
    expect(def.pruner).toEqual({ type: 'asha', minEpochs: 1, eta: 2 });
    expect(def.parameters).toEqual([
      { key: 'training.learning_rate', dist: { kind: 'log_uniform', low: 1e-4, high: 0.1 } },
      { key: 'training.batch_size', dist: { kind: 'values', values: [8, 16] } },
      { key: 'model.params.units', dist: { kind: 'int', low: 4, high: 64 } },
      { key: 'training.optimizer', dist: { kind: 'values', values: ['adam', 'sgd'] } },
      { key: 'data.validation_split', dist: { kind: 'uniform', low: 0.1, high: 0.3 } },
    ]);
  });

  test('a [sweep] table inside another file (an experiment config.toml) is the definition; grid budget is its size', () => {
    const def = parseSweepText(`[training]\nepochs = 3\n\n[sweep]\nname = "g"\nmethod = "grid"\nmetric = "val_accuracy"\ngoal = "maximize"\n[sweep.parameters]\n"training.batch_size" = [8, 16, 32]\n"model.hidden_units" = [[8], [16, 16]]\n`, '/e/config.toml');
    expect(def.name).toBe('g');
    expect(def.budget.trials).toBe(6);
  });

  test('free-form tables: params.* of any name (command runs) and model.params.* (modules, checked against the module when the sweep starts)', () => {
    const def = parseSweepText(base('"params.lr" = { log_uniform = [1e-4, 1e-1] }\n"params.hidden" = [[32, 16], [8]]\n"model.params.units" = { int = [4, 64] }\n[parameters.params]\nmy_own_key = ["a", "b"]\nflag = [true, false]', '[set]\n"params.delay" = 0.5'), '/x/cmd.toml');
    expect(def.parameters).toEqual([
      { key: 'params.lr', dist: { kind: 'log_uniform', low: 1e-4, high: 1e-1 } },
      { key: 'params.hidden', dist: { kind: 'values', values: [[32, 16], [8]] } },
      { key: 'model.params.units', dist: { kind: 'int', low: 4, high: 64 } },
      { key: 'params.my_own_key', dist: { kind: 'values', values: ['a', 'b'] } },
      { key: 'params.flag', dist: { kind: 'values', values: [true, false] } },
    ]);
    expect(def.fixed).toEqual(['params.delay=0.5']);
  });

  test.each([
    ['a value that is a table (it has no override text)', base('"params.x" = [{ uniform = [0, 1] }]'), /lr\.toml:8:1: parameters\.params\.x: expected values that are numbers, strings, booleans or lists of them, got a table \{"uniform":\[0,1\]\}/],
    ['a list of tables', base('"params.x" = { choice = [[{ a = 1 }]] }'), /parameters\.params\.x: expected values .* got a list holding a table or list/],
    ['a key next to the free-form table', base('"param.lr" = [0.1]'), /lr\.toml:8:1: parameters\.param\.lr: param\.lr is not a config key \(did you mean params\?\)/],
  ])('refuses %s', (_what, text, message) => {
    expect(refusal(text).message).toMatch(message);
  });

  test.each([
    ['a parameter that is not a config key', base('"training.learnin_rate" = [0.1]'), /lr\.toml:8:1: parameters\.training\.learnin_rate: training\.learnin_rate is not a config key \(did you mean training\.learning_rate\?\)/],
    ['a range with min > max', base('"training.learning_rate" = { uniform = [0.5, 0.1] }'), /lr\.toml:8:1: parameters\.training\.learning_rate: uniform: min 0\.5 is greater than max 0\.1/],
    ['a log range including 0', base('"training.learning_rate" = { log_uniform = [0.0, 0.1] }'), /log_uniform: the range \[0, 0\.1\] includes 0/],
    ['an empty list', base('"training.batch_size" = []'), /parameters\.training\.batch_size: the list of values is empty/],
    ['no parameters', base(''), /parameters: a sweep needs at least one parameter/],
    ['a budget of 0', base('"training.batch_size" = [8]').replace('trials = 5', 'trials = 0'), /lr\.toml:6:1: budget\.trials: expected an integer ≥ 1 \(a budget of 0 would run nothing\)/],
    ['a value the key refuses', base('"training.batch_size" = [8, -1]'), /parameters\.training\.batch_size: expected integer ≥ 1/],
    ['a float range over an integer key', base('"training.batch_size" = { uniform = [8, 64] }'), /training\.batch_size takes integers: use \{ int = \[8, 64\] \}/],
    ['an unknown sweep key', base('"training.batch_size" = [8]', 'metrc = "x"'), /lr\.toml:4:1: metrc: unknown sweep key/],
    ['a missing goal', base('"training.batch_size" = [8]').replace('goal = "maximize"', ''), /goal: missing/],
    ['random search without a budget', base('"training.batch_size" = [8]').replace('[budget]\ntrials = 5', ''), /budget: random search needs a budget/],
    ['a grid too large to be meant', base('"training.batch_size" = { int = [1, 1000] }\n"training.epochs" = { int = [1, 1000] }').replace('"random"', '"grid"'), /parameters: the grid has 1,000,000 points, more than 100,000: use random or tpe with a budget/],
    ['grid over a continuous range', base('"training.learning_rate" = { uniform = [0.1, 0.5] }').replace('"random"', '"grid"'), /grid search needs a list of values or an int range/],
  ])('refuses %s with one clear line naming file, line and key', (_what, text, message) => {
    const error = refusal(text);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(message);
  });

  test('a TOML syntax error names its line', () => {
    expect(refusal('method = "grid\n').code).toBe('CONFIG_PARSE');
  });

  test("the README's example definition is valid", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const example = /## Sweeps[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)![1]!;
    const def = parseSweepText(example, 'README.md');
    expect(def).toMatchObject({ name: 'lr-search', method: 'tpe', budget: { trials: 30, seconds: 5400 }, pruner: { type: 'asha' } });
    expect(def.parameters.map((p) => p.key)).toEqual(['training.learning_rate', 'training.batch_size', 'model.params.units', 'training.optimizer', 'model.dropout']);
  });
});
