import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { aggregate, availableColumns, filterRows, groupCell, groupRows, groupsToCsv, rowsToCsv, sortBy, type TableRow } from '../../../src/renderer/src/runs-table/table-model';
import { ExperimentRuns } from '../../../src/renderer/src/views/ExperimentView';
import { HomeView } from '../../../src/renderer/src/views/HomeView';
import type { RunTable } from '../../../src/shared/run-table';
import type { RunSummary } from '../../../src/shared/runs';
import { MemoryApi } from '../archive/memory-api';
import { renderInApp } from '../archive/render';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});
beforeEach(() => localStorage.clear());

function run(model: string, i: number): RunSummary {
  const started = new Date(Date.UTC(2026, 11, 4, 8) + i * 60_000).toISOString();
  return { experiment: 'e1', model, dir: `/d/experiments/e1/models/${model}`, status: 'finished', live: null, epoch: 5, epochs: 5, best: null, started };
}

/** Six runs: learning rate 0.01 / 0.1 × seeds 0, 1, 2; val_loss best = lr·10 + seed/100; f1 (a command run's own metric) on some. */
const MODELS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
const LR = [0.01, 0.01, 0.01, 0.1, 0.1, 0.1];
const SEED = [0, 1, 2, 0, 1, 2];
const VAL_LOSS_MIN = MODELS.map((_, i) => LR[i]! * 10 + SEED[i]! / 100);
const TABLE: RunTable = {
  experiment: 'e1',
  runs: MODELS.map((model, i) => ({ model, status: 'finished', live: null, epoch: 5, epochs: 5, started: run(model, i).started })),
  columns: [
    { id: 'config:model.hidden_units', constant: '[16,16]' },
    { id: 'config:params.note', values: ['a,b', 'say "hi"', null, 'x', 'y', 'z'] },
    { id: 'config:provenance.sweep_trial', values: [0, 1, 2, 3, 4, 5] },
    { id: 'config:training.learning_rate', values: LR },
    { id: 'config:training.seed', values: SEED },
    { id: 'metric:f1:last', values: [0.5, null, 0.7, 0.2, 0.3, 0.4] },
    { id: 'metric:f1:max', values: [0.6, null, 0.8, 0.2, 0.3, 0.4] },
    { id: 'metric:f1:min', values: [0.4, null, 0.6, 0.2, 0.3, 0.4] },
    { id: 'metric:f1:smoothed', values: [0.5, null, 0.7, 0.2, 0.3, 0.4] },
    { id: 'metric:val_loss:last', values: VAL_LOSS_MIN.map((v) => v + 1) },
    { id: 'metric:val_loss:max', values: VAL_LOSS_MIN.map((v) => v + 2) },
    { id: 'metric:val_loss:min', values: VAL_LOSS_MIN },
    { id: 'metric:val_loss:smoothed', values: VAL_LOSS_MIN.map((v) => v + 0.5) },
  ],
};
const RUNS = MODELS.map(run);

const rowsOf = (): TableRow[] => RUNS.map((r, index) => ({ key: r.model, model: r.model, run: r, index }));
const column = (id: string) => availableColumns(TABLE).find((c) => c.id === id)!;

test('table model: best is min for a loss and max for a score; sort puts missing values last either way', () => {
  const rows = rowsOf();
  expect(rows.map((r) => column('metric:val_loss:best').value(r))).toEqual(VAL_LOSS_MIN);
  expect(rows.map((r) => column('metric:f1:best').value(r))).toEqual([0.6, null, 0.8, 0.2, 0.3, 0.4]);
  const f1 = column('metric:f1:best');
  expect(sortBy(rows, (r) => f1.value(r), false).map((r) => r.model)).toEqual(['r3', 'r4', 'r5', 'r0', 'r2', 'r1']);
  expect(sortBy(rows, (r) => f1.value(r), true).map((r) => r.model)).toEqual(['r2', 'r0', 'r5', 'r4', 'r3', 'r1']);
  // a column of numbers is numeric; one with text is not
  expect(column('config:training.learning_rate').numeric).toBe(true);
  expect(column('config:params.note').numeric).toBe(false);
});

test('table model: range filters include their bounds and drop missing values; text filters match what is shown', () => {
  const columns = new Map(availableColumns(TABLE).map((c) => [c.id, c]));
  const models = (filters: Parameters<typeof filterRows>[2]) => filterRows(rowsOf(), columns, filters).map((r) => r.model);
  expect(models([{ columnId: 'metric:f1:best', min: 0.3, max: 0.6 }])).toEqual(['r0', 'r4', 'r5']);
  expect(models([{ columnId: 'metric:f1:best', min: 0 }])).not.toContain('r1');
  expect(models([{ columnId: 'config:params.note', text: 'HI' }])).toEqual(['r1']);
  expect(models([{ columnId: 'config:training.learning_rate', max: 0.05 }, { columnId: 'config:training.seed', min: 1 }])).toEqual(['r1', 'r2']);
});

