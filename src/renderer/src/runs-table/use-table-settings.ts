import { useCallback, useEffect, useState } from 'react';
import type { ColumnFilter, SortSpec } from './table-model';

export interface TableSettings {
  /** Column ids in order; null: the default columns (which follow what the runs vary). */
  columns: string[] | null;
  sort: SortSpec | null;
  filters: ColumnFilter[];
  groupBy: string[];
}

const EMPTY: TableSettings = { columns: null, sort: null, filters: [], groupBy: [] };
const storageKey = (experiment: string): string => `expman.runs-table.${experiment}`;

function load(experiment: string): TableSettings {
  try {
    const raw = JSON.parse(localStorage.getItem(storageKey(experiment)) ?? 'null') as Partial<TableSettings> | null;
    if (!raw || typeof raw !== 'object') return EMPTY;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return {
      columns: Array.isArray(raw.columns) ? strings(raw.columns) : null,
      sort: raw.sort && typeof raw.sort.columnId === 'string' ? { columnId: raw.sort.columnId, descending: raw.sort.descending === true } : null,
      filters: Array.isArray(raw.filters) ? raw.filters.filter((f): f is ColumnFilter => typeof f?.columnId === 'string') : [],
      groupBy: strings(raw.groupBy),
    };
  } catch {
    return EMPTY;
  }
}

/** The table's columns, sort, filters and grouping for an experiment, remembered across reloads. */
export function useTableSettings(experiment: string): [TableSettings, (change: Partial<TableSettings>) => void] {
  const [state, setState] = useState(() => ({ experiment, settings: load(experiment) }));
  const settings = state.experiment === experiment ? state.settings : load(experiment);
  useEffect(() => {
    try {
      localStorage.setItem(storageKey(state.experiment), JSON.stringify(state.settings));
    } catch {
      // storage disabled: the settings hold for this page
    }
  }, [state]);
  const update = useCallback((change: Partial<TableSettings>) => setState((s) => ({ experiment, settings: { ...(s.experiment === experiment ? s.settings : load(experiment)), ...change } })), [experiment]);
  return [settings, update];
}
