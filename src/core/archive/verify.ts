import * as crypto from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import { ExpmanError } from '../errors.js';
import { archiveEntryProblems, FILE_TYPES } from './entry-safety.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from './manifest.js';
import { readArchive, type ArchiveEntry, type ReadArchiveOptions } from './read-archive.js';
import type { TarContent } from './tar-reader.js';

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
  /** The index in `entries` of every regular file in the archive (MANIFEST excluded), by path. */
  files: Map<string, number>;
  /** The sha256 of each file's content (32 bytes at 32 × its index): kept outside V8's heap, ~12,000 files in 400 KiB. */
  digests: Buffer;
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

/** One-shot sha256 where Node has it (20.12+): most files arrive in one read, and a Hash object per file is garbage. */
const hashOnce = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer }).hash;

/**
 * Hashes an entry's content as it arrives, writing it to `sink` when given; `done` gets the sha256 when the
 * entry is complete (the reader ends an entry only once all of its `size` bytes came). Synchronous: the
 * chunks are views of a reused read buffer.
 */
function hashingContent(expected: number, sink: ContentSink | undefined, done: (sha256: Buffer) => void): TarContent {
  let hash: Hash | undefined;
  let whole: Buffer | undefined;
  let size = 0;
  return {
    write(chunk) {
      if (!hash && size === 0 && chunk.length === expected && hashOnce) whole = hashOnce('sha256', chunk, 'buffer');
      else (hash ??= createHash('sha256')).update(chunk);
      size += chunk.length;
      sink?.write(chunk);
    },
    end() {
      sink?.end();
      done(hash ? hash.digest() : (whole ?? EMPTY_SHA256));
    },
    destroy() {
      sink?.destroy(); // closes the staged file now, not when collected
    },
  };
}

const EMPTY_SHA256 = createHash('sha256').digest();
const DIGEST = 32;

/** Reads the whole archive once: every entry, the sha256 of every file, and the MANIFEST. */
export async function scanArchive(file: string, options: ScanOptions = {}): Promise<ArchiveScan> {
  const entries: ArchiveEntry[] = [];
  const files = new Map<string, number>();
  let digests = Buffer.alloc(DIGEST * 1024);
  let manifestText: string | undefined;
  await readArchive(
    file,
    (entry): TarContent | undefined => {
      const index = entries.push(entry) - 1;
      if (entry.path === MANIFEST_NAME && FILE_TYPES.has(entry.type) && !entry.pathProblem) {
        if (entry.size > MANIFEST_MAX_BYTES) throw new ExpmanError('ARCHIVE_INVALID', `${file}: ${MANIFEST_NAME} is ${entry.size} bytes, too large to be a manifest`, { file });
        const chunks: Buffer[] = [];
        return {
          write: (chunk) => void chunks.push(Buffer.from(chunk)), // copied: the read buffer is reused
          end: () => void (manifestText = Buffer.concat(chunks).toString('utf8')),
        };
      }
      if (!FILE_TYPES.has(entry.type)) return undefined;
      // Unsafe entries are read (and hashed) like the rest; the rules refuse them before anything is placed.
      const sink = options.store?.(entry, index);
      return hashingContent(entry.size, sink, (sha256) => {
        if (entry.pathProblem) return;
        if (digests.length < DIGEST * (index + 1)) {
          const grown = Buffer.alloc(Math.max(digests.length * 2, DIGEST * (index + 1)));
          digests.copy(grown);
          digests = grown;
        }
        sha256.copy(digests, DIGEST * index);
        files.set(entry.path, index);
      });
    },
    { phase: 'verifying', ...options },
  );
  return { manifest: manifestText === undefined ? null : await parseManifest(manifestText, file), entries, files, digests };
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
  // What the manifest lists, marked by entry index (a Set of 12,000 paths before).
  const listed = new Uint8Array(scan.entries.length);
  for (const expected of manifest.files) {
    const index = scan.files.get(expected.path);
    // A file's content is exactly its size: the reader fails on a truncated entry.
    const size = index === undefined ? 0 : scan.entries[index]!.size;
    if (index === undefined) problems.push({ kind: 'missing', path: expected.path, detail: 'listed in the manifest, not in the archive' });
    else if (size !== expected.size) problems.push({ kind: 'corrupt', path: expected.path, detail: `size ${size}, manifest says ${expected.size}` });
    else if (scan.digests.toString('hex', DIGEST * index, DIGEST * (index + 1)) !== expected.sha256) problems.push({ kind: 'corrupt', path: expected.path, detail: 'sha256 differs from the manifest' });
    if (index !== undefined) {
      listed[index] = 1;
      expected.path = scan.entries[index]!.path; // the same text: one string kept, not two
    }
  }
  const links = new Map<string, number>();
  scan.entries.forEach((e, index) => {
    if (e.type === 'SymbolicLink' && e.pathProblem === undefined) links.set(e.path, index);
  });
  const listedElse = new Set<string>(); // listed paths that are not the archive's files or links (a folder, say)
  for (const expected of manifest.links) {
    const index = links.get(expected.path);
    if (index === undefined) {
      listedElse.add(expected.path);
      problems.push({ kind: 'missing', path: expected.path, detail: 'link listed in the manifest, not in the archive' });
      continue;
    }
    listed[index] = 1;
    const target = scan.entries[index]!.linkpath ?? '';
    if (target !== expected.target) problems.push({ kind: 'corrupt', path: expected.path, detail: `link points to ${target}, manifest says ${expected.target}` });
  }
  for (const expected of manifest.files) if (!scan.files.has(expected.path)) listedElse.add(expected.path);
  scan.entries.forEach((entry, index) => {
    if (entry.path === MANIFEST_NAME || entry.path === '' || entry.pathProblem !== undefined) return;
    if (entry.type === 'Directory' || listed[index]) return;
    // Another entry with the same path (a duplicate, refused as unsafe) may be the one that was marked.
    const file = scan.files.get(entry.path);
    const link = links.get(entry.path);
    if ((file !== undefined && listed[file]) || (link !== undefined && listed[link]) || listedElse.has(entry.path)) return;
    problems.push({ kind: 'extra', path: entry.path, detail: `${entry.type} not listed in the manifest` });
  });
  return problems;
}

/** `expman archive verify`: reads the archive once; checks every entry as restore would, and every file against the manifest. */
export async function verifyArchive(file: string, options: ReadArchiveOptions = {}): Promise<VerifyReport> {
  const scan = await scanArchive(file, options);
  const problems = archiveProblems(scan);
  return { file, ok: problems.length === 0, manifest: scan.manifest, checked: scan.manifest?.files.length ?? 0, problems };
}
