import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../../src/shared/progress';
import type { PreprocessOutcome, PreprocessRequest } from '../../../src/shared/datasets';
import { PreprocessDialog } from '../../../src/renderer/src/datasets/PreprocessDialog';
import { prepared } from './fake-client';

afterEach(cleanup);

const sources = [
  { name: 'iris', rows: 150, columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'] },
  { name: 'wine', rows: 178, columns: ['class', 'alcohol', 'malic_acid'] },
];

type Preprocess = (request: PreprocessRequest, onProgress: (p: Progress) => void, signal: AbortSignal) => Promise<PreprocessOutcome>;

function setup(preprocess = vi.fn<Preprocess>(async (request) => ({ dataset: prepared(request.name!, request), unchanged: false }))) {
  const onDone = vi.fn();
  const onClose = vi.fn();
  render(<PreprocessDialog sources={sources} existing={['prepared-dataset']} preprocess={preprocess} onDone={onDone} onClose={onClose} />);
  const submit = (): HTMLButtonElement => screen.getByRole('button', { name: /^Preprocess/ });
  return { preprocess, onDone, onClose, submit, user: userEvent.setup() };
}

describe('PreprocessDialog', () => {
  it('sends the task only when one is chosen over the detection', async () => {
    const { user, submit, preprocess } = setup();
    await user.click(submit());
    expect(preprocess.mock.calls[0]![0]).not.toHaveProperty('task');
    await user.selectOptions(screen.getByLabelText('Task'), 'regression');
    await user.click(submit());
    expect(preprocess.mock.calls[1]![0]).toMatchObject({ source: 'iris', task: 'regression' });
  });

  it('validates the split, seed and name before anything is sent', async () => {
    const { user, submit, preprocess } = setup();
    const split = screen.getByLabelText('Training fraction');
    expect(screen.getByText('≈ 120 training · 30 test rows')).toBeTruthy();
    for (const bad of ['1', '0', '1.2', '-0.5', 'abc', '']) {
      await user.clear(split);
      if (bad) await user.type(split, bad);
      expect(screen.getByText(`Split must be a number between 0 and 1 (exclusive), got ${JSON.stringify(bad)}`)).toBeTruthy();
      expect(split.getAttribute('aria-invalid')).toBe('true');
      expect(submit().disabled).toBe(true);
    }
    await user.clear(split);
    await user.type(split, '0.7');
    expect(split.getAttribute('aria-invalid')).toBe('false');
    expect(screen.getByText('≈ 105 training · 45 test rows')).toBeTruthy();
    expect(submit().disabled).toBe(false);

    const seed = screen.getByLabelText('Seed');
    await user.clear(seed);
    await user.type(seed, '1.5');
    expect(screen.getByText('Seed must be a whole number from 0 to 4294967295, got "1.5"')).toBeTruthy();
    await user.clear(seed);
    await user.type(seed, '7');

    const name = screen.getByLabelText('Name');
    await user.clear(name);
    await user.type(name, '../up');
    expect(screen.getByText(/A dataset name uses letters, digits/)).toBeTruthy();
    expect(submit().disabled).toBe(true);
    await user.clear(name);
    await user.type(name, 'prepared-dataset');
    expect(screen.getByText(/exists: identical content is kept; different content needs Replace/)).toBeTruthy();
    await user.clear(name);
    await user.type(name, 'iris-70');
    expect(preprocess).not.toHaveBeenCalled();
    await user.click(screen.getByRole('checkbox', { name: /Separate sets/ }));
    await user.click(submit());
    expect(preprocess).toHaveBeenCalledTimes(1);
    expect(preprocess.mock.calls[0]![0]).toEqual({ source: 'iris', split: 0.7, separateSets: false, seed: 7, name: 'iris-70', force: false });
  });

  it('the slider and the number stay in step', async () => {
    const { user } = setup();
    const slider = screen.getByLabelText<HTMLInputElement>('Training fraction slider');
    const number = screen.getByLabelText<HTMLInputElement>('Training fraction');
    await user.clear(number);
    await user.type(number, '0.65');
    expect(slider.value).toBe('0.65');
  });

  it('shows progress while running and Cancel aborts the job', async () => {
    let report: (p: Progress) => void = () => {};
    let seenSignal: AbortSignal | undefined;
    const preprocess = vi.fn<Preprocess>(
      (_request, onProgress, signal) =>
        new Promise<PreprocessOutcome>((_resolve, reject) => {
          report = onProgress;
          seenSignal = signal;
          signal.addEventListener('abort', () => reject(new Error('preprocess cancelled; nothing was written')));
        }),
    );
    const { user, onDone, submit } = setup(preprocess);
    await user.click(submit());
    expect(screen.getByText('Starting…')).toBeTruthy();
    expect(submit().disabled).toBe(true);
    expect(screen.getByLabelText('Name').matches(':disabled')).toBe(true);
    report({ phase: 'validating', done: 2048, total: 4096, unit: 'bytes' });
    expect(await screen.findByText('Validating — 2.0 kB of 4.0 kB · 50%')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
    report({ phase: 'writing', done: 90, total: 120, unit: 'rows' });
    expect(await screen.findByText('Writing — 90 rows of 120 rows · 75%')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('75');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(seenSignal!.aborted).toBe(true);
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing was written.');
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(onDone).not.toHaveBeenCalled();
    expect(submit().disabled).toBe(false);
  });

  it("shows the core's error inline and keeps the form for another try", async () => {
    const message =
      'prepared dataset "prepared-dataset" already exists at /data/datasets/prepared-dataset with different content; use --force to replace it or --name to choose another name';
    const preprocess = vi.fn<Preprocess>(async () => {
      throw new Error(message);
    });
    const { user, submit, onDone } = setup(preprocess);
    await user.click(submit());
    expect((await screen.findByRole('alert')).textContent).toBe(message);
    expect(onDone).not.toHaveBeenCalled();
    await user.click(screen.getByRole('checkbox', { name: /Replace/ }));
    expect(screen.queryByRole('alert')).toBeNull();
    await user.click(submit());
    expect(preprocess.mock.calls[1]![0]).toMatchObject({ force: true });
  });

  it('reports the outcome, and Escape or Close closes the dialog', async () => {
    const { user, submit, onDone, onClose } = setup();
    await user.click(submit());
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(onDone.mock.calls[0]![0].dataset.name).toBe('iris-prepared');
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it('proposes a name that does not collide with an existing dataset', () => {
    setup();
    // prepared-dataset exists: the default is named after the raw file instead
    expect(screen.getByLabelText<HTMLInputElement>('Name').value).toBe('iris-prepared');
    expect(screen.getByText('→ datasets/iris-prepared/')).toBeTruthy();
  });

  it('offers the columns of the chosen raw CSV as the label column, and sends the choice', async () => {
    const { user, submit, preprocess } = setup();
    const label = screen.getByLabelText<HTMLSelectElement>('Label column');
    expect([...label.options].map((o) => o.textContent)).toEqual(['last column (species)', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
    await user.selectOptions(screen.getByLabelText('Raw dataset'), 'wine');
    expect([...label.options].map((o) => o.textContent)).toEqual(['last column (malic_acid)', 'class', 'alcohol', 'malic_acid']);
    await user.selectOptions(label, 'class');
    await user.click(submit());
    expect(preprocess.mock.calls[0]![0]).toMatchObject({ source: 'wine', label: 'class' });
  });
});
