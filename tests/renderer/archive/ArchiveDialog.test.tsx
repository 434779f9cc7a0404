import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArchiveDialog } from '../../../src/renderer/src/archive/ArchiveDialog';
import { MemoryApi } from './memory-api';
import { DATA, renderInApp } from './render';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function setup(options: ConstructorParameters<typeof MemoryApi>[0] = {}) {
  const api = new MemoryApi({ files: DATA, ...options });
  const onClose = vi.fn();
  renderInApp(api, <ArchiveDialog onClose={onClose} />);
  return { api, onClose, user: userEvent.setup() };
}

const start = (): HTMLElement => screen.getByRole('button', { name: /^Archiv/ });
const progressText = (): string => screen.getByTestId('progress-text').textContent ?? '';

describe('ArchiveDialog', () => {
  it('shows progress in bytes with speed and time left, then the result summary', async () => {
    // The dialog measures speed on performance.now(); the test moves that clock between events.
    let clock = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const { api, user } = setup();
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    const [taskId] = api.running();
    expect(api.calls.find((c) => c.method === 'archiveCreate')?.request).toEqual({ taskId, format: 'gz', excludeCheckpoints: false, only: [] });
    expect(screen.getByRole('progressbar', { name: 'Archive progress' })).toBeTruthy();
    expect(progressText()).toBe('Starting…');
    expect(start().textContent).toBe('Archiving…');

    act(() => api.progress(taskId!, 0));
    expect(progressText()).toBe('Archiving — 0 B of 59.7 kB · 0%');
    clock += 2000;
    act(() => api.progress(taskId!, 20_000));
    // 20 000 bytes in 2 s = 10 000 B/s; 41 131 bytes left ≈ 4.1 s.
    expect(progressText()).toBe('Archiving — 19.5 kB of 59.7 kB · 32% · 9.8 kB/s · 4.1 s left');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('33');

    act(() => api.complete(taskId!));
    const summary = await screen.findByLabelText('Archive summary');
    expect(within(summary).getByText('/home/ada/expman-data-20260126-143005.tar.gz')).toBeTruthy();
    expect(within(summary).getByText('6')).toBeTruthy();
    expect(within(summary).getByText('4.00×')).toBeTruthy();
    expect(within(summary).getByText(/Reveal in File Manager/)).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(api.listenerCount('progress')).toBe(0);
  });

  it('lists live runs and skipped entries from the result', async () => {
    const { api, user } = setup({
      files: { ...DATA, 'experiments/e1/models/run-2/.live': 10, 'experiments/e1/models/run-2/checkpoints/.tmp-epoch-3.bin': 100 },
    });
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    act(() => api.complete(api.running()[0]!));
    const summary = await screen.findByLabelText('Archive summary');
    expect(within(summary).getByText(/Live runs/).textContent).toContain('(1)');
    expect(within(summary).getByText('e1/run-2')).toBeTruthy();
    expect(within(summary).getByText('pid 4242 on lab-gpu')).toBeTruthy();
    expect(within(summary).getByText(/^Skipped/).textContent).toContain('(1)');
    expect(within(summary).getByText('experiments/e1/models/run-2/checkpoints/.tmp-epoch-3.bin')).toBeTruthy();
    expect(within(summary).getByText('— temporary file (being written)')).toBeTruthy();
  });

  it('sends the options: checkpoints excluded, only the chosen experiments', async () => {
    const { api, user } = setup();
    await user.click(screen.getByRole('checkbox', { name: /Exclude checkpoints/ }));
    await user.click(screen.getByRole('checkbox', { name: /Only some experiments/ }));
    const group = await screen.findByRole('group', { name: 'Experiments to archive' });
    await within(group).findByText('experiments/e2');
    expect(screen.getByText('Choose at least one experiment.')).toBeTruthy();
    expect((start() as HTMLButtonElement).disabled).toBe(true);
    await user.click(within(group).getByRole('checkbox', { name: 'experiments/e2' }));
    expect((start() as HTMLButtonElement).disabled).toBe(false);
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    const request = api.calls.find((c) => c.method === 'archiveCreate')!.request;
    expect(request).toMatchObject({ excludeCheckpoints: true, only: ['experiments/e2'] });
    act(() => api.complete(api.running()[0]!));
    const summary = await screen.findByLabelText('Archive summary');
    // e2 only: config.toml and run.log.
    expect(within(summary).getByText('2')).toBeTruthy();
  });

  it('offers zstd: the request and the browser command carry the format', async () => {
    const { api, user } = setup();
    const group = screen.getByRole('radiogroup', { name: 'Compression' });
    expect(within(group).getByRole<HTMLInputElement>('radio', { name: /gzip \(\.tar\.gz\)/ }).checked).toBe(true);
    await user.click(within(group).getByRole('radio', { name: /zstd \(\.tar\.zst\)/ }));
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    expect(api.calls.find((c) => c.method === 'archiveCreate')!.request).toMatchObject({ format: 'zst' });
    act(() => api.complete(api.running()[0]!));
    await screen.findByLabelText('Archive summary');
  });

  it('Cancel stops the task through tasks:cancel and says nothing was left behind', async () => {
    const { api, user, onClose } = setup();
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    const [taskId] = api.running();
    act(() => api.progress(taskId!, 10_000));
    // While it runs, Escape does not close the dialog.
    await user.keyboard('{Escape}');
    expect(onClose).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.calls.find((c) => c.method === 'tasksCancel')?.request).toEqual({ taskId });
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — no archive file was left behind.');
    expect(api.running()).toEqual([]);
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('a cancelled save dialog closes the dialog quietly', async () => {
    const { api, user, onClose } = setup();
    api.saveAs = null;
    await user.click(start());
    await waitFor(() => expect(onClose).toHaveBeenCalledTimes(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("shows the core's error inline and can start again", async () => {
    const { api, user } = setup();
    api.failNext.set('archiveCreate', { code: 'DISK_FULL', message: 'ENOSPC: no space left on device, write /home/ada/.tmp-expman-data.tar.gz' });
    await user.click(start());
    expect((await screen.findByRole('alert')).textContent).toBe('ENOSPC: no space left on device, write /home/ada/.tmp-expman-data.tar.gz');
    await user.click(start());
    await waitFor(() => expect(api.running()).toHaveLength(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('in the browser it says up front that archiving runs on the server, with the exact command for the options', async () => {
    const { api, user } = setup({ osIntegration: false });
    const box = await screen.findByTestId('archive-on-server');
    expect(screen.getByRole('dialog').textContent).toMatch(/^Archive the data folderArchiving runs on the server/);
    expect(screen.queryByRole('button', { name: /^Archiv/ })).toBeNull();
    expect(within(box).getByText('expman archive --data /home/ada/data')).toBeTruthy();
    await user.click(screen.getByLabelText(/Exclude checkpoints/));
    await user.click(screen.getByLabelText(/Only some experiments/));
    await user.click(screen.getByLabelText('experiments/e2'));
    expect(within(box).getByText('expman archive --data /home/ada/data --exclude-checkpoints --only experiments/e2')).toBeTruthy();
    await user.click(screen.getByRole('radio', { name: /zstd/ }));
    expect(within(box).getByText('expman archive --data /home/ada/data --format zst --exclude-checkpoints --only experiments/e2')).toBeTruthy();
    expect(api.calls.filter((call) => call.method === 'archiveCreate')).toEqual([]);
  });
});
