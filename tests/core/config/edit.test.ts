import TOML from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import { removeConfigValue, setConfigValue } from '../../../src/core/config/edit.js';
import { errorOf } from '../../helpers/errors.js';

const COMMENTED = `# My experiment: a wider net
[model]
hidden_units = [32, 32]   # two layers
activation = "tanh"

# Training settings
[training]
epochs = 40 # short
learning_rate = 0.05
`;

describe('setConfigValue', () => {
  it('replaces a value in place, keeping comments, spacing and order', () => {
    const next = setConfigValue(COMMENTED, 'training.epochs', 80);
    expect(next).toBe(COMMENTED.replace('epochs = 40 # short', 'epochs = 80 # short'));
    expect(setConfigValue(COMMENTED, 'model.hidden_units', [64, 8, 4])).toBe(
      COMMENTED.replace('hidden_units = [32, 32]   # two layers', 'hidden_units = [64, 8, 4]   # two layers'),
    );
    expect(setConfigValue(COMMENTED, 'model.activation', 'relu')).toBe(COMMENTED.replace('"tanh"', '"relu"'));
  });

  it('writes numbers of number keys as TOML floats', () => {
    expect(setConfigValue(COMMENTED, 'training.learning_rate', 1)).toContain('learning_rate = 1.0\n');
  });

  it('replaces a multi-line array as a whole', () => {
    const text = '[model]\nhidden_units = [\n  32, # first\n  16,\n]\nactivation = "relu"\n';
    const next = setConfigValue(text, 'model.hidden_units', [8]);
    expect(next).toBe('[model]\nhidden_units = [8]\nactivation = "relu"\n');
  });

  it('adds a missing key at the end of its table', () => {
    const next = setConfigValue(COMMENTED, 'training.batch_size', 32);
    expect(next).toBe(COMMENTED.replace('learning_rate = 0.05\n', 'learning_rate = 0.05\nbatch_size = 32\n'));
    const middle = setConfigValue(COMMENTED, 'model.dropout', 0.25);
    expect(middle).toContain('activation = "tanh"\ndropout = 0.25\n\n# Training settings\n[training]');
  });

  it('adds a key next to its siblings when they are written as dotted keys', () => {
    const text = '[training]\nepochs = 5\nearly_stopping.patience = 3\n';
    const next = setConfigValue(text, 'training.early_stopping.enabled', false);
    expect(next).toBe('[training]\nepochs = 5\nearly_stopping.patience = 3\nearly_stopping.enabled = false\n');
    expect((TOML.parse(next) as any).training.early_stopping).toEqual({ patience: 3, enabled: false });
  });

  it('creates a missing table in schema order, before the later tables and their comments', () => {
    const next = setConfigValue(COMMENTED, 'data.standardize', false);
    expect(next).toBe(`# My experiment: a wider net\n[data]\nstandardize = false\n\n${COMMENTED.slice(COMMENTED.indexOf('[model]'))}`);
    const appended = setConfigValue(COMMENTED, 'logging.level', 'debug');
    expect(appended).toBe(`${COMMENTED}\n[logging]\nlevel = "debug"\n`);
    const nested = setConfigValue(COMMENTED, 'training.early_stopping.patience', 7);
    expect(nested.endsWith('learning_rate = 0.05\n\n[training.early_stopping]\npatience = 7\n')).toBe(true);
  });

  it('starts an empty text with the table', () => {
    expect(setConfigValue('', 'training.epochs', 3)).toBe('[training]\nepochs = 3\n');
  });

  it('keeps Windows line endings', () => {
    const text = '[training]\r\nepochs = 5\r\n';
    expect(setConfigValue(text, 'training.seed', 1)).toBe('[training]\r\nepochs = 5\r\nseed = 1\r\n');
  });

  it('refuses invalid values and unknown keys with the schema message, naming the key', () => {
    const wrongType = errorOf(() => setConfigValue(COMMENTED, 'training.epochs', '80'));
    expect(wrongType.code).toBe('CONFIG_INVALID');
    expect(wrongType.message).toBe('training.epochs: expected integer ≥ 1 and ≤ 1000000, got string "80"');
    expect(wrongType.details.expected).toBe('integer ≥ 1 and ≤ 1000000');
    expect(errorOf(() => setConfigValue(COMMENTED, 'model.activation', 'swish')).message).toContain('expected one of "relu"');
    expect(errorOf(() => setConfigValue(COMMENTED, 'model.hidden_units', [0])).message).toContain('array of integers ≥ 1');
    expect(errorOf(() => setConfigValue(COMMENTED, 'training.epoch', 3)).message).toBe('training.epoch: unknown key (did you mean training.epochs?)');
  });

  it('refuses to edit a text that is not TOML, giving the syntax error position', () => {
    const error = errorOf(() => setConfigValue('[training\nepochs = 1\n', 'training.epochs', 2));
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.details.line).toBe(1);
  });

  it('refuses a layout it cannot edit in place rather than returning a wrong text', () => {
    const inline = 'training = { epochs = 5 }\n';
    expect(errorOf(() => setConfigValue(inline, 'training.seed', 1)).message).toContain('cannot set this key');
  });
});

