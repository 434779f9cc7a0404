import type { JSX } from 'react';
import type { SyncDestination } from '../../../shared/archive-sync';

export interface SyncDestinationListProps {
  destinations: SyncDestination[] | null;
  selected: string | null;
  disabled: boolean;
  onSelect: (destination: SyncDestination) => void;
  onRemove: (name: string) => void;
}

/** Saved destinations: pick one to fill the form, or remove it. */
export function SyncDestinationList({ destinations, selected, disabled, onSelect, onRemove }: SyncDestinationListProps): JSX.Element {
  if (destinations === null) return <p className="arc-muted">Loading saved destinations…</p>;
  if (destinations.length === 0) return <p className="arc-muted">No saved destinations yet: fill in the form and Save.</p>;
  return (
    <ul className="arc-destinations" aria-label="Saved destinations">
      {destinations.map((d) => (
        <li key={d.name} className={d.name === selected ? 'arc-selected' : undefined}>
          <button type="button" className="arc-destination" aria-pressed={d.name === selected} disabled={disabled} onClick={() => onSelect(d)}>
            <span className="arc-destination-name">{d.name}</span>
            <span className="arc-mono arc-muted arc-ellipsis" title={d.target}>
              {d.target}
            </span>
            {(d.excludeCheckpoints || d.delete) && (
              <span className="arc-muted arc-flags">{[d.excludeCheckpoints && 'no checkpoints', d.delete && 'delete'].filter(Boolean).join(' · ')}</span>
            )}
          </button>
          <button type="button" className="btn icon" aria-label={`Remove ${d.name}`} title="Remove" disabled={disabled} onClick={() => onRemove(d.name)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
