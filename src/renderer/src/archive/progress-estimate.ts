/**
 * Speed and time-left of a long task from its `progress` events. Pure: the caller passes the clock, so
 * the arithmetic is testable without timers.
 */

export interface ProgressSample {
  /** Milliseconds on a monotonic clock. */
  at: number;
  done: number;
}

/** Speed is measured over the last few seconds, so it follows a transfer that speeds up or stalls. */
export const RATE_WINDOW_MS = 5000;
/** Below this span the speed is noise (two events in one tick), so none is shown. */
const MIN_SPAN_MS = 250;

/**
 * The window after adding `sample`: samples drop out once a newer one is itself a window old, so the
 * oldest kept sample sits at or before the window's start and the speed spans the whole window.
 */
export function addSample(window: readonly ProgressSample[], sample: ProgressSample, windowMs = RATE_WINDOW_MS): ProgressSample[] {
  const next = [...window, sample];
  let first = 0;
  while (first < next.length - 2 && sample.at - next[first + 1]!.at >= windowMs) first++;
  return next.slice(first);
}

export interface ProgressEstimate {
  /** Units per second, or null until there is enough to measure. */
  rate: number | null;
  /** Seconds left at that rate, or null. */
  etaSeconds: number | null;
}

export function estimate(window: readonly ProgressSample[], total: number): ProgressEstimate {
  const first = window[0];
  const last = window[window.length - 1];
  if (!first || !last || last.at - first.at < MIN_SPAN_MS) return { rate: null, etaSeconds: null };
  const rate = ((last.done - first.done) * 1000) / (last.at - first.at);
  if (!(rate > 0)) return { rate: rate === 0 ? 0 : null, etaSeconds: null };
  return { rate, etaSeconds: total > last.done ? (total - last.done) / rate : 0 };
}

/** "8 s", "2 min 05 s", "1 h 03 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
