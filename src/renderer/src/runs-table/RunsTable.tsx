import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type JSX } from 'react';
import { flushSync } from 'react-dom';
import type { RunTable } from '../../../shared/run-table';
import type { JobInfo, RunSummary } from '../../../shared/runs';
import { useApi } from '../api/context';
import { RunLiveness, runErrorTitle, StopRunButton } from '../runs/RunLiveControls';
import { StatusBadge } from '../shell/StatusBadge';
import { routeHref } from '../state/route';
import { ColumnPicker } from './ColumnPicker';
import { downloadText } from './download';
import { FilterBar } from './FilterBar';
import {
  availableColumns,
  defaultColumnIds,
  filterRows,
  formatCell,
  formatGroupCell,
  groupCell,
  groupRows,
  groupsToCsv,
  groupSortValue,
  rowsToCsv,
  sortBy,
  type ColumnDef,
  type GroupRow,
  type TableRow,
} from './table-model';
import { useTableSettings } from './use-table-settings';
import './runs-table.css';

/** Row height in px (CSS: .runs-grid-row): rows are virtualised, so every row has the same height. */
export const ROW_HEIGHT = 30;
/** Rows drawn above and below the visible ones, so a fast scroll does not show blank rows. */
const OVERSCAN = 16;
/**
 * The drawn window moves in steps of this many rows: scrolling re-renders every few frames, not on every
 * frame, and the DOM changes by a block of rows at a time (fewer layouts while a wheel scrolls fast).
 */
const STEP = 8;
/**
 * The drawn rows sit below a pad inside the row block, measured from a base row that moves in steps of this
 * many rows: rows that stay in view keep their place in the block when rows come and go at its ends, so a
 * step repaints only the new rows (as the log viewer does).
 */
const BASE_ROWS = 512;
/** When the scroll box has no size yet (first render, jsdom): as if it were this tall. */
const FALLBACK_VIEWPORT = 720;

interface Props {
  experiment: string;
  runs: readonly RunSummary[];
  /** Queued jobs whose run folder does not exist yet. */
  queued: readonly JobInfo[];
  /** Runs with a job of this app (running or queued): Stop stops the job. */
  active: ReadonlySet<string>;
  /** The runs:table answer (config and metric columns); undefined while it loads. */
  table: RunTable | undefined;
}

/**
 * The runs of an experiment as a table of any columns: sort (click a header), range and text filters,
 * group by columns with mean ± std of each numeric column, CSV of what is shown. Only the rows in view
 * are in the DOM (fixed row height), so 10,000 runs paint and scroll like 20.
 *
 * Not a <table>: table layout lays out and repaints every drawn row when rows come and go (~3 ms a scroll
 * step). The rows are grid rows of fixed column widths, each containing its layout and paint, in one row
 * block on its own layer; the ARIA roles (table, rowgroup, row, columnheader, cell) keep it a table to
 * assistive technology.
 */
