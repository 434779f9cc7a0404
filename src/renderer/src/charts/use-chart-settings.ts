import { useEffect, useState } from 'react';

/** Which charts share one set of settings: a run's own charts, or the comparison of runs. */
export type ChartKind = 'run' | 'compare';

export interface ChartSettings {
  /** Debiased EMA weight, 0 … 0.999. */
  smoothing: number;
  logScale: boolean;
}

const DEFAULTS: ChartSettings = { smoothing: 0, logScale: false };

const storageKey = (kind: ChartKind): string => `expman.chart-settings.${kind}`;

/** The stored settings, or the defaults for anything missing, damaged or out of range (storage is user-editable). */
export function readChartSettings(kind: ChartKind, storage: Storage = localStorage): ChartSettings {
  try {
    const raw = JSON.parse(storage.getItem(storageKey(kind)) ?? '{}') as Partial<Record<keyof ChartSettings, unknown>>;
    const smoothing = typeof raw.smoothing === 'number' && raw.smoothing >= 0 && raw.smoothing <= 0.999 ? raw.smoothing : DEFAULTS.smoothing;
    const logScale = typeof raw.logScale === 'boolean' ? raw.logScale : DEFAULTS.logScale;
    return { smoothing, logScale };
  } catch {
    return DEFAULTS;
  }
}

/**
 * Smoothing and log scale of one kind of chart, remembered across reloads (localStorage, per kind), as
 * TensorBoard keeps them: the weight a user settled on is the one they want on the next run too.
 */
export function useChartSettings(kind: ChartKind): ChartSettings & { setSmoothing: (weight: number) => void; setLogScale: (on: boolean) => void } {
  const [settings, setSettings] = useState(() => readChartSettings(kind));
  useEffect(() => {
    try {
      localStorage.setItem(storageKey(kind), JSON.stringify(settings));
    } catch {
      // storage full or disabled: the settings still hold for this page
    }
  }, [kind, settings]);
  return {
    ...settings,
    setSmoothing: (smoothing) => setSettings((current) => ({ ...current, smoothing })),
    setLogScale: (logScale) => setSettings((current) => ({ ...current, logScale })),
  };
}
