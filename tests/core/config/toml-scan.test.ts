import { describe, expect, it } from 'vitest';
import { locateKeys } from '../../../src/core/config/toml-locate.js';
import { scanToml, unquoteDottedKey } from '../../../src/core/config/toml-scan.js';

const TEXT = [
  '# top',
  'title = """',
  'epochs = 1',
  '"""',
  '[training]',
  '  epochs = 5 # indented',
  '"learning_rate" = 0.1',
  'early_stopping . patience = 3',
  "note = 'a # not a comment'",
  '[ training.early_stopping ] # comment',
  'enabled = true',
  '[training]',
].join('\n');

describe('scanToml', () => {
  it('finds headers and assignments, skipping multi-line strings, with quoted and spaced dotted keys', () => {
    const scan = scanToml(TEXT);
    expect(scan.headers.map((h) => h.table)).toEqual(['training', 'training.early_stopping', 'training']);
    expect(scan.assignments.map((a) => a.key)).toEqual([
      'title',
      'training.epochs',
      'training.learning_rate',
      'training.early_stopping.patience',
      'training.note',
      'training.early_stopping.enabled',
    ]);
    const note = scan.assignments[4]!;
    expect(TEXT.slice(note.valueStart, note.valueEnd)).toBe("'a # not a comment'");
    const epochs = scan.assignments[1]!;
    expect(TEXT.slice(epochs.valueStart, epochs.valueEnd)).toBe('5');
    expect(TEXT.slice(epochs.lineStart, epochs.lineEnd)).toBe('  epochs = 5 # indented');
    expect(unquoteDottedKey(`a."b.c".'d'`)).toBe('a.b.c.d');
  });
});

describe('locateKeys', () => {
  it('gives each key its line and column, and each table its first header', () => {
    const positions = locateKeys(TEXT);
    expect(positions.get('training.epochs')).toEqual({ line: 6, column: 3 });
    expect(positions.get('training.learning_rate')).toEqual({ line: 7, column: 1 });
    expect(positions.get('training.early_stopping.patience')).toEqual({ line: 8, column: 1 });
    expect(positions.get('training')).toEqual({ line: 5, column: 1 });
    expect(positions.get('training.early_stopping')).toEqual({ line: 10, column: 1 });
    expect(positions.has('epochs')).toBe(false); // inside the multi-line string
  });
});
