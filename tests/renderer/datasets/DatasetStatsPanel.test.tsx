import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetStatsPanel } from '../../../src/renderer/src/datasets/DatasetStatsPanel';
import { FeatureHistograms } from '../../../src/renderer/src/datasets/FeatureHistograms';
import { formatNumber } from '../../../src/renderer/src/datasets/format';
import { STATS } from './fake-client';

afterEach(cleanup);

describe('DatasetStatsPanel', () => {
  it('renders describe() with statistics as rows and columns as columns', () => {
    render(<DatasetStatsPanel stats={STATS} />);
    const table = within(screen.getByRole('region', { name: 'Summary statistics' })).getByRole('table');
    const rows = within(table)
      .getAllByRole('row')
      .map((row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['', 'x', 'y'],
      ['count', '120', '120'],
      ['mean', '59.5', '29.75'],
      ['std', '34.79', '17.39'],
      ['min', '0', '0'],
      ['25%', '29.75', '14.88'],
      ['50%', '59.5', '29.75'],
      ['75%', '89.25', '44.63'],
      ['max', '119', '59.5'],
    ]);
    // The full value is one hover away.
    expect(within(table).getByText('34.79').getAttribute('title')).toBe('34.785054261852174');
    expect(screen.getByText(/120 rows · 2 numeric columns · danfojs/)).toBeTruthy();
  });

  it('draws class balance bars proportional to the counts, with percentages', () => {
    render(<DatasetStatsPanel stats={STATS} />);
    const items = within(screen.getByRole('region', { name: 'Class balance' })).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['setosa60 (50.0%)', 'versicolor40 (33.3%)', 'virginica20 (16.7%)']);
    const widths = items.map((li) => (li.querySelector('.ds-balance-bar') as HTMLElement).style.width);
    expect(widths.map((w) => Number.parseFloat(w).toFixed(1))).toEqual(['100.0', '66.7', '33.3']);
  });

  it('says so when there is no label column', () => {
    render(<DatasetStatsPanel stats={{ ...STATS, label: null, classBalance: [] }} />);
    expect(screen.getByText(/No label column/)).toBeTruthy();
  });
});

describe('FeatureHistograms', () => {
  it('draws one histogram per feature, stacked by class, and plain when toggled off', async () => {
    const user = userEvent.setup();
    const { container } = render(<FeatureHistograms stats={STATS} />);
    const figures = screen.getAllByRole('figure');
    expect(figures.map((f) => f.querySelector('figcaption')!.textContent)).toEqual(['x', 'y']);
    // 4 bins × 3 classes, minus the two empty (bin, class) pairs of virginica.
    expect(figures[0]!.querySelectorAll('rect')).toHaveLength(10);
    expect(screen.getAllByRole('img')[0]!.getAttribute('aria-label')).toBe('Histogram of x: 4 bins, peak 30 rows');
    const tallest = Math.max(...[...figures[0]!.querySelectorAll('rect')].map((r) => Number(r.getAttribute('height'))));
    expect(tallest).toBeCloseTo((20 / 30) * 80);
    expect(figures[0]!.querySelector('rect title')!.textContent).toBe('0 – 1: 20 setosa of 30 rows');
    expect(within(screen.getByRole('list', { name: 'Classes' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['setosa', 'versicolor', 'virginica']);
    await user.click(screen.getByLabelText('Stack by class'));
    expect(figures[0]!.querySelectorAll('rect')).toHaveLength(4);
    expect(container.querySelector('rect title')!.textContent).toBe('0 – 1: 30 rows');
    expect(screen.getAllByText('0')).toHaveLength(2);
    expect(screen.getAllByText('4')).toHaveLength(2);
  });
});

describe('formatNumber', () => {
  it('keeps four significant digits, integers whole and missing values visible', () => {
    expect([formatNumber(0.82806612797), formatNumber(5.843333), formatNumber(150), formatNumber(12345.678), formatNumber(NaN), formatNumber(0.00001234)]).toEqual([
      '0.8281',
      '5.843',
      '150',
      '12,350',
      '—',
      '1.234e-5',
    ]);
  });
});
