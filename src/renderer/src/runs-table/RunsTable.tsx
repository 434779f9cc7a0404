import { memo, useCallback, useEffect, useMemo, useRef, useState, type JSX, type UIEvent } from 'react';
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

/** Row height in px (CSS: .runs-table tr): rows are virtualised, so every row has the same height. */
export const ROW_HEIGHT = 30;
/** Rows drawn above and below the visible ones, so a fast scroll does not show blank rows. */
const OVERSCAN = 16;
/**
 * The drawn window moves in steps of this many rows: scrolling re-renders every few frames, not on every
 * frame, and the DOM changes by a block of rows at a time (fewer layouts while a wheel scrolls fast).
 */
const STEP = 8;
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
  useEffect(() => {
    const box = scroller.current;
    if (box?.clientHeight) setViewport(box.clientHeight);
  }, []);
  const onScroll = (event: UIEvent<HTMLDivElement>): void => {
    // Re-render only when the window moves by a step, not on every scroll pixel.
    setFirst(Math.floor(event.currentTarget.scrollTop / ROW_HEIGHT / STEP) * STEP);
  };
  const start = Math.max(0, Math.min(first, count) - OVERSCAN);
  const end = Math.min(count, first + STEP + Math.ceil(viewport / ROW_HEIGHT) + OVERSCAN);

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
        // step lays out the table's rows, not the page around it.
        style={{ height: `min(70vh, ${(count + 1) * ROW_HEIGHT + 16}px)` }}
      >
        <table className="data runs-table" data-testid="experiment-runs" aria-rowcount={count + 1} style={{ width: `${displayed.reduce((sum, c) => sum + columnRem(c, groups !== null), groups ? 0 : ACTIONS_REM)}rem` }}>
          <colgroup>
            {displayed.map((c) => (
              <col key={c.id} style={{ width: `${columnRem(c, groups !== null)}rem` }} />
            ))}
            {!groups && <col style={{ width: `${ACTIONS_REM}rem` }} />}
          </colgroup>
          <thead>
            <tr>
              {displayed.map((c) => (
                <th
                  key={c.id}
                  className={c.numeric ? 'num' : undefined}
                  title={c.title ?? c.label}
                  aria-sort={settings.sort?.columnId === c.id ? (settings.sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  <button type="button" className="sort" onClick={() => toggleSort(c.id)}>
                    {c.label}
                  </button>
                </th>
              ))}
              {!groups && <th aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {start > 0 && <tr aria-hidden="true" className="spacer" style={{ height: start * ROW_HEIGHT }} />}
            {groups
              ? groups.slice(start, end).map((g) => <GroupTableRow key={g.key} group={g} columns={displayed} by={groupBy} />)
              : sortedRows.slice(start, end).map((row) => <RunTableRow key={row.key} experiment={experiment} row={row} columns={displayed} job={active.has(row.model)} onRemove={onRemove} />)}
            {end < count && <tr aria-hidden="true" className="spacer" style={{ height: (count - end) * ROW_HEIGHT }} />}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Column width in rem: fixed, so the browser lays rows out without measuring their text (table-layout: fixed). */
function columnRem(column: ColumnDef, grouped: boolean): number {
  if (column.id === 'run:model') return 14;
  if (column.id === 'run:status') return 8;
  // a group's cell reads "0.1234 ± 0.0056"
  const base = grouped && column.numeric ? 11 : column.numeric ? 7 : 9;
  // room for the header's label (about 0.55 rem a character at the header's size), up to a limit
  return Math.max(base, Math.min(16, column.label.length * 0.55 + 1.5));
}
const ACTIONS_REM = 7;

const RunTableRow = memo(function RunTableRow({ experiment, row, columns, job, onRemove }: { experiment: string; row: TableRow; columns: readonly ColumnDef[]; job: boolean; onRemove: (jobId: string) => void }): JSX.Element {
  const { run } = row;
  return (
    <tr>
      {columns.map((c) => {
        if (c.id === 'run:model')
          return (
            <td key={c.id} className="name" title={row.model}>
              {run ? <a href={routeHref({ view: 'run', experiment, model: row.model })}>{row.model}</a> : row.model}
            </td>
          );
        if (c.id === 'run:status')
          return (
            <td key={c.id} className="status" title={runErrorTitle(run?.error)}>
              {run ? <StatusBadge status={run.status} epoch={run.epoch} epochs={run.epochs} /> : <StatusBadge status="queued" />}
            </td>
          );
        const text = c.text ? c.text(row) : formatCell(c.value(row));
        return (
          <td key={c.id} className={c.numeric ? 'num' : undefined} title={text}>
            {text}
          </td>
        );
      })}
      <td>
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
      </td>
    </tr>
  );
});

const GroupTableRow = memo(function GroupTableRow({ group, columns, by }: { group: GroupRow; columns: readonly ColumnDef[]; by: readonly ColumnDef[] }): JSX.Element {
  return (
    <tr className="group-row" data-testid="group-row">
      {columns.map((c) => {
        if (c.id === 'run:model')
          return (
            <td key={c.id} className="name" title={group.rows.map((r) => r.model).join('\n')}>
              {group.rows.length} {group.rows.length === 1 ? 'run' : 'runs'}
            </td>
          );
        const text = formatGroupCell(groupCell(group, c, by));
        return (
          <td key={c.id} className={c.numeric ? 'num' : undefined} title={text}>
            {text}
          </td>
        );
      })}
    </tr>
  );
});
