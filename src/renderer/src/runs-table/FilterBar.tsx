import { useState, type JSX } from 'react';
import { formatNumber, type ColumnDef, type ColumnFilter } from './table-model';

function describe(filter: ColumnFilter, label: string): string {
  const parts: string[] = [];
  if (filter.min !== undefined && filter.max !== undefined) parts.push(`${formatNumber(filter.min)} ≤ ${label} ≤ ${formatNumber(filter.max)}`);
  else if (filter.min !== undefined) parts.push(`${label} ≥ ${formatNumber(filter.min)}`);
  else if (filter.max !== undefined) parts.push(`${label} ≤ ${formatNumber(filter.max)}`);
  if (filter.text) parts.push(`${label} contains “${filter.text}”`);
  return parts.join(', ');
}

/** Adds value-range filters (numeric columns) and text filters (the rest); each shows as a chip that removes it. */
export function FilterBar({ columns, filters, onChange }: { columns: readonly ColumnDef[]; filters: readonly ColumnFilter[]; onChange: (filters: ColumnFilter[]) => void }): JSX.Element {
  const [columnId, setColumnId] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [text, setText] = useState('');
  const column = columns.find((c) => c.id === columnId);
  const number = (s: string): number | undefined => (s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));
  const invalid = (min.trim() !== '' && number(min) === undefined) || (max.trim() !== '' && number(max) === undefined);
  const filter: ColumnFilter | null = column
    ? column.numeric
      ? { columnId, ...(number(min) !== undefined ? { min: number(min) } : {}), ...(number(max) !== undefined ? { max: number(max) } : {}) }
      : text.trim()
        ? { columnId, text: text.trim() }
        : null
    : null;
  const usable = filter !== null && !invalid && (filter.min !== undefined || filter.max !== undefined || filter.text !== undefined);
  const add = (): void => {
    if (!usable) return;
    onChange([...filters.filter((f) => f.columnId !== columnId), filter]);
    setMin('');
    setMax('');
    setText('');
  };
  const label = (id: string): string => columns.find((c) => c.id === id)?.label ?? id;
  return (
    <div className="filter-bar">
      <select aria-label="Filter column" value={columnId} onChange={(e) => setColumnId(e.target.value)}>
        <option value="">Filter…</option>
        {columns.map((c) => (
          <option key={c.id} value={c.id}>
            {c.label}
          </option>
        ))}
      </select>
      {column?.numeric && (
        <>
          <input className="filter-num" type="text" inputMode="decimal" placeholder="min" aria-label="Minimum" aria-invalid={number(min) === undefined && min.trim() !== ''} value={min} onChange={(e) => setMin(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && add()} />
          <input className="filter-num" type="text" inputMode="decimal" placeholder="max" aria-label="Maximum" aria-invalid={number(max) === undefined && max.trim() !== ''} value={max} onChange={(e) => setMax(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && add()} />
        </>
      )}
      {column && !column.numeric && <input type="text" placeholder="contains" aria-label="Contains" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && add()} />}
      {column && (
        <button type="button" className="btn small" disabled={!usable} onClick={add}>
          Add filter
        </button>
      )}
      {filters.map((f) => (
        <button key={f.columnId} type="button" className="chip" aria-label={`Remove filter ${describe(f, label(f.columnId))}`} onClick={() => onChange(filters.filter((x) => x !== f))}>
          {describe(f, label(f.columnId))} ×
        </button>
      ))}
    </div>
  );
}
