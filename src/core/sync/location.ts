import { resolve } from 'node:path';
import { ExpmanError } from '../errors.js';

/** Where a sync goes to or comes from: a local folder, or `[user@]host:path` reached over SSH. */
export type SyncLocation = { kind: 'local'; path: string } | { kind: 'ssh'; user?: string; host: string; path: string };

/**
 * rsync's own rule: a colon before the first slash makes a remote spec (`./a:b` stays local). rsync
 * daemon specs (`host::module`, `rsync://`) are not supported: expman always goes over SSH.
 */
export function parseLocation(text: string, cwd = process.cwd()): SyncLocation {
  if (!text.trim()) throw new ExpmanError('USAGE', 'empty sync location', { key: 'location' });
  if (/^rsync:\/\//.test(text) || /^[^/]*::/.test(text)) {
    throw new ExpmanError('USAGE', `${text}: rsync daemon locations are not supported; use [user@]host:path (SSH) or a local path`, { key: 'location' });
  }
  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  const windowsDrive = /^[A-Za-z]:[\\/]/.test(text);
  if (colon > 0 && (slash === -1 || colon < slash) && !windowsDrive) {
    const authority = text.slice(0, colon);
    const path = text.slice(colon + 1);
    const at = authority.lastIndexOf('@');
    const user = at >= 0 ? authority.slice(0, at) : undefined;
    const host = at >= 0 ? authority.slice(at + 1) : authority;
    if (!host || /\s/.test(host) || user === '') throw new ExpmanError('USAGE', `${text}: expected [user@]host:path`, { key: 'location' });
    return { kind: 'ssh', user, host, path };
  }
  return { kind: 'local', path: resolve(cwd, text) };
}

/** The location as rsync takes it, with a trailing slash: "the contents of this folder". */
export function rsyncPath(location: SyncLocation): string {
  const withSlash = (p: string) => (p === '' ? '' : p.endsWith('/') ? p : `${p}/`);
  if (location.kind === 'local') return withSlash(location.path);
  return `${location.user ? `${location.user}@` : ''}${location.host}:${withSlash(location.path)}`;
}

export function describeLocation(location: SyncLocation): string {
  return location.kind === 'local' ? location.path : `${location.user ? `${location.user}@` : ''}${location.host}:${location.path}`;
}
