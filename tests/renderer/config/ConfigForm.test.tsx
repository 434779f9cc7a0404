import { cleanup, configure, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigForm } from '../../../src/renderer/src/config/ConfigForm';
import { ResolvedConfigTable } from '../../../src/renderer/src/config/ResolvedConfigTable';
import { loadCoreConfigBridge } from './core-bridge';

const makeBridge = await loadCoreConfigBridge();
// Validation goes through the real core (file reads); on a loaded machine it can take over the default 1 s.
configure({ asyncUtilTimeout: 10_000 });
afterEach(cleanup);

const TEXT = '[training]\nepochs = 40\n\n[model]\nhidden_units = [32, 8]\n';

async function renderForm(onEdit = vi.fn(async () => {})) {
  const bridge = makeBridge({ defaultConfig: '[training]\nbatch_size = 8\n' });
  const result = await bridge.validate(TEXT);
  render(<ConfigForm schema={bridge.schema} values={result.values} resolved={result.resolved} inherited={result.inherited} issues={result.issues} onEdit={onEdit} />);
  return { bridge, onEdit };
}

describe('ConfigForm', () => {
  it('offers data.dataset as a select of the prepared datasets, keeping a missing one visible and marked', async () => {
    const bridge = makeBridge();
    const result = await bridge.validate('[data]\ndataset = "iris-prepard"\n');
    const onEdit = vi.fn(async () => {});
    render(
      <ConfigForm
        schema={bridge.schema}
        values={result.values}
        resolved={result.resolved}
        inherited={result.inherited}
        issues={result.issues}
        onEdit={onEdit}
        choices={{ 'data.dataset': ['iris-prepared', 'wine'] }}
      />,
    );
    const select = within(screen.getByRole('group', { name: '[data]' })).getByLabelText<HTMLSelectElement>('dataset');
    expect(select.tagName).toBe('SELECT');
    expect([...select.options].map((option) => option.textContent)).toEqual([expect.stringMatching(/^inherit: /), 'iris-prepard (not found)', 'iris-prepared', 'wine']);
    expect(select.value).toBe('iris-prepard');
    await userEvent.selectOptions(select, 'iris-prepared');
    expect(onEdit).toHaveBeenCalledWith('data.dataset', 'iris-prepared');
  });

  it('generates one group per table and an input of the right kind for every key', async () => {
    const { bridge } = await renderForm();
    const groups = screen.getAllByRole('group');
    expect(groups.map((group) => group.querySelector('legend')!.textContent)).toEqual(bridge.schema.sections.map((section) => `[${section}]`));
    for (const field of bridge.schema.fields) {
      const group = screen.getByRole('group', { name: `[${field.section}]` });
      const input = within(group).getByLabelText(field.name);
      const expectedTag = field.values ? 'SELECT' : field.type === 'table' ? 'TEXTAREA' : 'INPUT';
      expect(input.tagName, field.key).toBe(expectedTag);
      if (field.type === 'boolean') expect((input as HTMLInputElement).type, field.key).toBe('checkbox');
      if (field.type === 'integer' || field.type === 'number') {
        expect((input as HTMLInputElement).type, field.key).toBe('number');
        if (field.min !== undefined) expect((input as HTMLInputElement).min, field.key).toBe(String(field.min));
        if (field.max !== undefined) expect((input as HTMLInputElement).max, field.key).toBe(String(field.max));
      }
      // Each field shows its documentation.
      expect(input.closest('.cfg-field')!.textContent, field.key).toContain(field.doc);
    }
    const activation = screen.getByLabelText<HTMLSelectElement>('activation');
    expect([...activation.options].map((option) => option.value)).toEqual(['', 'relu', 'tanh', 'sigmoid', 'elu', 'selu']);
  });

  it('shows set values, inherited values with their origin as placeholders, and origin badges', async () => {
    await renderForm();
    const epochs = screen.getByLabelText<HTMLInputElement>('epochs');
    expect(epochs.value).toBe('40');
    expect(epochs.closest('.cfg-field')!.querySelector('.cfg-origin')!.textContent).toBe('config.toml:2');
    expect(screen.getByLabelText<HTMLInputElement>('hidden_units').value).toBe('32, 8');
    const batch = screen.getByLabelText<HTMLInputElement>('batch_size');
    expect(batch.value).toBe('');
    expect(batch.placeholder).toBe('8 (default-config.toml:2)');
    expect(batch.closest('.cfg-field')!.querySelector('.cfg-origin')!.textContent).toBe('default-config.toml:2');
    expect(screen.getByLabelText<HTMLInputElement>('seed').placeholder).toBe('42 (default)');
  });

  it('sends typed values, clears to inherit, toggles booleans and resets keys the text sets', async () => {
    const { onEdit } = await renderForm();
    await userEvent.type(screen.getByLabelText('learning_rate'), '0.003{Enter}');
    expect(onEdit).toHaveBeenLastCalledWith('training.learning_rate', 0.003);
    await userEvent.clear(screen.getByLabelText('hidden_units'));
    await userEvent.tab();
    expect(onEdit).toHaveBeenLastCalledWith('model.hidden_units', null);
    await userEvent.click(screen.getByLabelText('standardize'));
    expect(onEdit).toHaveBeenLastCalledWith('data.standardize', false);
    const epochsField = screen.getByLabelText('epochs').closest('.cfg-field') as HTMLElement;
    await userEvent.click(within(epochsField).getByRole('button', { name: 'Reset' }));
    expect(onEdit).toHaveBeenLastCalledWith('training.epochs', null);
  });

  it("shows the text's validation issue under its field", async () => {
    const bridge = makeBridge();
    const result = await bridge.validate('[model]\ndropout = 1.5\n');
    render(<ConfigForm schema={bridge.schema} values={result.values} resolved={result.resolved} inherited={result.inherited} issues={result.issues} onEdit={vi.fn()} />);
    const field = screen.getByLabelText('dropout').closest('.cfg-field') as HTMLElement;
    expect(within(field).getByRole('alert').textContent).toBe('expected number ≥ 0 and < 1, got float 1.5');
    expect(screen.getByLabelText('dropout').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('ResolvedConfigTable', () => {
  it('lists every key with value and origin, and filters by key, value or origin', async () => {
    const bridge = makeBridge({ defaultConfig: '[training]\nbatch_size = 8\n', overrides: ['training.seed=5'] });
    const result = await bridge.validate(TEXT);
    render(<ResolvedConfigTable entries={result.resolved} />);
    const table = screen.getByRole('table', { name: 'Resolved config' });
    const rows = () => within(table).getAllByRole('row').slice(1);
    expect(rows()).toHaveLength(bridge.schema.fields.length);
    const cells = (key: string) => [...within(table).getByText(key).closest('tr')!.children].map((cell) => cell.textContent);
    expect(cells('model.hidden_units')).toEqual(['model.hidden_units', '[32, 8]', 'config.toml:5']);
    expect(cells('training.batch_size')).toEqual(['training.batch_size', '8', 'default-config.toml:2']);
    expect(cells('training.seed')).toEqual(['training.seed', '5', 'override']);
    expect(cells('runtime.node')).toEqual(['runtime.node', '""', 'default']);

    const filter = screen.getByLabelText('Filter resolved config');
    await userEvent.type(filter, 'default-config');
    expect(rows().map((row) => row.children[0]!.textContent)).toEqual(['training.batch_size']);
    await userEvent.clear(filter);
    await userEvent.type(filter, 'early_stopping');
    expect(rows()).toHaveLength(3);
    expect(screen.getByText(`3 of ${bridge.schema.fields.length}`)).toBeTruthy();
    await userEvent.clear(filter);
    await userEvent.type(filter, 'nothing-like-this');
    expect(screen.getByText('No key matches “nothing-like-this”.')).toBeTruthy();
  });

  it('picks the model from models:list (a broken module shown with its error) and edits params from its schema', async () => {
    const bridge = makeBridge({});
    const onEdit = vi.fn(async () => {});
    const result = await bridge.validate('[model]\ntype = "wide"\n\n[model.params]\nunits = 64\nstale = 1\n');
    const models = [
      { name: 'simple', builtin: true },
      { name: 'wide', builtin: false, file: 'models/wide.mjs', paramsSchema: { units: { type: 'integer' as const, default: 32, min: 1 }, act: { type: 'string' as const, default: 'relu', choices: ['relu', 'tanh'] } } },
      { name: 'broken', builtin: false, file: 'models/broken.mjs', error: '/d/models/broken.mjs:3: syntax error: Unexpected token' },
    ];
    render(<ConfigForm schema={bridge.schema} values={result.values} resolved={result.resolved} inherited={result.inherited} issues={result.issues} onEdit={onEdit} models={models} />);
    const picker = screen.getByLabelText<HTMLSelectElement>('type');
    expect([...picker.options].map((o) => [o.value, o.textContent, o.disabled])).toEqual([
      ['', 'inherit: simple (default-config.toml:20)', false],
      ['simple', 'simple (built-in MLP)', false],
      ['wide', 'wide (models/wide.mjs)', false],
      ['broken', 'broken (models/broken.mjs) — cannot load', true],
    ]);
    expect(picker.value).toBe('wide');
    expect(screen.getByText('/d/models/broken.mjs:3: syntax error: Unexpected token')).toBeTruthy();
    await userEvent.selectOptions(picker, 'simple');
    expect(onEdit).toHaveBeenLastCalledWith('model.type', 'simple');

    // The params form follows the module's schema; a key it does not declare is flagged.
    expect(screen.getByLabelText<HTMLInputElement>('units').value).toBe('64');
    expect(screen.getByLabelText<HTMLInputElement>('units').min).toBe('1');
    expect(screen.getByText(/stale: unknown key for model module models\/wide\.mjs \(it accepts: units, act\)/)).toBeTruthy();
    const units = screen.getByLabelText<HTMLInputElement>('units');
    await userEvent.clear(units);
    await userEvent.type(units, '128');
    units.blur();
    expect(onEdit).toHaveBeenLastCalledWith('model.params', { units: 128, stale: 1 });
    await userEvent.selectOptions(screen.getByLabelText('act'), 'tanh');
    expect(onEdit).toHaveBeenLastCalledWith('model.params', { units: 64, stale: 1, act: 'tanh' });
  });

  it("shows a param's schema problem from validation under the params form, named by its key", async () => {
    const bridge = makeBridge({});
    const result = await bridge.validate('[model]\ntype = "wide"\n\n[model.params]\nunits = 0\n');
    const models = [{ name: 'wide', builtin: false, file: 'models/wide.mjs', paramsSchema: { units: { type: 'integer' as const, min: 1 } } }];
    // What config:validate reports for a module's params (tests/core/config/module-params-validate.test.ts).
    const issues = [
      { key: 'model.params.units', message: 'expected integer ≥ 1, got integer 0', line: 5, column: 1 },
      { key: 'model.params.stale', message: 'unknown key for model module models/wide.mjs (it accepts: units)', line: 6, column: 1 },
    ];
    render(<ConfigForm schema={bridge.schema} values={result.values} resolved={result.resolved} inherited={result.inherited} issues={issues} onEdit={vi.fn()} models={models} />);
    const field = screen.getByLabelText('units').closest('.cfg-field') as HTMLElement;
    // The unknown key is listed by the params form itself (with Remove), not twice.
    expect(within(field).getAllByRole('alert').map((alert) => alert.textContent)).toEqual(['units: expected integer ≥ 1, got integer 0']);
  });
});