describe('removeConfigValue', () => {
  it('removes the assignment and its same-line comment, keeping every other line', () => {
    expect(removeConfigValue(COMMENTED, 'training.epochs')).toBe(COMMENTED.replace('epochs = 40 # short\n', ''));
    expect(removeConfigValue(COMMENTED, 'model.hidden_units')).toBe(COMMENTED.replace('hidden_units = [32, 32]   # two layers\n', ''));
  });

  it('removes a multi-line value and a last line without a newline', () => {
    expect(removeConfigValue('[model]\nhidden_units = [\n  4,\n]\nactivation = "elu"\n', 'model.hidden_units')).toBe('[model]\nactivation = "elu"\n');
    expect(removeConfigValue('[training]\nepochs = 5\nseed = 1', 'training.seed')).toBe('[training]\nepochs = 5');
  });

  it('leaves a text that does not set the key unchanged, and can remove a mistyped key', () => {
    expect(removeConfigValue(COMMENTED, 'training.seed')).toBe(COMMENTED);
    expect(removeConfigValue('[training]\nepoch = 5\n', 'training.epoch')).toBe('[training]\n');
  });
});

describe('command runs: [params] and [command] in the form', () => {
  const TEXT = '[training]\nepochs = 5\n\n# my params\n[params]\nlr = 0.1 # old\n\n[command]\ntrain = ["python3"]\n';

  it('replaces the [params] block as a whole and leaves the rest as written', () => {
    const next = setConfigValue(TEXT, 'params', { lr: 0.2, name: 'x' });
    expect(next).toBe('[training]\nepochs = 5\n\n# my params\n[params]\nlr = 0.2\nname = "x"\n\n[command]\ntrain = ["python3"]\n');
    expect(removeConfigValue(next, 'params')).toBe('[training]\nepochs = 5\n\n# my params\n[command]\ntrain = ["python3"]\n');
  });

  it('adds a [params] block at the end, before a run config\'s [provenance]', () => {
    expect(setConfigValue('[training]\nepochs = 5\n', 'params', { lr: 0.2 })).toBe('[training]\nepochs = 5\n\n[params]\nlr = 0.2\n');
    expect(setConfigValue('[training]\nepochs = 5\n\n[provenance]\nseed = 1\n', 'params', { lr: 0.2 })).toBe('[training]\nepochs = 5\n\n[params]\nlr = 0.2\n\n[provenance]\nseed = 1\n');
  });

  it('sets a command as an argument array and refuses anything else', () => {
    expect(setConfigValue(TEXT, 'command.train', ['python3', 'my train.py'])).toContain('train = ["python3", "my train.py"]');
    expect(setConfigValue('', 'command.test', ['python3', 'test.py'])).toBe('[command]\ntest = ["python3", "test.py"]\n');
    expect(() => setConfigValue(TEXT, 'command.train', 'python3 train.py')).toThrow('command.train: expected array of strings, at most 256 items, got string "python3 train.py"');
  });
});
