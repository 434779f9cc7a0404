import type { JSX } from 'react';

/**
 * Structured values (a run's provenance: dataset hashes, the command line, config sources) as nested
 * key/value lists, so a user reads `train.csv  3f2a…` instead of JSON text with escaped quotes.
 */
export function KeyValueTree({ value, label }: { value: Record<string, unknown>; label?: string }): JSX.Element {
  return (
    <dl className="kv" aria-label={label}>
      {Object.entries(value).map(([key, item]) => (
        <div key={key} style={{ display: 'contents' }}>
          <dt>{key}</dt>
          <dd>
            <TreeValue value={item} label={key} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function TreeValue({ value, label }: { value: unknown; label: string }): JSX.Element {
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    if (items.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="kv-list" aria-label={label}>
        {items.map((item, index) => (
          <li key={index}>
            <TreeValue value={item} label={`${label}[${index}]`} />
          </li>
        ))}
      </ul>
    );
  }
  if (value !== null && typeof value === 'object') return <KeyValueTree value={value as Record<string, unknown>} label={label} />;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return <span>{String(value)}</span>;
  return <span className="muted">–</span>;
}
