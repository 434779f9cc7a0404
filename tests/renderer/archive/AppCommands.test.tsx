import { act, cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveSyncButtons } from '../../../src/renderer/src/archive/AppCommands';
import { MemoryApi } from './memory-api';
import { DATA, renderInApp } from './render';

afterEach(cleanup);

describe('AppCommands', () => {
  it('opens the dialog the desktop menu asks for, and Close closes it', async () => {
    const api = new MemoryApi({ files: DATA });
    renderInApp(api, <p>shell</p>);
    await waitFor(() => expect(api.listenerCount('app:command')).toBe(1));
    expect(screen.queryByRole('dialog')).toBeNull();
    act(() => api.command('sync'));
    expect(screen.getByRole('dialog', { name: 'Sync the data folder' })).toBeTruthy();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    act(() => api.command('archive'));
    expect(screen.getByRole('dialog', { name: 'Archive the data folder' })).toBeTruthy();
  });

  it('a menu command while a dialog runs a task does not replace it', async () => {
    const api = new MemoryApi({ files: DATA });
    renderInApp(api, <p>shell</p>);
    const user = userEvent.setup();
    await waitFor(() => expect(api.listenerCount('app:command')).toBe(1));
    act(() => api.command('archive'));
    await user.click(screen.getByRole('button', { name: 'Archive…' }));
    await waitFor(() => expect(api.running()).toHaveLength(1));
    act(() => api.command('sync'));
    expect(screen.getByRole('dialog', { name: 'Archive the data folder' })).toBeTruthy();
    expect(screen.queryByRole('dialog', { name: 'Sync the data folder' })).toBeNull();
  });

  it('header buttons open the same dialogs; Escape closes an idle one', async () => {
    const api = new MemoryApi({ files: DATA });
    renderInApp(api, <ArchiveSyncButtons />);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Sync…' }));
    expect(screen.getByRole('dialog', { name: 'Sync the data folder' })).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Archive…' }));
    expect(screen.getByRole('dialog', { name: 'Archive the data folder' })).toBeTruthy();
  });
});
