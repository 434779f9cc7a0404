import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatasetPreview } from '../../../src/renderer/src/datasets/DatasetPreview';
import { pageOf } from './fake-client';

afterEach(cleanup);

const bodyRows = (): HTMLElement[] => within(screen.getByRole('table')).getAllByRole('row').slice(1);

describe('DatasetPreview', () => {
  it('shows the first page with a header, row numbers and right-aligned numeric columns', async () => {
    const loadPage = vi.fn(async (offset: number, limit: number) => pageOf(offset, limit));
    render(<DatasetPreview source="iris" loadPage={loadPage} />);
    expect(await screen.findByText('Rows 1–25 of 120')).toBeTruthy();
    expect(loadPage).toHaveBeenCalledWith(0, 25);
    const headers = screen.getAllByRole('columnheader').map((th) => [th.textContent, th.className]);
    expect(headers).toEqual([
      ['#', 'ds-rownum'],
      ['x', 'ds-num'],
      ['y', 'ds-num'],
      ['species', ''],
    ]);
    expect(bodyRows()).toHaveLength(25);
    const cells = within(bodyRows()[3]!).getAllByRole('cell');
    expect(cells.map((c) => c.textContent)).toEqual(['4', '3', '1.5', 'setosa']);
    expect(cells[2]!.className).toBe('ds-num');
    expect(cells[3]!.className).toBe('');
  });

  it('pages forward, to the end, back to the start, by page size and by row number', async () => {
    const user = userEvent.setup();
    const loadPage = vi.fn(async (offset: number, limit: number) => pageOf(offset, limit));
    render(<DatasetPreview source="iris" loadPage={loadPage} />);
    await screen.findByText('Rows 1–25 of 120');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Rows 26–50 of 120')).toBeTruthy();
    expect(within(bodyRows()[0]!).getAllByRole('cell')[0]!.textContent).toBe('26');
    await user.click(screen.getByRole('button', { name: 'Last page' }));
    expect(await screen.findByText('Rows 101–120 of 120')).toBeTruthy();
    expect(bodyRows()).toHaveLength(20);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Next page' }).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'First page' }));
    expect(await screen.findByText('Rows 1–25 of 120')).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Previous page' }).disabled).toBe(true);
    await user.selectOptions(screen.getByRole('combobox'), '100');
    expect(await screen.findByText('Rows 1–100 of 120')).toBeTruthy();
    await user.type(screen.getByLabelText('Go to row'), '110{Enter}');
    expect(await screen.findByText('Rows 101–120 of 120')).toBeTruthy();
    expect(loadPage.mock.calls.at(-1)).toEqual([100, 100]);
  });

  it('goes back to page 1 when the file changes', async () => {
    const user = userEvent.setup();
    const loadPage = vi.fn(async (offset: number, limit: number) => pageOf(offset, limit));
    const { rerender } = render(<DatasetPreview source="a" loadPage={loadPage} />);
    await screen.findByText('Rows 1–25 of 120');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('Rows 26–50 of 120');
    rerender(<DatasetPreview source="b" loadPage={loadPage} />);
    expect(await screen.findByText('Rows 1–25 of 120')).toBeTruthy();
  });

  it("shows the core's error message", async () => {
    const loadPage = vi.fn(async () => {
      throw new Error('raw dataset "nope" not found: no datasets/external/nope.csv (available: iris)');
    });
    render(<DatasetPreview source="nope" loadPage={loadPage} />);
    expect((await screen.findByRole('alert')).textContent).toBe('raw dataset "nope" not found: no datasets/external/nope.csv (available: iris)');
  });
});
