import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SyncDestination } from '../../shared/archive-sync.js';
import { writeFileAtomic } from '../fs/atomic.js';

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
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(parsed)
        ? parsed.filter((d): d is SyncDestination => typeof d === 'object' && d !== null && typeof (d as SyncDestination).name === 'string' && typeof (d as SyncDestination).target === 'string')
        : [];
    } catch {
      return [];
    }
  }

  /** Adds a destination, or replaces the one with the same name. */
  async save(destination: SyncDestination): Promise<SyncDestination[]> {
    const list = (await this.list()).filter((d) => d.name !== destination.name);
    list.push(destination);
    list.sort((a, b) => a.name.localeCompare(b.name));
    await this.write(list);
    return list;
  }

  async remove(name: string): Promise<SyncDestination[]> {
    const list = (await this.list()).filter((d) => d.name !== name);
    await this.write(list);
    return list;
  }

  private async write(list: SyncDestination[]): Promise<void> {
    await fs.mkdir(join(this.file, '..'), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(list, null, 2)}\n`);
  }
}
