import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { issueText, issuesToDiagnostics } from '../../../src/renderer/src/config/diagnostics';
import { formatConfigValue, originLabel, parseFieldInput } from '../../../src/renderer/src/config/field-value';
import type { ConfigFieldSpec } from '../../../src/shared/config';

const doc = Text.of(['[training]', 'epochs = "many"  # oops', 'batch_size = 0', 'early_stopping.patience = 0']);
const slice = (from: number, to: number) => doc.sliceString(from, to);

describe('issuesToDiagnostics', () => {
  it('underlines the issue range and names the key and the expected type', () => {
    const [diagnostic] = issuesToDiagnostics(doc, [
      { message: 'expected integer ≥ 1, got string "many"', key: 'training.epochs', expected: 'integer ≥ 1', line: 2, column: 1, endLine: 2, endColumn: 16 },
    ]);
    expect(slice(diagnostic!.from, diagnostic!.to)).toBe('epochs = "many"');
    expect(diagnostic!.message).toBe('training.epochs: expected integer ≥ 1, got string "many"');
    expect(diagnostic!.severity).toBe('error');
  });

  it('adds the expected type when the message does not say it', () => {
    expect(issueText({ message: 'out of range', key: 'training.epochs', expected: 'integer ≥ 1' })).toBe('training.epochs: out of range (expected integer ≥ 1)');
  });

  it('underlines the rest of the line (without its comment) when the end is missing', () => {
    const [diagnostic] = issuesToDiagnostics(doc, [{ message: 'bad', key: 'training.epochs', line: 2, column: 1 }]);
    expect(slice(diagnostic!.from, diagnostic!.to)).toBe('epochs = "many"');
  });

  it('finds the key when the line is missing, also as a dotted key, else marks line 1', () => {
    const [plain, dotted, nowhere] = issuesToDiagnostics(doc, [
      { message: 'bad', key: 'training.batch_size' },
      { message: 'bad', key: 'training.early_stopping.patience' },
      { message: 'bad', key: 'model.dropout' },
    ]);
    expect(slice(plain!.from, plain!.to)).toBe('batch_size = 0');
    expect(slice(dotted!.from, dotted!.to)).toBe('early_stopping.patience = 0');
    expect(slice(nowhere!.from, nowhere!.to)).toBe('[training]');
  });

  it('marks one character at a syntax error, clamps stale positions, and skips issues of other files', () => {
    const diagnostics = issuesToDiagnostics(doc, [
      { message: 'invalid TOML: x', line: 3, column: 12, syntax: true },
      { message: 'gone', line: 40, column: 3, endLine: 41, endColumn: 1 },
      { message: 'elsewhere', key: 'training.seed', line: 2, source: '/data/default-config.toml' },
    ]);
    expect(diagnostics).toHaveLength(2);
    expect(slice(diagnostics[0]!.from, diagnostics[0]!.to)).toBe('=');
    expect(diagnostics[1]!.to).toBeLessThanOrEqual(doc.length);
    expect(diagnostics[1]!.from).toBeLessThan(diagnostics[1]!.to);
  });
});

describe('form values', () => {
  const field = (type: ConfigFieldSpec['type']): ConfigFieldSpec => ({ key: 'k.k', section: 'k', name: 'k', type, default: 0, doc: '', expected: '' });

  it('reads inputs by type; empty means inherit; non-numbers stay text for the core to refuse', () => {
    expect(parseFieldInput(field('integer'), ' 12 ')).toBe(12);
    expect(parseFieldInput(field('number'), '1e-3')).toBe(0.001);
    expect(parseFieldInput(field('integer'), 'ten')).toBe('ten');
    expect(parseFieldInput(field('integer'), '')).toBeNull();
    expect(parseFieldInput(field('integer[]'), '32, 16 8')).toEqual([32, 16, 8]);
    expect(parseFieldInput(field('integer[]'), '[]')).toEqual([]);
    expect(parseFieldInput(field('integer[]'), '32, x')).toBe('32, x');
    expect(parseFieldInput(field('string'), ' a b ')).toBe(' a b ');
    expect(formatConfigValue([16, 16])).toBe('16, 16');
  });

  it('reads and shows a command (string[]) so that it round-trips, spaces inside words included', () => {
    expect(parseFieldInput(field('string[]'), 'python3 train.py')).toEqual(['python3', 'train.py']);
    expect(parseFieldInput(field('string[]'), '["python3", "my train.py"]')).toEqual(['python3', 'my train.py']);
    expect(parseFieldInput(field('string[]'), '["python3", 3]')).toBe('["python3", 3]');
    expect(formatConfigValue(['python3', 'my train.py'])).toBe('["python3","my train.py"]');
    expect(parseFieldInput(field('string[]'), formatConfigValue(['python3', 'my train.py']))).toEqual(['python3', 'my train.py']);
  });

  it('names origins as default, default-config.toml:line, config.toml:line, override', () => {
    expect(originLabel({ kind: 'default' })).toBe('default');
    expect(originLabel({ kind: 'default-config.toml', file: '/d/default-config.toml', line: 3 })).toBe('default-config.toml:3');
    expect(originLabel({ kind: 'config', file: '/d/experiments/e1/config.toml', line: 5, column: 1 })).toBe('config.toml:5');
    expect(originLabel({ kind: 'override', text: 'training.seed=1' })).toBe('override');
  });
});
