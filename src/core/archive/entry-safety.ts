import type { ArchiveEntry } from './read-archive.js';

export const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const SAFE_TYPES = new Set([...FILE_TYPES, 'Directory', 'SymbolicLink']);

/** Why an entry's own path cannot be restored, or undefined when it can. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '' || path === '.') return undefined;
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'absolute path';
  if (path.split(/[/\\]/).includes('..')) return "path contains '..'";
  if (path.includes('\0')) return 'path contains a NUL byte';
  return undefined;
}

/**
 * Follows a link target component by component from the link's folder. It must stay inside the root and
 * must not pass through another link: `d -> .` then `e -> d/..` looks harmless written down but escapes.
 * `isLink(path)` says whether a path (relative to the root) is a link, in the archive or already on disk.
 */
export function unsafeLinkReason(linkPath: string, target: string, isLink: (path: string) => boolean): string | undefined {
  if (target.startsWith('/') || target.startsWith('\\') || /^[A-Za-z]:/.test(target)) return `link to absolute path ${target}`;
  const stack = linkPath.split('/').slice(0, -1);
  for (const part of target.split(/[/\\]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!stack.length) return `link to ${target} points outside the folder`;
      stack.pop();
      continue;
    }
    stack.push(part);
    if (isLink(stack.join('/'))) return `link to ${target} passes through another link (${stack.join('/')})`;
  }
  return undefined;
}

/** Everything wrong with one entry (path, type, link target), as readable reasons. */
export function entryProblems(entry: ArchiveEntry, isLink: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const pathReason = unsafePathReason(entry.path);
  if (pathReason) problems.push(pathReason);
  if (!SAFE_TYPES.has(entry.type)) problems.push(`unsupported entry type ${entry.type} (only files, folders and symbolic links are restored)`);
  // Writing through a link would put the file wherever the link points.
  const parts = entry.path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (isLink(parent)) {
      problems.push(`inside ${parent}, which is a link`);
      break;
    }
  }
  if (entry.type === 'SymbolicLink') {
    const linkReason = unsafeLinkReason(entry.path, entry.linkpath ?? '', isLink);
    if (linkReason) problems.push(linkReason);
  }
  return problems;
}
