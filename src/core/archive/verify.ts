import { createHash } from 'node:crypto';
import { FILE_TYPES } from './entry-safety.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from './manifest.js';
import { readArchive, type ArchiveEntry, type ReadArchiveOptions } from './read-archive.js';

export interface ArchiveProblem {
  kind: 'missing' | 'extra' | 'corrupt' | 'no-manifest';
  path: string;
  detail: string;
}

export interface ArchiveScan {
  manifest: Manifest | null;
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

/** Reads the whole archive once: every entry, the sha256 of every file, and the MANIFEST. */
export async function scanArchive(file: string, options: ReadArchiveOptions = {}): Promise<ArchiveScan> {
  const entries: ArchiveEntry[] = [];
  const files = new Map<string, { size: number; sha256: string }>();
  let manifestText: string | undefined;
  await readArchive(
    file,
    (entry, content) => {
      if (entry.path === MANIFEST_NAME && FILE_TYPES.has(entry.type)) {
        const chunks: Buffer[] = [];
        content.on('data', (chunk: Buffer) => chunks.push(chunk));
        content.on('end', () => (manifestText = Buffer.concat(chunks).toString('utf8')));
        return;
      }
      entries.push(entry);
      if (!FILE_TYPES.has(entry.type)) {
        content.resume();
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      content.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      content.on('end', () => files.set(entry.path, { size, sha256: hash.digest('hex') }));
    },
    { phase: 'verifying', ...options },
  );
  return { manifest: manifestText === undefined ? null : parseManifest(manifestText, file), entries, files };
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
  const links = new Map(scan.entries.filter((e) => e.type === 'SymbolicLink').map((e) => [e.path, e.linkpath ?? '']));
  for (const expected of manifest.links) {
    listed.add(expected.path);
    const target = links.get(expected.path);
    if (target === undefined) problems.push({ kind: 'missing', path: expected.path, detail: 'link listed in the manifest, not in the archive' });
    else if (target !== expected.target) problems.push({ kind: 'corrupt', path: expected.path, detail: `link points to ${target}, manifest says ${expected.target}` });
  }
  for (const entry of scan.entries) {
    if (entry.type !== 'Directory' && !listed.has(entry.path)) problems.push({ kind: 'extra', path: entry.path, detail: `${entry.type} not listed in the manifest` });
  }
  return problems;
}

/** `expman archive verify`: re-reads the archive and checks every file against the manifest. */
export async function verifyArchive(file: string, options: ReadArchiveOptions = {}): Promise<VerifyReport> {
  const scan = await scanArchive(file, options);
  const problems = compareWithManifest(scan);
  return { file, ok: problems.length === 0, manifest: scan.manifest, checked: scan.manifest?.files.length ?? 0, problems };
}
