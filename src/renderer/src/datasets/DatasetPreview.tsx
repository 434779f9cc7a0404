import { useState, type JSX } from 'react';
import type { DatasetPage } from '../../../shared/datasets';
import { formatCount } from './format';
import { useAsync } from '../state/use-async';
import './datasets.css';

export interface DatasetPreviewProps {
  /** Rows [offset, offset + limit) of the file; called again for every page. */
  loadPage: (offset: number, limit: number) => Promise<DatasetPage>;
  /** Changes when loadPage means another file: the preview goes back to the first page. */
  source: string;
  pageSizes?: number[];
}

const DEFAULT_PAGE_SIZES = [25, 50, 100, 250];

/** A column is numeric on this page when every non-empty cell is a number. */
function numericColumns(page: DatasetPage): boolean[] {
  return page.columns.map((_, c) => {
    let numbers = 0;
    for (const row of page.rows) {
      const cell = row[c];
      if (typeof cell === 'number') numbers++;
      else if (cell !== undefined && cell !== '') return false;
    }
    return numbers > 0;
  });
}

/** The first rows of a dataset file, one page at a time, with a sticky header and right-aligned numbers. */
export function DatasetPreview({ loadPage, source, pageSizes = DEFAULT_PAGE_SIZES }: DatasetPreviewProps): JSX.Element {
  const [view, setView] = useState({ source, offset: 0, limit: pageSizes[0]! });
  // A new file starts at its first page (state is reset during render, as React recommends).
  if (view.source !== source) setView({ source, offset: 0, limit: view.limit });
  const { offset, limit } = view;
  const { data: page, error, loading } = useAsync(() => loadPage(offset, limit), [source, offset, limit]);
  const total = page?.total ?? 0;
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const go = (next: number): void => setView({ source, offset: Math.min(Math.max(0, next), lastOffset), limit });
  const numeric = page ? numericColumns(page) : [];
  const shownFrom = total === 0 ? 0 : offset + 1;
  const shownTo = Math.min(offset + (page?.rows.length ?? 0), total);

  return (
    <section className="ds-preview" aria-label="Data preview" aria-busy={loading}>
      <div className="ds-toolbar">
        <div className="ds-pager" role="group" aria-label="Pages">
          <button type="button" className="btn icon" onClick={() => go(0)} disabled={offset === 0 || loading} aria-label="First page" title="First page">
            «
          </button>
          <button type="button" className="btn icon" onClick={() => go(offset - limit)} disabled={offset === 0 || loading} aria-label="Previous page" title="Previous page">
            ‹
          </button>
          <span className="ds-range" aria-live="polite">
            {page ? `Rows ${formatCount(shownFrom)}–${formatCount(shownTo)} of ${formatCount(total)}` : loading ? 'Loading…' : ''}
          </span>
          <button type="button" className="btn icon" onClick={() => go(offset + limit)} disabled={!page || offset >= lastOffset || loading} aria-label="Next page" title="Next page">
            ›
          </button>
          <button type="button" className="btn icon" onClick={() => go(lastOffset)} disabled={!page || offset >= lastOffset || loading} aria-label="Last page" title="Last page">
            »
          </button>
        </div>
        <label className="ds-field-inline">
          Rows per page
          <select value={limit} onChange={(e) => setView({ source, offset: Math.floor(offset / Number(e.target.value)) * Number(e.target.value), limit: Number(e.target.value) })}>
            {pageSizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <form
          className="ds-field-inline"
          onSubmit={(e) => {
            e.preventDefault();
            const row = Number(new FormData(e.currentTarget).get('row'));
            if (Number.isInteger(row) && row >= 1) go(Math.floor((row - 1) / limit) * limit);
          }}
        >
          <label>
            Go to row <input name="row" type="number" min={1} max={total || undefined} className="ds-input-narrow" />
          </label>
        </form>
      </div>
      {error !== undefined && (
        <p className="ds-error" role="alert">
          {error.message}
        </p>
      )}
      {page && (
        <div className="ds-table-scroll">
          <table className={`ds-table${loading ? ' ds-stale' : ''}`}>
            <thead>
              <tr>
                <th className="ds-rownum" scope="col">
                  #
                </th>
                {page.columns.map((column, c) => (
                  <th key={column} scope="col" className={numeric[c] ? 'ds-num' : undefined}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((row, r) => (
                <tr key={page.offset + r}>
                  <td className="ds-rownum">{formatCount(page.offset + r + 1)}</td>
                  {page.columns.map((column, c) => {
                    const cell = row[c];
                    return (
                      <td key={column} className={numeric[c] ? 'ds-num' : undefined}>
                        {cell ?? ''}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {page.rows.length === 0 && <p className="ds-empty">No rows on this page.</p>}
        </div>
      )}
    </section>
  );
}
