import type { Progress } from '../shared/progress.js';

/**
 * A one-line progress bar for terminals: redrawn in place at most ~10 times a second, with rate and ETA.
 * On a stream that is not a TTY it draws nothing (CI logs get the per-epoch lines instead).
 */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private drawn = false;
  private suffix = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Extra text after the bar (e.g. the latest loss). */
  setSuffix(text: string): void {
    this.suffix = text;
  }

  update(progress: Progress, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100 && progress.done < progress.total) return;
    this.last = now;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
    const filled = Math.round(fraction * width);
    const elapsed = (now - this.started) / 1000;
    const eta = fraction > 0 && fraction < 1 ? ` ETA ${formatSeconds((elapsed / fraction) * (1 - fraction))}` : '';
    const amount = progress.unit === 'bytes' ? `${formatBytes(progress.done)}/${formatBytes(progress.total)}` : `${progress.done}/${progress.total}`;
    const line = `${progress.phase} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${amount}${eta}${this.suffix ? `  ${this.suffix}` : ''}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
    this.drawn = true;
  }

  /** Prints a line above the bar without breaking it. */
  println(text: string): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    process.stdout.write(`${text}\n`);
    this.last = 0;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
