import { forEachDiagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { act, cleanup, configure, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigEditor } from '../../../src/renderer/src/config/ConfigEditor';
import { loadCoreConfigBridge, type CoreConfigBridge } from './core-bridge';

const makeBridge = await loadCoreConfigBridge();
// Validation goes through the real core (file reads); on a loaded machine it can take over the default 1 s.
configure({ asyncUtilTimeout: 10_000 });

beforeAll(() => {
  // jsdom has no layout; CodeMirror measures text ranges when it scrolls or draws the cursor.
  Range.prototype.getClientRects = () => [] as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect = () => new DOMRect();
});
afterEach(cleanup);

const SAVED = '# tuned for Iris\n[training]\nepochs = 40 # short\n';

function renderEditor(bridge: CoreConfigBridge, text: string, overrides: Partial<Parameters<typeof ConfigEditor>[0]> = {}) {
  return render(
    <ConfigEditor schema={bridge.schema} text={text} version={null} title="e1" file="/data/experiments/e1/config.toml" validate={bridge.validate} edit={bridge.edit} save={bridge.save} validateDelayMs={10} {...overrides} />,
  );
}

function editorView(container: HTMLElement): EditorView {
  const view = EditorView.findFromDOM(container.querySelector<HTMLElement>('.cm-editor')!);
  expect(view).not.toBeNull();
  return view!;
}

/** Types into the CodeMirror document as a user edit would (jsdom has no layout for real key events). */
function replaceText(view: EditorView, text: string): void {
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
}

function diagnostics(view: EditorView): { text: string; message: string }[] {
  const found: { text: string; message: string }[] = [];
  forEachDiagnostic(view.state, (d, from, to) => found.push({ text: view.state.doc.sliceString(from, to), message: d.message }));
  return found;
}

const saveButton = () => screen.getByRole('button', { name: /^save/i });

describe('ConfigEditor', () => {
  it('validates live and underlines the problem, naming the key and the expected type', async () => {
    const bridge = makeBridge();
    const { container } = renderEditor(bridge, SAVED);
    const view = editorView(container);
    await screen.findByText('✓ Valid');
    replaceText(view, '[training]\nbatch_size = "16"\n');

    const problems = await screen.findByRole('list', { name: 'Problems' });
    expect(within(problems).getByText('training.batch_size: expected integer ≥ 1 and ≤ 1000000, got string "16"')).toBeTruthy();
    expect(within(problems).getByText('Line 2:1')).toBeTruthy();
    await waitFor(() =>
      expect(diagnostics(view)).toEqual([{ text: 'batch_size = "16"', message: 'training.batch_size: expected integer ≥ 1 and ≤ 1000000, got string "16"' }]),
    );
    expect(container.querySelector('.cm-lintRange-error')?.textContent).toContain('batch_size');
    expect(screen.getByText('1 problem')).toBeTruthy();
  });

  it('keeps Save disabled while the text is invalid or unchanged, and saves a valid edit', async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const onSaved = vi.fn();
    const loaded = await bridge.read();
    const { container } = renderEditor(bridge, loaded.text, { onSaved, version: loaded.version });
    const view = editorView(container);
    await screen.findByText('✓ Valid');
    expect(saveButton()).toHaveProperty('disabled', true); // nothing changed yet

    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 0'));
    await screen.findByText('1 problem');
    expect(saveButton()).toHaveProperty('disabled', true);
    expect(screen.getByLabelText('Unsaved changes')).toBeTruthy();

    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 60'));
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await userEvent.click(saveButton());
    await waitFor(() => expect(bridge.fileText()).toBe(SAVED.replace('epochs = 40', 'epochs = 60')));
    expect(onSaved).toHaveBeenCalledWith(SAVED.replace('epochs = 40', 'epochs = 60'));
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', true));
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();
  });

  it("shows the core's message when saving fails, and Revert restores the saved text", async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const save = vi.fn(async () => {
      throw new Error('/data/experiments/e1/config.toml: cannot write (EACCES)');
    });
    const { container } = renderEditor(bridge, SAVED, { save });
    const view = editorView(container);
    replaceText(view, `${SAVED}seed = 3\n`);
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await userEvent.click(saveButton());
    expect((await screen.findByRole('alert')).textContent).toContain('cannot write (EACCES)');
    expect(bridge.fileText()).toBe(SAVED);

    await userEvent.click(screen.getByRole('button', { name: 'Revert' }));
    expect(view.state.doc.toString()).toBe(SAVED);
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', true));
  });

  it('toggles between Text and Form without losing edits, and form edits keep comments', async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const { container } = renderEditor(bridge, SAVED);
    const view = editorView(container);
    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 55'));
    await screen.findByText('✓ Valid');

    await userEvent.click(screen.getByRole('button', { name: 'Form' }));
    const epochs = screen.getByLabelText('epochs');
    await waitFor(() => expect((epochs as HTMLInputElement).value).toBe('55'));

    await userEvent.clear(epochs);
    await userEvent.type(epochs, '70{Enter}');
    await waitFor(() => expect(view.state.doc.toString()).toBe('# tuned for Iris\n[training]\nepochs = 70 # short\n'));
    await userEvent.selectOptions(screen.getByLabelText('optimizer'), 'sgd');
    await waitFor(() => expect(view.state.doc.toString()).toBe('# tuned for Iris\n[training]\nepochs = 70 # short\noptimizer = "sgd"\n'));

    await userEvent.click(screen.getByRole('button', { name: 'Text' }));
    expect(view.state.doc.toString()).toContain('optimizer = "sgd"');
    expect(bridge.fileText()).toBe(SAVED); // nothing saved until Save
  });

  it('shows a refused form value inline with the core message and leaves the text alone', async () => {
    const bridge = makeBridge();
    const { container } = renderEditor(bridge, SAVED, { initialMode: 'form' });
    const view = editorView(container);
    const batch = await screen.findByLabelText('batch_size');
    await userEvent.type(batch, '0{Enter}');
    expect((await screen.findByText('training.batch_size: expected integer ≥ 1 and ≤ 1000000, got integer 0')).getAttribute('role')).toBe('alert');
    expect(view.state.doc.toString()).toBe(SAVED);
  });

  it('shows the resolved config with origins and marks keys changed by the edit', async () => {
    const bridge = makeBridge({ defaultConfig: '[training]\nbatch_size = 8\n', overrides: ['training.seed=5'] });
    const { container } = renderEditor(bridge, SAVED);
    const table = await screen.findByRole('table', { name: 'Resolved config' });
    const row = (key: string) => within(table).getByText(key).closest('tr')!;
    await waitFor(() => expect(row('training.epochs').textContent).toContain('config.toml:3'));
    expect(row('training.batch_size').textContent).toContain('default-config.toml:2');
    expect(row('training.seed').textContent).toContain('override');
    expect(row('training.optimizer').textContent).toContain('default');

    replaceText(editorView(container), SAVED.replace('epochs = 40', 'epochs = 41'));
    await waitFor(() => expect(row('training.epochs').className).toBe('cfg-row-changed'));
    expect(row('training.optimizer').className).toBe('');
  });

  it('saves with Ctrl+S and reports the dirty state', async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const onDirtyChange = vi.fn();
    const { container } = renderEditor(bridge, SAVED, { onDirtyChange, version: (await bridge.read()).version });
    const view = editorView(container);
    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 45'));
    await waitFor(() => expect(onDirtyChange).toHaveBeenLastCalledWith(true));
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await act(async () => {
      view.contentDOM.dispatchEvent(new KeyboardEvent('keydown', { key: 's', ctrlKey: true, bubbles: true }));
    });
    await waitFor(() => expect(bridge.fileText()).toBe(SAVED.replace('epochs = 40', 'epochs = 45')));
    await waitFor(() => expect(onDirtyChange).toHaveBeenLastCalledWith(false));
  });

  it('resets an invalid value from the form, removing it from the text', async () => {
    const bridge = makeBridge();
    const { container } = renderEditor(bridge, '[training]\nepochs = "many" # oops\nseed = 1\n', { initialMode: 'form' });
    const field = (await screen.findByText(/got string "many"/, { selector: '.cfg-field-error' })).closest('.cfg-field') as HTMLElement;
    await userEvent.click(within(field).getByRole('button', { name: 'Reset' }));
    await waitFor(() => expect(editorView(container).state.doc.toString()).toBe('[training]\nseed = 1\n'));
    await screen.findByText('✓ Valid');
  });

  it('disables the form while the text is not TOML, saying where the syntax error is', async () => {
    const bridge = makeBridge();
    renderEditor(bridge, '[training\nepochs = 3\n', { initialMode: 'form' });
    expect((await screen.findByRole('status')).textContent).toMatch(/not valid TOML \(Line 1:\d+/);
    expect(screen.getByLabelText('epochs')).toHaveProperty('disabled', true);
  });

  it('catches a two-tab save conflict: shows both versions, then reloads or overwrites on request', async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const loaded = await bridge.read();
    const onSaved = vi.fn();
    const { container } = renderEditor(bridge, loaded.text, { version: loaded.version, onSaved });
    const view = editorView(container);
    // The other tab saves first (it loaded the same version).
    const other = SAVED.replace('epochs = 40', 'epochs = 99');
    await bridge.save(other, loaded.version);

    const mine = SAVED.replace('epochs = 40', 'epochs = 41');
    replaceText(view, mine);
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await userEvent.click(saveButton());
    const conflict = await screen.findByRole('alertdialog', { name: 'Save conflict' });
    expect(conflict.textContent).toMatch(/changed on disk since you loaded it/);
    expect(bridge.fileText()).toBe(other);
    expect(onSaved).not.toHaveBeenCalled();
    const diff = within(conflict).getByLabelText('Differences');
    const lines = [...diff.querySelectorAll('[data-kind]')].map((line) => `${line.getAttribute('data-kind')}:${(line.textContent ?? '').slice(1)}`);
    expect(lines).toContain('removed:epochs = 99 # short');
    expect(lines).toContain('added:epochs = 41 # short');

    // Overwrite: mine goes over the version on disk.
    await userEvent.click(within(conflict).getByRole('button', { name: 'Overwrite with mine' }));
    await waitFor(() => expect(bridge.fileText()).toBe(mine));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(onSaved).toHaveBeenCalledWith(mine);

    // Another change elsewhere, then a conflict resolved the other way: reload theirs.
    const third = SAVED.replace('epochs = 40', 'epochs = 7');
    bridge.writeElsewhere(third);
    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 42'));
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await userEvent.click(saveButton());
    await userEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: /Reload from disk/ }));
    expect(view.state.doc.toString()).toBe(third);
    expect(bridge.fileText()).toBe(third);
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();
    // And the next save builds on the reloaded version without a conflict.
    replaceText(view, SAVED.replace('epochs = 40', 'epochs = 8'));
    await waitFor(() => expect(saveButton()).toHaveProperty('disabled', false));
    await userEvent.click(saveButton());
    await waitFor(() => expect(bridge.fileText()).toBe(SAVED.replace('epochs = 40', 'epochs = 8')));
  });

  it('takes a change on disk silently without unsaved edits, and shows it at once with them', async () => {
    const bridge = makeBridge({ experimentConfig: SAVED });
    const loaded = await bridge.read();
    const props = { version: loaded.version };
    const { container, rerender } = renderEditor(bridge, loaded.text, props);
    const view = editorView(container);
    await screen.findByText('✓ Valid');

    // Another tab saves: no unsaved edits here, so the editor now shows (and builds on) the file on disk.
    const theirs = SAVED.replace('epochs = 40', 'epochs = 99');
    bridge.writeElsewhere(theirs);
    let disk = await bridge.read();
    rerender(<ConfigEditor schema={bridge.schema} text={loaded.text} version={loaded.version} validate={bridge.validate} edit={bridge.edit} save={bridge.save} validateDelayMs={10} onDisk={{ file: disk.file, text: disk.text, version: disk.version }} />);
    await waitFor(() => expect(view.state.doc.toString()).toBe(theirs));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();

    // Now with unsaved edits: a change on disk shows both versions before any save.
    const mine = SAVED.replace('epochs = 40', 'epochs = 41');
    replaceText(view, mine);
    const third = SAVED.replace('epochs = 40', 'epochs = 7');
    bridge.writeElsewhere(third);
    disk = await bridge.read();
    rerender(<ConfigEditor schema={bridge.schema} text={loaded.text} version={loaded.version} validate={bridge.validate} edit={bridge.edit} save={bridge.save} validateDelayMs={10} onDisk={{ file: disk.file, text: disk.text, version: disk.version }} />);
    const changed = await screen.findByRole('alertdialog', { name: 'Changed on disk' });
    expect(changed.textContent).toMatch(/changed on disk while you were editing/);
    const lines = [...changed.querySelectorAll('[data-kind]')].map((line) => `${line.getAttribute('data-kind')}:${(line.textContent ?? '').slice(1)}`);
    expect(lines).toContain('removed:epochs = 7 # short');
    expect(lines).toContain('added:epochs = 41 # short');
    expect(view.state.doc.toString()).toBe(mine); // my edits stay until I choose
    await userEvent.click(within(changed).getByRole('button', { name: 'Overwrite with mine' }));
    await waitFor(() => expect(bridge.fileText()).toBe(mine));
    expect(screen.queryByRole('alertdialog')).toBeNull();

    // My own save comes back from the watcher too: nothing to show.
    disk = await bridge.read();
    rerender(<ConfigEditor schema={bridge.schema} text={loaded.text} version={loaded.version} validate={bridge.validate} edit={bridge.edit} save={bridge.save} validateDelayMs={10} onDisk={{ file: disk.file, text: disk.text, version: disk.version }} />);
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(view.state.doc.toString()).toBe(mine);
  });
});
