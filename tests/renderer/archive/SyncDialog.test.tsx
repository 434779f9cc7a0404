import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncDialog } from '../../../src/renderer/src/archive/SyncDialog';
import type { ErrorCode } from '../../../src/shared/errors';
import { MemoryApi } from './memory-api';
import { DATA, renderInApp } from './render';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const LAB = 'ada@lab-gpu:expman-data';

function setup(options: ConstructorParameters<typeof MemoryApi>[0] = {}) {
  const api = new MemoryApi({ files: DATA, targets: { [LAB]: { 'experiments/e1/config.toml': 300, 'old/stale.txt': 5 } }, ...options });
  const onClose = vi.fn();
  renderInApp(api, <SyncDialog onClose={onClose} />);
  return { api, onClose, user: userEvent.setup() };
}

const button = (name: RegExp | string): HTMLButtonElement => screen.getByRole('button', { name });

async function typeTarget(user: ReturnType<typeof userEvent.setup>, target: string): Promise<void> {
  const input = screen.getByLabelText('Target');
  await user.clear(input);
  await user.type(input, target);
}

describe('SyncDialog', () => {
  it('previews a dry run as an itemized list with group counts, then syncs with progress and a summary', async () => {
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const { api, user } = setup();
    await typeTarget(user, LAB);
    await user.click(screen.getByRole('checkbox', { name: /Delete/ }));
    // Sync runs only what was previewed.
    expect(button('Sync').disabled).toBe(true);
    await user.click(button('Preview (dry run)'));

    const preview = await screen.findByLabelText('Dry-run preview');
    expect(api.calls.find((c) => c.method === 'syncRun')?.request).toMatchObject({ target: LAB, direction: 'push', dryRun: true, delete: true, excludeCheckpoints: false });
    expect(within(preview).getByTestId('count-send').textContent).toBe('send 5');
    expect(within(preview).queryByTestId('count-receive')).toBeNull(); // a push only sends
    expect(within(preview).getByTestId('count-create').textContent).toBe('create 0');
    expect(within(preview).getByTestId('count-delete').textContent).toBe('delete 1');
    const rows = within(within(preview).getByRole('table', { name: 'Changes' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent))).toEqual([
      ['send', 'file', 'datasets/external/iris.csv'],
      ['send', 'file', 'experiments/e1/models/run-1/checkpoints/epoch-10.bin'],
      ['send', 'file', 'experiments/e1/models/run-1/logs/run.log'],
      ['send', 'file', 'experiments/e2/config.toml'],
      ['send', 'file', 'experiments/e2/models/run-1/logs/run.log'],
      ['delete', 'file', 'old/stale.txt'],
    ]);
    expect(within(preview).getByTestId('preview-summary').textContent).toBe('5 of 6 files would be transferred (59.4 kB of 59.7 kB), 1 deleted.');
    expect(api.targets.get(LAB)!.has('old/stale.txt')).toBe(true);

    await user.click(button('Sync'));
    await waitFor(() => expect(api.running()).toHaveLength(1));
    const [taskId] = api.running();
    expect(api.calls.filter((c) => c.method === 'syncRun').at(-1)?.request).toMatchObject({ taskId, dryRun: false, delete: true });
    expect(button(/Syncing/).disabled).toBe(true);
    act(() => api.progress(taskId!, 0));
    clock += 1000;
    act(() => api.progress(taskId!, 30_416));
    expect(screen.getByTestId('progress-text').textContent).toBe('Syncing — 29.7 kB of 59.4 kB · 50% · 29.7 kB/s · 1.0 s left');

    act(() => api.complete(taskId!));
    const summary = await screen.findByLabelText('Sync summary');
    expect(within(summary).getByText('Files transferred').nextElementSibling!.textContent).toBe('5 of 6');
    expect(within(summary).getByText('Deleted').nextElementSibling!.textContent).toBe('1');
    expect(within(summary).getByText('Speed').nextElementSibling!.textContent).toBe('29.7 kB/s');
    expect(within(summary).getByText('Time').nextElementSibling!.textContent).toBe('2.0 s');
    expect(api.targets.get(LAB)!.has('old/stale.txt')).toBe(false);
    expect(api.targets.get(LAB)!.get('experiments/e2/config.toml')).toBe(280);
  });

  it('lists the runs that are live on the receiving side, which sync leaves untouched', async () => {
    const { api, user } = setup();
    api.protectedRuns = [{ path: 'experiments/e1/models/live', experiment: 'e1', model: 'live', status: 'running', pid: 4242, host: 'lab-gpu', reason: 'running on lab-gpu (pid 4242; a process on the receiving host cannot be checked from here)' }];
    await typeTarget(user, LAB);
    await user.click(button('Preview (dry run)'));
    const preview = await screen.findByLabelText('Dry-run preview');
    const note = within(preview).getByRole('note', { name: 'Protected runs' });
    expect(note.textContent).toContain('1 run is live on the receiving side and left untouched');
    expect(note.textContent).toContain('experiments/e1/models/live/ — running on lab-gpu (pid 4242;');
    await user.click(button('Sync'));
    await waitFor(() => expect(api.running()).toHaveLength(1));
    act(() => api.complete(api.running()[0]!));
    const summary = await screen.findByLabelText('Sync summary');
    expect(within(summary).getByRole('note', { name: 'Protected runs' }).textContent).toContain('experiments/e1/models/live/');
  });

  it('changing a setting after the preview asks for a new preview before Sync', async () => {
    const { user } = setup();
    await typeTarget(user, LAB);
    await user.click(button('Preview (dry run)'));
    await screen.findByLabelText('Dry-run preview');
    expect(button('Sync').disabled).toBe(false);
    await user.click(screen.getByRole('radio', { name: /Pull/ }));
    expect(button('Sync').disabled).toBe(true);
    expect(screen.getByText(/preview again before syncing/)).toBeTruthy();
  });

  it('Cancel stops a running sync and says how to resume', async () => {
    const { api, user } = setup();
    await typeTarget(user, LAB);
    await user.click(button('Preview (dry run)'));
    await screen.findByLabelText('Dry-run preview');
    await user.click(button('Sync'));
    await waitFor(() => expect(api.running()).toHaveLength(1));
    const [taskId] = api.running();
    await user.click(button('Cancel'));
    expect(api.calls.find((c) => c.method === 'tasksCancel')?.request).toEqual({ taskId });
    expect((await screen.findByText(/run the sync again to finish it/)).getAttribute('role')).toBe('status');
    expect(api.running()).toEqual([]);
    expect(screen.queryByLabelText('Sync summary')).toBeNull();
    expect(api.targets.get(LAB)!.has('experiments/e2/config.toml')).toBe(false);
  });

  it('saves, selects and removes destinations', async () => {
    const { api, user } = setup();
    expect(await screen.findByText(/No saved destinations yet/)).toBeTruthy();
    await user.type(screen.getByLabelText('Name'), 'lab');
    await typeTarget(user, LAB);
    await user.click(screen.getByRole('checkbox', { name: 'Exclude checkpoints' }));
    await user.click(button('Save destination'));
    const list = await screen.findByRole('list', { name: 'Saved destinations' });
    expect(api.destinations).toEqual([{ name: 'lab', target: LAB, excludeCheckpoints: true, delete: false }]);
    expect(within(list).getByText(LAB)).toBeTruthy();
    expect(within(list).getByText('no checkpoints')).toBeTruthy();

    await user.clear(screen.getByLabelText('Name'));
    await user.type(screen.getByLabelText('Name'), 'backup');
    await typeTarget(user, '/mnt/backup/data');
    await user.click(screen.getByRole('checkbox', { name: 'Exclude checkpoints' }));
    await user.click(screen.getByRole('checkbox', { name: /Delete/ }));
    await user.click(button('Save destination'));
    await waitFor(() => expect(api.destinations.map((d) => d.name)).toEqual(['backup', 'lab']));

    // Selecting a saved one fills the form with its settings.
    await user.click(within(list).getByRole('button', { name: /^lab/ }));
    expect(screen.getByLabelText<HTMLInputElement>('Target').value).toBe(LAB);
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: 'Exclude checkpoints' }).checked).toBe(true);
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /Delete/ }).checked).toBe(false);
    expect(within(list).getByRole('button', { name: /^lab/ }).getAttribute('aria-pressed')).toBe('true');
    // Editing the form by hand leaves the saved one as it was, and no longer marked as shown.
    await user.type(screen.getByLabelText('Target'), '-2');
    expect(within(list).getByRole('button', { name: /^lab/ }).getAttribute('aria-pressed')).toBe('false');
    expect(api.destinations.find((d) => d.name === 'lab')?.target).toBe(LAB);

    await user.click(within(list).getByRole('button', { name: 'Remove backup' }));
    await waitFor(() => expect(api.destinations.map((d) => d.name)).toEqual(['lab']));
    expect(within(list).queryByText('/mnt/backup/data')).toBeNull();
  });

  it('names a bad target before any call', async () => {
    const { api, user } = setup();
    await typeTarget(user, '--rsh=evil');
    expect(screen.getByLabelText('Target').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Target: a folder or \[user@\]host:path/)).toBeTruthy();
    expect(button('Preview (dry run)').disabled).toBe(true);
    expect(api.calls.filter((c) => c.method === 'syncRun')).toEqual([]);
  });

  it.each<[ErrorCode, string]>([
    ['RSYNC_MISSING', 'rsync is not installed on lab-gpu: install it there (apt install rsync)'],
    ['SYNC_PERMISSION', 'permission denied logging in to ada@lab-gpu (publickey)'],
  ])('shows the core error %s inline', async (code, message) => {
    const { api, user } = setup();
    await typeTarget(user, LAB);
    api.failNext.set('syncRun', { code, message });
    await user.click(button('Preview (dry run)'));
    expect((await screen.findByRole('alert')).textContent).toBe(message);
    expect(screen.queryByLabelText('Dry-run preview')).toBeNull();
  });

  it('an unreachable host is reported with its message', async () => {
    const { user } = setup();
    await typeTarget(user, 'nowhere:data');
    await user.click(button('Preview (dry run)'));
    expect((await screen.findByRole('alert')).textContent).toBe('cannot reach nowhere: ssh: Could not resolve hostname nowhere');
  });

  it('a failed save or remove is shown, and the list stays as it was', async () => {
    const { api, user } = setup();
    api.destinations = [{ name: 'lab', target: LAB, excludeCheckpoints: false, delete: false }];
    cleanup();
    renderInApp(api, <SyncDialog onClose={() => undefined} />);
    const list = await screen.findByRole('list', { name: 'Saved destinations' });
    api.failNext.set('syncRemoveDestination', { code: 'INTERNAL', message: 'EACCES: permission denied, rename /home/ada/.config/expman/.tmp-sync.json' });
    await user.click(within(list).getByRole('button', { name: 'Remove lab' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^EACCES: permission denied/);
    expect(within(list).getByText(LAB)).toBeTruthy();
  });
});