test('table model: groups by a parameter with mean ± sample std across seeds, and CSV quotes what needs it', () => {
  const lr = column('config:training.learning_rate');
  const groups = groupRows(rowsOf(), [lr]);
  expect(groups.map((g) => [g.values, g.rows.map((r) => r.model)])).toEqual([
    [[0.01], ['r0', 'r1', 'r2']],
    [[0.1], ['r3', 'r4', 'r5']],
  ]);
  const cell = groupCell(groups[0]!, column('metric:val_loss:best'), [lr]);
  expect(cell.kind).toBe('aggregate');
  if (cell.kind !== 'aggregate') return;
  expect(cell.aggregate.mean).toBeCloseTo(0.11, 12);
  expect(cell.aggregate.std).toBeCloseTo(0.01, 12); // sample std of 0.10, 0.11, 0.12
  expect(aggregate([1, null, 'x', 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
  expect(groupCell(groups[0]!, column('config:model.hidden_units'), [lr])).toEqual({ kind: 'value', value: '[16,16]' });

  const csv = rowsToCsv(rowsOf().slice(0, 3), [column('run:model'), column('config:params.note'), column('metric:val_loss:best')]);
  // full precision, as the values are
  expect(csv).toBe(`run,params.note,val_loss (best)\nr0,"a,b",${VAL_LOSS_MIN[0]}\nr1,"say ""hi""",${VAL_LOSS_MIN[1]}\nr2,,${VAL_LOSS_MIN[2]}\n`);
  const grouped = groupsToCsv(groups, [column('run:model'), lr, column('metric:val_loss:best')], [lr]);
  expect(grouped.split('\n')[0]).toBe('training.learning_rate,runs,val_loss (best) mean,val_loss (best) std');
  expect(grouped.split('\n')[1]!.split(',').slice(0, 2)).toEqual(['0.01', '3']);
});

/** The body rows as the user sees them: the first cell's text of each. */
const bodyRows = (table: HTMLElement): string[] =>
  within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => row.querySelector('[role="cell"]')!.textContent);

test('in the app: choose a metric column, sort by it, filter a range, group by learning rate, export CSV', async () => {
  const api = new MemoryApi({ runs: RUNS, tables: { e1: TABLE } });
  renderInApp(api, <ExperimentRuns experiment="e1" />);
  const table = await screen.findByTestId('experiment-runs');
  // default columns: the built-in ones and the config keys the runs vary (provenance left out)
  await waitFor(() => expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toContain('training.learning_rate'));
  const headers = within(table).getAllByRole('columnheader').map((th) => th.textContent);
  expect(headers).toEqual(expect.arrayContaining(['Run', 'Status', 'training.seed', 'params.note', 'Test score']));
  expect(headers).not.toContain('provenance.sweep_trial');
  expect(headers).not.toContain('model.hidden_units');
  expect(bodyRows(table)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']); // newest first

  await userEvent.click(screen.getByRole('button', { name: /^Columns/ }));
  await userEvent.type(screen.getByRole('searchbox', { name: 'Find a column' }), 'val_loss');
  await userEvent.click(screen.getByRole('checkbox', { name: 'val_loss (best)' }));
  await userEvent.click(screen.getByRole('button', { name: /^Columns/ }));
  const header = within(table).getByRole('columnheader', { name: 'val_loss (best)' });
  await userEvent.click(within(header).getByRole('button'));
  expect(header.getAttribute('aria-sort')).toBe('descending');
  expect(bodyRows(table)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
  await userEvent.click(within(header).getByRole('button'));
  expect(header.getAttribute('aria-sort')).toBe('ascending');
  expect(bodyRows(table)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  const cells = within(table).getAllByRole('row')[1]!.querySelectorAll('[role="cell"]');
  expect(cells[within(table).getAllByRole('columnheader').indexOf(header)]!.textContent).toBe('0.1000');

  await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Filter column' }), 'val_loss (best)');
  await userEvent.type(screen.getByRole('textbox', { name: 'Minimum' }), '0.105');
  await userEvent.type(screen.getByRole('textbox', { name: 'Maximum' }), '1.005');
  await userEvent.click(screen.getByRole('button', { name: 'Add filter' }));
  expect(bodyRows(table)).toEqual(['r1', 'r2', 'r3']);
  expect(screen.getByTestId('runs-table-count').textContent).toBe('3 of 6 runs');

  await userEvent.click(screen.getByRole('button', { name: /^Remove filter/ }));
  await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Group by' }), 'training.learning_rate');
  const groups = within(table).getAllByTestId('group-row');
  expect(groups).toHaveLength(2);
  const lossIndex = within(table).getAllByRole('columnheader').findIndex((th) => th.textContent === 'val_loss (best)');
  // sorted ascending by val_loss: the lr=0.01 group first, its mean ± std across the three seeds
  expect(groups.map((g) => g.querySelectorAll('[role="cell"]')[lossIndex]!.textContent)).toEqual(['0.1100 ± 0.0100', '1.0100 ± 0.0100']);
  expect(groups[0]!.querySelector('[role="cell"]')!.textContent).toBe('3 runs');

  const blobs: Blob[] = [];
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    blobs.push(blob as Blob);
    return 'blob:test';
  });
  URL.revokeObjectURL = () => {};
  const clicks = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    expect(this.download).toBe('e1-runs-grouped.csv');
  });
  await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
  expect(clicks).toHaveBeenCalledTimes(1);
  const csv = await blobs[0]!.text();
  expect(csv.split('\n')[0]).toContain('training.learning_rate,runs,');
  expect(csv.split('\n')[1]).toMatch(/^0\.01,3,/);

  // the settings hold across a reload of the view
  cleanup();
  renderInApp(new MemoryApi({ runs: RUNS, tables: { e1: TABLE } }), <ExperimentRuns experiment="e1" />);
  await waitFor(() => expect(screen.getAllByTestId('group-row')).toHaveLength(2));
});

test('10,000 runs: only the rows in view are in the DOM, and scrolling brings the next ones', async () => {
  const many = Array.from({ length: 10_000 }, (_, i) => run(`run-${String(i).padStart(5, '0')}`, i));
  renderInApp(new MemoryApi({ runs: many }), <ExperimentRuns experiment="e1" />);
  const table = await screen.findByTestId('experiment-runs');
  const rendered = bodyRows(table);
  expect(rendered.length).toBeLessThan(80);
  expect(rendered[0]).toBe('run-09999');
  const scroller = screen.getByTestId('runs-table-scroll');
  scroller.scrollTop = 30 * 5000;
  fireEvent.scroll(scroller);
  await waitFor(() => expect(bodyRows(table)).toContain('run-04999'));
  expect(bodyRows(table).length).toBeLessThan(80);
  // the body keeps the scroll height of all 10,000; the drawn rows sit where their index puts them: the
  // row block's transform (its base row) plus the pad above the first drawn row
  const body = table.querySelector<HTMLElement>('[role="rowgroup"]:last-child')!;
  expect(body.style.height).toBe(`${10_000 * 30}px`);
  const block = screen.getByTestId('runs-table-block');
  const blockTop = Number(/^translateY\((\d+)px\)$/.exec(block.style.transform)![1]);
  const pad = block.querySelector<HTMLElement>('[aria-hidden="true"]');
  const drawn = within(block).getAllByRole('row');
  const firstIndex = Number(drawn[0]!.getAttribute('aria-rowindex')) - 2;
  expect(blockTop + (pad ? parseFloat(pad.style.height) : 0)).toBe(firstIndex * 30);
  expect(blockTop).toBeGreaterThan(0);
  // the row at that index: run-09999 is row 0 (newest first)
  expect(drawn[0]!.querySelector('[role="cell"]')!.textContent).toBe(`run-${String(9999 - firstIndex).padStart(5, '0')}`);
  expect(drawn.map((row) => Number(row.getAttribute('aria-rowindex')))).toEqual(drawn.map((_, i) => firstIndex + 2 + i));
  expect(table.getAttribute('aria-rowcount')).toBe('10001');
});

test('the home page lists the newest 200 of 10,000 runs and points to the experiments’ runs tables', async () => {
  const many = Array.from({ length: 10_000 }, (_, i) => run(`run-${String(i).padStart(5, '0')}`, i));
  renderInApp(new MemoryApi({ runs: many }), <HomeView />);
  const table = await screen.findByTestId('runs-table');
  const rows = within(table).getAllByRole('row').slice(1);
  expect(rows).toHaveLength(200);
  expect(within(rows[0]!).getByRole('link', { name: 'run-09999' })).toBeTruthy();
  const more = screen.getByTestId('runs-table-more');
  expect(more.textContent).toContain('The newest 200 of 10,000 runs');
  expect(within(more).getByRole('link', { name: 'e1' }).getAttribute('href')).toBe('#/experiments/e1');
});
