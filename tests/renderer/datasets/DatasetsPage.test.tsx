import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetsPage } from '../../../src/renderer/src/datasets/DatasetsPage';
import { fakeClient } from './fake-client';

afterEach(cleanup);

describe('DatasetsPage', () => {
  it('lists datasets, previews the selected one, shows its statistics, and preprocesses into a new prepared set', async () => {
    const user = userEvent.setup();
    const client = fakeClient();
    render(<DatasetsPage client={client} />);
    const nav = await screen.findByRole('navigation', { name: 'Datasets' });
    expect(within(nav).getByText('None yet: preprocess a raw file.')).toBeTruthy();
    expect(await screen.findByText('Rows 1–25 of 120')).toBeTruthy();
    expect(client.calls).toContain('page iris raw 0 25');

    await user.click(screen.getByRole('tab', { name: 'Statistics' }));
    expect(await screen.findByRole('region', { name: 'Class balance' })).toBeTruthy();
    expect(client.calls).toContain('stats iris raw 20');

    await user.click(within(screen.getByRole('article')).getByRole('button', { name: 'Preprocess…' }));
    const dialog = screen.getByRole('dialog', { name: 'Preprocess a dataset' });
    await user.click(within(dialog).getByRole('button', { name: 'Preprocess' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    // The new dataset is listed and selected, with its train and test parts.
    const article = await screen.findByRole('article', { name: 'Dataset prepared-dataset' });
    expect(within(nav).getByRole('button', { name: /prepared-dataset/ }).getAttribute('aria-current')).toBe('true');
    expect(within(article).getByText('96 train / 24 test (0.8, seed 42, stratified)')).toBeTruthy();
    await user.click(within(article).getByRole('button', { name: /Test/ }));
    expect(await screen.findByText('Rows 1–25 of 120')).toBeTruthy();
    expect(client.calls).toContain('page prepared-dataset test 0 25');
  });

  it('shows why the list could not be read', async () => {
    const client = fakeClient();
    client.list = async () => {
      throw new Error('/data/datasets: data folder is not readable (EACCES)');
    };
    render(<DatasetsPage client={client} />);
    expect((await screen.findByRole('alert')).textContent).toBe('/data/datasets: data folder is not readable (EACCES)');
  });
});
