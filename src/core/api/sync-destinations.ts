import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SyncDestination } from '../../shared/archive-sync.js';
import { readVersioned, updateFile } from '../fs/file-version.js';

/** Where the app keeps user settings that do not belong in a data folder (saved sync destinations). */
export function settingsDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'expman');
}

/**
 * Saved sync destinations, one JSON file per user (they name machines and folders outside any data
 * folder, so they are not stored in one). A missing or damaged file reads as no destinations.
 */
export class SyncDestinationStore {
  constructor(private readonly file: string) {}

  async list(): Promise<SyncDestination[]> {
    try {
      return parseList((await readVersioned(this.file)).text);
    } catch {
      return []; // unreadable: no destinations to offer
    }
  }

  /** Adds a destination, or replaces the one with the same name. */
  async save(destination: SyncDestination): Promise<SyncDestination[]> {
    return this.update((list) => {
      const next = list.filter((d) => d.name !== destination.name);
      next.push(destination);
      return next.sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  async remove(name: string): Promise<SyncDestination[]> {
    return this.update((list) => list.filter((d) => d.name !== name));
  }

  /** Read, change, write as one step: two windows editing destinations at once both keep their change. */
  private async update(change: (list: SyncDestination[]) => SyncDestination[]): Promise<SyncDestination[]> {
    await fs.mkdir(dirname(this.file), { recursive: true });
    return updateFile(this.file, (text) => {
      const next = change(parseList(text));
      return { text: `${JSON.stringify(next, null, 2)}\n`, result: next };
    });
  }
}

/** The stored list; a missing or damaged file reads as no destinations. */
function parseList(text: string): SyncDestination[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed)
      ? parsed.filter((d): d is SyncDestination => typeof d === 'object' && d !== null && typeof (d as SyncDestination).name === 'string' && typeof (d as SyncDestination).target === 'string')
      : [];
  } catch {
    return [];
  }
}
