import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The pids of running processes whose program name ends with `program` and whose command line mentions `text`. */
export function processesOf(program: string, text: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith(program) && argv.some((a) => a.includes(text))) pids.push(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/** Whether `condition` holds within `ms` (checked every 50 ms, and once more at the end). */
export async function until(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (condition()) return true;
  return condition();
}

/** A TCP port free on 127.0.0.1 right now, for a daemon a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The first value `probe` gives that is neither undefined nor false, asked every 100 ms; after `ms`, fails
 * with what was awaited (and `context()`, e.g. the daemons' logs).
 */
export async function waitUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000, context?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${context ? `\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
