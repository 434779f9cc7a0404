import { ARCHIVE_EXTENSIONS, type ArchiveFormat } from '../../shared/archive-sync.js';

export { ARCHIVE_EXTENSIONS, ARCHIVE_FORMATS, type ArchiveFormat } from '../../shared/archive-sync.js';

/** What createArchive writes the tar stream through: ParallelGzipWriter or ZstdWriter. */
export interface CompressingWriter {
  /** Free space in the current block, to read into; never empty. */
  space(): Promise<Buffer>;
  /** Marks `n` bytes of the last `space()` as filled. */
  commit(n: number): void;
  write(data: Buffer): Promise<void>;
  /** Compresses what is left and waits until all of it is in the file. */
  finish(): Promise<void>;
  /** Stops and lets in-flight work settle, for cancellation and errors. */
  abandon(): Promise<void>;
  /** Compressed bytes written (complete after `finish`). */
  readonly bytesOut: number;
}

/** The format a file name asks for (.tar.zst/.tzst, .tar.gz/.tgz), if any. */
export function formatFromName(name: string): ArchiveFormat | undefined {
  if (/\.(tar\.zst|tzst)$/i.test(name)) return 'zst';
  if (/\.(tar\.gz|tgz)$/i.test(name)) return 'gz';
  return undefined;
}

/** Bytes enough to tell the formats apart by their magic numbers. */
export const MAGIC_BYTES = 4;

/**
 * The format of an archive from its first bytes (a renamed file or a pipe has no trustworthy name):
 * zstd frames start 28 B5 2F FD, gzip members 1F 8B. Anything else is read as gzip, whose own check then
 * names the damage.
 */
export function formatOfBytes(head: Buffer): ArchiveFormat {
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zst';
  return 'gz';
}

/** `name` with the format's ending in place of an archive ending it may have. */
export function withExtension(name: string, format: ArchiveFormat): string {
  return name.replace(/\.(tar\.gz|tgz|tar\.zst|tzst)$/i, '') + ARCHIVE_EXTENSIONS[format];
}
