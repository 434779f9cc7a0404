import { Fragment, useMemo, useState, type JSX } from 'react';
import type { ResolvedEntryDto } from '../../../shared/config';
import { displayConfigValue, originLabel } from './field-value';
import { OriginBadge } from './OriginBadge';
import './config.css';

/** A dotted key that wraps only after its dots, never inside a name. */
function DottedKey({ dotted }: { dotted: string }): JSX.Element {
  const parts = dotted.split('.');
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </Fragment>
      ))}
    </>
  );
}

export interface ResolvedConfigTableProps {
  /** Every key's resolved value and origin. */
  entries: readonly ResolvedEntryDto[];
  /** Keys whose value differs from the saved file's resolution, highlighted while editing. */
  changedKeys?: ReadonlySet<string>;
}

/**
 * The configuration a run would get, key by key, with where each value comes from (code default,
 * default-config.toml, the experiment's config.toml with its line, or an override). The filter matches
 * keys, values and origins.
 */
export function ResolvedConfigTable({ entries, changedKeys }: ResolvedConfigTableProps): JSX.Element {
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return entries;
    return entries.filter((entry) =>
      [entry.key, displayConfigValue(entry.value), originLabel(entry.origin)].some((text) => text.toLowerCase().includes(needle)),
    );
  }, [entries, filter]);

  return (
    <div className="cfg-resolved">
      <div className="cfg-resolved-head">
        <input
          className="cfg-input cfg-resolved-filter"
          type="search"
          placeholder="Filter keys, values, origins"
          aria-label="Filter resolved config"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <span className="cfg-muted cfg-resolved-count">
          {shown.length === entries.length ? `${entries.length} keys` : `${shown.length} of ${entries.length}`}
        </span>
      </div>
      <div className="cfg-resolved-scroll">
        <table className="cfg-resolved-table" aria-label="Resolved config">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Origin</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.key} data-key={entry.key} className={changedKeys?.has(entry.key) ? 'cfg-row-changed' : undefined}>
                <th scope="row" className="cfg-mono">
                  <DottedKey dotted={entry.key} />
                </th>
                <td className="cfg-mono cfg-resolved-value">{displayConfigValue(entry.value)}</td>
                <td>
                  <OriginBadge origin={entry.origin} />
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={3} className="cfg-muted cfg-empty">
                  No key matches “{filter}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
