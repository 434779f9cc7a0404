import { MANIFEST_NAME } from './manifest.js';

export const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const SAFE_TYPES = new Set([...FILE_TYPES, 'Directory', 'SymbolicLink']);

/** The longest name of one path component that every common file system accepts (NAME_MAX). */
export const NAME_MAX_BYTES = 255;

/** What the safety rules need to know about one archive entry; `path` is the normalised path. */
export interface EntryShape {
  path: string;
  type: string;
  linkpath?: string;
}

/**
 * The one normalisation of an entry path, applied by both `archive verify` and `restore`. GNU tar's
 * `tar -C dir .` stores "./x" (and "./" for the root), and folders end in "/": those forms are stripped.
 * Nothing else is rewritten: any other "." or empty ("//") segment makes the path invalid, because a check
 * that counts segments and a file system that ignores them disagree about where the path leads.
 * Returns the path ('' for the archive's root folder) or the reason it is refused.
 */
export function normalizeEntryPath(raw: string): { path: string } | { reason: string } {
  if (raw.includes('\0')) return { reason: 'path contains a NUL byte' };
  if (raw.startsWith('/')) return { reason: 'absolute path' };
  const path = raw.replace(/^(\.\/+)+/, '').replace(/\/+$/, '');
  if (path === '' || path === '.') return { path: '' };
  const parts = path.split('/');
  if (parts.includes('..')) return { reason: "path contains '..'" };
  if (parts.some((part) => part === '' || part === '.')) return { reason: "path contains an empty or '.' segment" };
  const long = parts.find((part) => Buffer.byteLength(part) > NAME_MAX_BYTES);
  if (long !== undefined) return { reason: `a name in the path is longer than ${NAME_MAX_BYTES} bytes` };
  return { path };
}

/** The folders above a normalised path, outermost first: "a/b/c" → ["a", "a/b"]. */
export function parentsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Follows a link target component by component from the link's folder, as the kernel will. It must stay
 * inside the root and must not pass through a link (`d -> .` then `e -> d/..` looks harmless written down
 * but escapes), so every step is a real folder and lexical resolution equals the kernel's. `linkPath` is a
 * normalised path; `isLink(path)` says whether a root-relative path is a link (in the archive or on disk).
 */
export function unsafeLinkReason(linkPath: string, target: string, isLink: (path: string) => boolean): string | undefined {
  if (target === '') return 'link with an empty target';
  if (target.includes('\0')) return 'link target contains a NUL byte';
  if (target.startsWith('/')) return `link to absolute path ${target}`;
  const stack = linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue; // the kernel skips these inside a target; they cannot move it
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

/**
 * Everything wrong with an archive's entries, as "path: reason" lines: the rules `archive verify` and
 * `restore` share (restore adds the checks against what is already in DIR). `rawPaths` are the paths as
 * stored; `entries` the same entries with normalised paths (unnormalisable ones are reported here).
 */
export function archiveEntryProblems(entries: ReadonlyArray<EntryShape & { rawPath: string; pathProblem?: string }>): string[] {
  const problems: string[] = [];
  const byPath = new Map<string, EntryShape>();
  const valid = entries.filter((e) => e.pathProblem === undefined);
  for (const entry of entries) {
    if (entry.pathProblem !== undefined) problems.push(`${entry.rawPath}: ${entry.pathProblem}`);
  }
  for (const entry of valid) {
    const where = entry.path === '' ? entry.rawPath : entry.path;
    if (!SAFE_TYPES.has(entry.type)) problems.push(`${where}: unsupported entry type ${entry.type} (only files, folders and symbolic links are restored)`);
    if (entry.path === '' && entry.type !== 'Directory') problems.push(`${where}: the archive's root must be a folder, not ${entry.type}`);
    if (entry.path === MANIFEST_NAME && !FILE_TYPES.has(entry.type)) problems.push(`${MANIFEST_NAME}: must be a regular file, not ${entry.type}`);
    if (entry.path === '') continue;
    // tar lets a later entry replace an earlier one; a restore that does that cannot check what it replaces.
    if (byPath.has(entry.path)) problems.push(`${entry.path}: appears more than once in the archive`);
    else byPath.set(entry.path, entry);
  }
  const isArchivedLink = (path: string) => byPath.get(path)?.type === 'SymbolicLink';
  for (const entry of byPath.values()) {
    // Writing through a link would put the file wherever the link points.
    for (const parent of parentsOf(entry.path)) {
      const above = byPath.get(parent);
      if (!above || above.type === 'Directory') continue;
      problems.push(above.type === 'SymbolicLink' ? `${entry.path}: inside ${parent}, which is a link` : `${entry.path}: inside ${parent}, which is not a folder`);
      break;
    }
    if (entry.type === 'SymbolicLink') {
      const reason = unsafeLinkReason(entry.path, entry.linkpath ?? '', isArchivedLink);
      if (reason) problems.push(`${entry.path}: ${reason}`);
    }
  }
  return problems;
}
