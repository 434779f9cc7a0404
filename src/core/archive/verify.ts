import { createHash } from 'node:crypto';
import type { ReadEntry } from 'tar';
import { ExpmanError } from '../errors.js';
import { archiveEntryProblems, FILE_TYPES } from './entry-safety.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from './manifest.js';
import { readArchive, type ArchiveEntry, type ReadArchiveOptions } from './read-archive.js';

export interface ArchiveProblem {
  /** unsafe: an entry that restore refuses (path, type, link target); the rest compare with the MANIFEST. */
  kind: 'unsafe' | 'missing' | 'extra' | 'corrupt' | 'no-manifest';
  path: string;
  detail: string;
}

export interface ArchiveScan {
  manifest: Manifest | null;
  /** Every entry in archive order, MANIFEST included, with normalised paths. */
  entries: ArchiveEntry[];
  /** Size and sha256 of every regular file in the archive (MANIFEST excluded). */
  files: Map<string, { size: number; sha256: string }>;
}

export interface VerifyReport {
  file: string;
  ok: boolean;
  manifest: Manifest | null;
  /** Files checked against the manifest. */
  checked: number;
  problems: ArchiveProblem[];
}

/**
 * Where restore keeps one file's content. Synchronous on purpose: a restore writes thousands of small files,
 * and a stream (or a promise) per write costs more than the write itself; each call returns when the
 * kernel has the bytes.
 */
export interface ContentSink {
  write(chunk: Buffer): void;
  /** All content written: completes the file. */
  end(): void;
  /** The read failed: release the file (the caller removes it). */
  destroy(): void;
}

export interface ScanOptions extends ReadArchiveOptions {
  /**
   * Where restore keeps each regular file's content, so that the archive is read exactly once: called
   * with the entry's index in `entries`; the bytes written are the bytes hashed.
   */
  store?: (entry: ArchiveEntry, index: number) => ContentSink;
}

/** A MANIFEST larger than this is not one expman wrote (it lists paths and hashes, ~150 bytes a file). */
const MANIFEST_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Hashes an entry's content, writing it to `sink` when given. Consumed through 'data' events, not an async
 * iterator: a promise per chunk was a large part of a restore's time in the garbage collector.
 */
function hashContent(content: ReadEntry, sink: ContentSink | undefined): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  return new Promise((resolveHash, rejectHash) => {
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      sink?.destroy(); // closes the staged file now, not when collected
      content.resume();
      rejectHash(error instanceof Error ? error : new Error(String(error)));
    };
    content.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        hash.update(chunk);
        size += chunk.length;
        sink?.write(chunk);
      } catch (error) {
        fail(error);
      }
    });
    content.once('error', fail);
    content.once('end', () => {
      if (failed) return;
      try {
        sink?.end();
      } catch (error) {
        return fail(error);
      }
      resolveHash({ size, sha256: hash.digest('hex') });
    });
  });
}

/** Reads the whole archive once: every entry, the sha256 of every file, and the MANIFEST. */
export async function scanArchive(file: string, options: ScanOptions = {}): Promise<ArchiveScan> {
  const entries: ArchiveEntry[] = [];
  const files = new Map<string, { size: number; sha256: string }>();
  let manifestText: string | undefined;
  await readArchive(
    file,
    async (entry, content) => {
      const index = entries.push(entry) - 1;
      if (entry.path === MANIFEST_NAME && FILE_TYPES.has(entry.type) && !entry.pathProblem) {
        if (entry.size > MANIFEST_MAX_BYTES) throw new ExpmanError('ARCHIVE_INVALID', `${file}: ${MANIFEST_NAME} is ${entry.size} bytes, too large to be a manifest`, { file });
        const chunks: Buffer[] = [];
        for await (const chunk of content) chunks.push(chunk);
        manifestText = Buffer.concat(chunks).toString('utf8');
        return;
      }
      if (!FILE_TYPES.has(entry.type)) {
        content.resume();
        return;
      }
      // Unsafe entries are read (and hashed) like the rest; the rules refuse them before anything is placed.
      const sink = options.store?.(entry, index);
      const result = await hashContent(content, sink);
      if (!entry.pathProblem) files.set(entry.path, result);
    },
    { phase: 'verifying', ...options },
  );
  return { manifest: manifestText === undefined ? null : await parseManifest(manifestText, file), entries, files };
}

/**
 * Everything wrong with a scanned archive: unsafe entries first (the rules restore applies), then the
 * comparison with its MANIFEST. `archive verify` and `restore` both call this, so they agree on every archive.
 */
export function archiveProblems(scan: ArchiveScan): ArchiveProblem[] {
  const unsafe = archiveEntryProblems(scan.entries).map((line): ArchiveProblem => {
    const at = line.indexOf(': ');
    return { kind: 'unsafe', path: line.slice(0, at), detail: line.slice(at + 2) };
  });
  return [...unsafe, ...compareWithManifest(scan)];
}

/** Compares what the archive holds with its manifest: missing, extra and corrupt entries. */
export function compareWithManifest(scan: ArchiveScan): ArchiveProblem[] {
  const { manifest } = scan;
  if (!manifest) return [{ kind: 'no-manifest', path: MANIFEST_NAME, detail: 'the archive has no MANIFEST (not made by expman archive?)' }];
  const problems: ArchiveProblem[] = [];
  const listed = new Set<string>();
  for (const expected of manifest.files) {
    listed.add(expected.path);
    const actual = scan.files.get(expected.path);
    if (!actual) problems.push({ kind: 'missing', path: expected.path, detail: 'listed in the manifest, not in the archive' });
    else if (actual.size !== expected.size) problems.push({ kind: 'corrupt', path: expected.path, detail: `size ${actual.size}, manifest says ${expected.size}` });
    else if (actual.sha256 !== expected.sha256) problems.push({ kind: 'corrupt', path: expected.path, detail: 'sha256 differs from the manifest' });
  }
  const links = new Map(scan.entries.filter((e) => e.type === 'SymbolicLink' && e.pathProblem === undefined).map((e) => [e.path, e.linkpath ?? '']));
  for (const expected of manifest.links) {
    listed.add(expected.path);
    const target = links.get(expected.path);
    if (target === undefined) problems.push({ kind: 'missing', path: expected.path, detail: 'link listed in the manifest, not in the archive' });
    else if (target !== expected.target) problems.push({ kind: 'corrupt', path: expected.path, detail: `link points to ${target}, manifest says ${expected.target}` });
  }
  for (const entry of scan.entries) {
    if (entry.path === MANIFEST_NAME || entry.path === '' || entry.pathProblem !== undefined) continue;
    if (entry.type !== 'Directory' && !listed.has(entry.path)) problems.push({ kind: 'extra', path: entry.path, detail: `${entry.type} not listed in the manifest` });
  }
  return problems;
}

/** `expman archive verify`: reads the archive once; checks every entry as restore would, and every file against the manifest. */
export async function verifyArchive(file: string, options: ReadArchiveOptions = {}): Promise<VerifyReport> {
  const scan = await scanArchive(file, options);
  const problems = archiveProblems(scan);
  return { file, ok: problems.length === 0, manifest: scan.manifest, checked: scan.manifest?.files.length ?? 0, problems };
}
