import { useState, type JSX } from 'react';
import type { ColumnDef } from './table-model';

const KIND_LABEL: Record<ColumnDef['kind'], string> = { run: 'Run', config: 'Config', metric: 'Metrics' };

/** A panel of every available column with a search box: tick to show, untick to hide. */
export function ColumnPicker({ columns, shown, onChange, onReset }: { columns: readonly ColumnDef[]; shown: readonly string[]; onChange: (ids: string[]) => void; onReset: () => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  const matching = columns.filter((c) => !needle || c.label.toLowerCase().includes(needle) || c.id.toLowerCase().includes(needle));
  const toggle = (id: string): void => onChange(shown.includes(id) ? shown.filter((s) => s !== id) : [...shown, id]);
  return (
    <div className="column-picker">
      <button type="button" className="btn small" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({shown.length})
      </button>
      {open && (
        <div className="column-picker-panel panel" role="dialog" aria-label="Columns">
          <div className="column-picker-head">
            <input type="search" placeholder="Find a column (config key, metric)" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Find a column" autoFocus />
            <button type="button" className="btn small" onClick={onReset}>
              Default
            </button>
          </div>
          <div className="column-picker-list">
            {(['run', 'config', 'metric'] as const).map((kind) => {
              const list = matching.filter((c) => c.kind === kind);
              if (!list.length) return null;
              return (
                <fieldset key={kind}>
                  <legend>{KIND_LABEL[kind]}</legend>
                  {list.map((c) => (
                    <label key={c.id} title={c.title}>
                      <input type="checkbox" checked={shown.includes(c.id)} onChange={() => toggle(c.id)} />
                      {c.label}
                    </label>
                  ))}
                </fieldset>
              );
            })}
            {!matching.length && <p className="muted">No column matches.</p>}
          </div>
        </div>
      )}
    </div>
  );
}
