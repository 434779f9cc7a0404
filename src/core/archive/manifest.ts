import type { z } from 'zod';
import type { manifestSchema, fileSchema, liveRunSchema, skippedSchema } from './manifest-schema.js';

/** The manifest's name inside every archive. It is the last entry, so it can be computed while streaming. */
export const MANIFEST_NAME = 'MANIFEST';
export const MANIFEST_FORMAT = 'expman-archive/1';

// The schema (zod) lives in manifest-schema.ts and is loaded only to read a MANIFEST (verify, restore):
// zod is ~12 MiB of the process's memory, which `expman archive` (it only writes one) does not need.
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type LiveRun = z.infer<typeof liveRunSchema>;
export type SkippedEntry = z.infer<typeof skippedSchema>;

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * The MANIFEST's text in pieces, the same text serializeManifest writes, without holding all of it at once:
 * `files` (one record per archived file, tens of thousands) is read from where the caller keeps it compactly.
 */
export function* manifestPieces(manifest: Omit<Manifest, 'files'>, files: () => Iterable<ManifestFile>): Generator<string> {
  // Pretty-printed, the top-level key sits alone on a line: "files": [] marks where the records go (no
  // string value can hold it: JSON escapes a newline inside a string).
  const { links, ...head } = manifest;
  const text = `${JSON.stringify({ ...head, files: [] as ManifestFile[], links }, null, 2)}\n`;
  const marker = '\n  "files": []';
  const at = text.indexOf(marker);
  yield text.slice(0, at + marker.length - 1);
  let first = true;
  for (const file of files()) {
    // JSON.stringify(file, null, 2) at this depth, written out: one string per record, not three.
    yield `${first ? '' : ','}\n    {\n      "path": ${JSON.stringify(file.path)},\n      "size": ${file.size},\n      "sha256": ${JSON.stringify(file.sha256)}\n    }`;
    first = false;
  }
  yield first ? ']' : '\n  ]';
  yield text.slice(at + marker.length);
}

/**
 * Parses and checks a MANIFEST's text. A valid one is checked by hand (manifest-check.ts); the schema (and
 * zod) is loaded only for one that is not, to name its problem.
 */
export async function parseManifest(text: string, archive: string): Promise<Manifest> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // parseManifestText names the JSON error
  }
  const { checkManifest } = await import('./manifest-check.js');
  const manifest = json === undefined ? undefined : checkManifest(json);
  if (manifest) return manifest;
  const { parseManifestText } = await import('./manifest-schema.js');
  return parseManifestText(text, archive);
}