export function RunsTable({ experiment, runs, queued, active, table }: Props): JSX.Element {
  const api = useApi();
  const [settings, update] = useTableSettings(experiment);
  const columns = useMemo(() => availableColumns(table), [table]);
  const byId = useMemo(() => new Map(columns.map((c) => [c.id, c])), [columns]);
  const shownIds = useMemo(() => settings.columns ?? defaultColumnIds(table), [settings.columns, table]);
  // Stable between renders, so rows that stay in view while scrolling are not drawn again (memo).
  const shown = useMemo(() => shownIds.map((id) => byId.get(id)).filter((c): c is ColumnDef => c !== undefined), [shownIds, byId]);
  const groupBy = useMemo(() => settings.groupBy.map((id) => byId.get(id)).filter((c): c is ColumnDef => c !== undefined), [settings.groupBy, byId]);
  const onRemove = useCallback((jobId: string) => void api.runsStop({ jobId }), [api]);

  const rows = useMemo(() => {
    const index = new Map(table?.runs.map((r, i) => [r.model, i]));
    const out: TableRow[] = runs.map((run) => ({ key: run.model, model: run.model, run, index: index.get(run.model) ?? -1 }));
    for (const job of queued) out.push({ key: `job:${job.id}`, model: job.run.model, job, index: -1 });
    return out;
  }, [runs, queued, table]);

  const filtered = useMemo(() => filterRows(rows, byId, settings.filters), [rows, byId, settings.filters]);
  const sortColumn = settings.sort ? byId.get(settings.sort.columnId) : undefined;
  const sortedRows = useMemo(
    // Default order: newest first; queued jobs without a folder last.
    () => (sortColumn ? sortBy(filtered, (r) => sortColumn.value(r), settings.sort!.descending) : sortBy(filtered, (r) => r.run?.started ?? null, true)),
    [filtered, sortColumn, settings.sort],
  );
  const groups = useMemo(() => {
    const by = settings.groupBy.map((id) => byId.get(id)).filter((c): c is ColumnDef => c !== undefined);
    if (!by.length) return null;
    const list = groupRows(filtered, by);
    return sortColumn ? sortBy(list, (g) => groupSortValue(g, sortColumn, by), settings.sort!.descending) : list;
  }, [filtered, settings.groupBy, byId, sortColumn, settings.sort]);

  // Grouped, the group-by columns come first (after the run count), whatever their place among the shown ones.
  const displayed = useMemo(() => {
    if (!groups) return shown;
    const model = shown.filter((c) => c.id === 'run:model');
    return [...model, ...groupBy, ...shown.filter((c) => c.id !== 'run:model' && !groupBy.includes(c))];
  }, [groups, shown, groupBy]);
  const count = groups ? groups.length : sortedRows.length;
  const [first, setFirst] = useState(0);
  const [viewport, setViewport] = useState(FALLBACK_VIEWPORT);
  const scroller = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const box = scroller.current;
    if (box?.clientHeight) setViewport(box.clientHeight);
  }, []);
  const firstRef = useRef(first);
  firstRef.current = first;
  const onScroll = (): void => {
    // Re-render only when the window moves by a step, not on every scroll pixel; then in this frame
    // (not in a task after it), so the new rows are painted with the scroll that brings them.
    const step = Math.floor(scroller.current!.scrollTop / ROW_HEIGHT / STEP) * STEP;
    if (step !== firstRef.current) flushSync(() => setFirst(step));
  };
  const start = Math.max(0, Math.min(first, count) - OVERSCAN);
  const end = Math.min(count, first + STEP + Math.ceil(viewport / ROW_HEIGHT) + OVERSCAN);
  const base = Math.floor(start / BASE_ROWS) * BASE_ROWS;
  // The block's height changes only with its base (or the row count): its layer's bounds stay put while
  // rows come and go (bounds that followed the rows made the browser raster the whole layer again).
  const blockRows = Math.min(count, base + BASE_ROWS + STEP + Math.ceil(viewport / ROW_HEIGHT) + 2 * OVERSCAN) - base;
  const grouped = groups !== null;
  // Fixed column widths: a row lays out without measuring its text. The last column takes what is left
  // of a wide window.
  const widths = [...displayed.map((c) => columnRem(c, grouped)), ...(grouped ? [] : [ACTIONS_REM])];
  const gridStyle = {
    '--runs-columns': widths.map((w, i) => (i === widths.length - 1 ? `minmax(${w}rem, 1fr)` : `${w}rem`)).join(' '),
    minWidth: `${widths.reduce((sum, w) => sum + w, 0)}rem`,
  } as CSSProperties;

  const toggleSort = (id: string): void =>
    update({ sort: settings.sort?.columnId !== id ? { columnId: id, descending: byId.get(id)?.numeric ?? false } : settings.sort.descending ? { columnId: id, descending: false } : null });

  const exportCsv = (): void => {
    const text = groups ? groupsToCsv(groups, displayed, groupBy) : rowsToCsv(sortedRows, displayed);
    downloadText(`${experiment}-runs${groups ? '-grouped' : ''}.csv`, text, 'text/csv');
  };

  // The tools do not depend on the scroll position: a scroll step re-renders the rows only.
  const tools = useMemo(
    () => (
      <div className="runs-table-tools">
        <ColumnPicker columns={columns} shown={shownIds} onChange={(ids) => update({ columns: ids })} onReset={() => update({ columns: null })} />
        <label className="runs-table-group">
          <span>Group by</span>
          <select
            aria-label="Group by"
            value=""
            onChange={(e) => {
              if (e.target.value) update({ groupBy: [...settings.groupBy.filter((id) => id !== e.target.value), e.target.value] });
            }}
          >
            <option value="">{groupBy.length ? 'add a column…' : 'none'}</option>
            {columns
              .filter((c) => c.kind === 'config' || c.id === 'run:status')
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
          </select>
          {groupBy.map((c) => (
            <button key={c.id} type="button" className="chip" onClick={() => update({ groupBy: settings.groupBy.filter((id) => id !== c.id) })} aria-label={`Ungroup ${c.label}`}>
              {c.label} ×
            </button>
          ))}
        </label>
        <FilterBar columns={columns} filters={settings.filters} onChange={(filters) => update({ filters })} />
        <span className="muted runs-table-count" data-testid="runs-table-count">
          {groups ? `${groups.length.toLocaleString('en-US')} groups of ${filtered.length.toLocaleString('en-US')} runs` : `${filtered.length.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} runs`}
        </span>
        <button type="button" className="btn small" onClick={exportCsv} disabled={count === 0}>
          Export CSV
        </button>
      </div>
    ),
    // exportCsv reads only values listed here (groups, displayed, groupBy, sortedRows, experiment).
    [columns, shownIds, settings.groupBy, settings.filters, groupBy, groups, filtered.length, rows.length, count, displayed, sortedRows, experiment, update],
  );

  return (
    <div className="runs-table-wrap">
      {tools}
      <div
        className="runs-table-scroll"
        ref={scroller}
        onScroll={onScroll}
        data-testid="runs-table-scroll"
        // A definite height (the rows', up to 70 % of the window) lets the box contain its layout: a scroll
        // step lays out the new rows, not the page around them.
        style={{ height: `min(70vh, ${(count + 1) * ROW_HEIGHT + 16}px)` }}
      >
        <div className="runs-grid" role="table" data-testid="experiment-runs" aria-rowcount={count + 1} style={gridStyle}>
          <div className="runs-grid-head" role="rowgroup">
            <div className="runs-grid-row" role="row" aria-rowindex={1}>
              {displayed.map((c) => (
                <div
                  key={c.id}
                  role="columnheader"
                  className={c.numeric ? 'head num' : 'head'}
                  title={c.title ?? c.label}
                  aria-sort={settings.sort?.columnId === c.id ? (settings.sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  <button type="button" className="sort" onClick={() => toggleSort(c.id)}>
                    {c.label}
                  </button>
                </div>
              ))}
              {!grouped && <div role="columnheader" className="head" aria-label="Actions" />}
            </div>
          </div>
          <div className="runs-grid-body" role="rowgroup" style={{ height: count * ROW_HEIGHT }}>
            {/* The row block: its own layer at its base row (a whole-pixel transform); the pad puts the drawn
                rows at their place below it. */}
            <div className="runs-grid-block" data-testid="runs-table-block" style={{ transform: `translateY(${base * ROW_HEIGHT}px)`, height: blockRows * ROW_HEIGHT }}>
              {start > base && <div className="runs-grid-pad" aria-hidden="true" style={{ height: (start - base) * ROW_HEIGHT }} />}
              {groups
                ? groups.slice(start, end).map((g, i) => <GroupTableRow key={g.key} group={g} columns={displayed} by={groupBy} index={start + i} />)
                : sortedRows.slice(start, end).map((row, i) => <RunTableRow key={row.key} experiment={experiment} row={row} columns={displayed} job={active.has(row.model)} onRemove={onRemove} index={start + i} />)}
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

/** Column width in rem: fixed, so the browser lays rows out without measuring their text. */
function columnRem(column: ColumnDef, grouped: boolean): number {
  if (column.id === 'run:model') return 14;
  if (column.id === 'run:status') return 8;
  // a group's cell reads "0.1234 ± 0.0056"
  const base = grouped && column.numeric ? 11 : column.numeric ? 7 : 9;
  // room for the header's label (about 0.55 rem a character at the header's size), up to a limit
  return Math.max(base, Math.min(16, column.label.length * 0.55 + 1.5));
}
const ACTIONS_REM = 7;

/** A body row's ARIA position: the header is row 1. */
const rowIndex = (index: number): number => index + 2;

const RunTableRow = memo(function RunTableRow({ experiment, row, columns, job, onRemove, index }: { experiment: string; row: TableRow; columns: readonly ColumnDef[]; job: boolean; onRemove: (jobId: string) => void; index: number }): JSX.Element {
  const { run } = row;
  return (
    <div className="runs-grid-row" role="row" aria-rowindex={rowIndex(index)}>
      {columns.map((c) => {
        if (c.id === 'run:model')
          return (
            <div role="cell" key={c.id} className="cell name" title={row.model}>
              {run ? <a href={routeHref({ view: 'run', experiment, model: row.model })}>{row.model}</a> : row.model}
            </div>
          );
        if (c.id === 'run:status')
          return (
            <div role="cell" key={c.id} className="cell status" title={runErrorTitle(run?.error)}>
              {run ? <StatusBadge status={run.status} epoch={run.epoch} epochs={run.epochs} /> : <StatusBadge status="queued" />}
            </div>
          );
        const text = c.text ? c.text(row) : formatCell(c.value(row));
        return (
          <div role="cell" key={c.id} className={c.numeric ? 'cell num' : 'cell'} title={text}>
            {text}
          </div>
        );
      })}
      <div role="cell" className="cell">
        {run ? (
          job ? (
            <StopRunButton run={run} small />
          ) : (
            <RunLiveness run={run} small />
          )
        ) : row.job ? (
          <button type="button" className="btn small danger" onClick={() => onRemove(row.job!.id)} title="waiting for a free slot">
            Remove
          </button>
        ) : null}
      </div>
    </div>
  );
});

const GroupTableRow = memo(function GroupTableRow({ group, columns, by, index }: { group: GroupRow; columns: readonly ColumnDef[]; by: readonly ColumnDef[]; index: number }): JSX.Element {
  return (
    <div className="runs-grid-row group-row" role="row" aria-rowindex={rowIndex(index)} data-testid="group-row">
      {columns.map((c) => {
        if (c.id === 'run:model')
          return (
            <div role="cell" key={c.id} className="cell name" title={group.rows.map((r) => r.model).join('\n')}>
              {group.rows.length} {group.rows.length === 1 ? 'run' : 'runs'}
            </div>
          );
        const text = formatGroupCell(groupCell(group, c, by));
        return (
          <div role="cell" key={c.id} className={c.numeric ? 'cell num' : 'cell'} title={text}>
            {text}
          </div>
        );
      })}
    </div>
  );
});
