import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../core/fs/atomic.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { bounds: { x: -1, y: -1, width: 1280, height: 800 }, maximized: false };
const MIN = { width: 800, height: 600 };

function isRect(value: unknown): value is Rect {
  const r = value as Rect;
  return typeof r === 'object' && r !== null && [r.x, r.y, r.width, r.height].every((n) => Number.isFinite(n));
}

/** The saved window state, or the default when there is none or it is unreadable (never an error). */
export async function loadWindowState(file: string): Promise<WindowState> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<WindowState>;
    if (isRect(value.bounds)) return { bounds: value.bounds, maximized: value.maximized === true };
  } catch {
    // first launch or a damaged file: start from the default
  }
  return DEFAULT_WINDOW_STATE;
}

export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state)}\n`);
}

/**
 * Keeps a remembered window on screen: if its centre is on no current display (a monitor was unplugged),
 * it is centred on the primary display; it is never larger than the display's work area.
 */
export function fitToDisplays(state: WindowState, workAreas: Rect[]): { x?: number; y?: number; width: number; height: number } {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: 1280, height: 800 };
  const { bounds } = state;
  const cx = bounds.x + bounds.width / 2;
  const cy = bounds.y + bounds.height / 2;
  const home = workAreas.find((a) => cx >= a.x && cx < a.x + a.width && cy >= a.y && cy < a.y + a.height);
  const area = home ?? primary;
  const width = Math.max(MIN.width, Math.min(bounds.width, area.width));
  const height = Math.max(MIN.height, Math.min(bounds.height, area.height));
  if (!home || bounds.x < 0 && bounds.y < 0) return { width, height };
  return { x: Math.min(Math.max(bounds.x, area.x), area.x + area.width - width), y: Math.min(Math.max(bounds.y, area.y), area.y + area.height - height), width, height };
}
