import { Header, Pax } from 'tar';

/** One entry as stored (after PAX and GNU long-name headers are applied); the path is not normalised. */
export interface TarEntry {
  path: string;
  /** node-tar's type name: File, OldFile, Directory, SymbolicLink, Link, CharacterDevice, … */
  type: string;
  size: number;
  mode: number;
  mtime?: Date;
  linkpath?: string;
}

/**
 * Receives one entry's content. `chunk` is only valid during the call (it is a view of a buffer that is
 * reused for the next read): copy what must be kept.
 */
export interface TarContent {
  write(chunk: Buffer): void;
  end(): void;
  /** The read stopped before the entry's end: release what was opened for it. */
  destroy?(): void;
}

/** Types whose entries are reported; any other (unknown) type is skipped, as node-tar's Parser does. */
const FS_TYPES = new Set(['File', 'OldFile', 'Link', 'SymbolicLink', 'CharacterDevice', 'BlockDevice', 'Directory', 'FIFO', 'ContiguousFile', 'GNUDumpDir']);
/** Headers that describe the next entry. */
const META_TYPES = new Set(['NextFileHasLongLinkpath', 'NextFileHasLongPath', 'OldGnuLongPath', 'GlobalExtendedHeader', 'ExtendedHeader', 'OldExtendedHeader']);
/** node-tar's limit on a PAX or long-name header; a larger one is skipped. */
const MAX_META_BYTES = 1024 * 1024;
const BLOCK = 512;

type Extended = Record<string, unknown>;

function tarError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code, tarCode: code });
}

/**
 * A streaming tar reader that keeps nothing of what it is given: `write` parses a chunk synchronously and
 * hands each entry's content on as views of that chunk, so the caller may reuse one buffer for every read
 * (node-tar's Parser keeps slices of its input, so each read needs a new buffer: with 64 KiB pipe reads,
 * a 1 GiB restore allocated 1 GiB of buffers that waited for V8's collector, 30–40 MiB at a time).
 * Headers are decoded by node-tar's own Header and Pax, and the framing follows its Parser in strict mode:
 * the same entries and types, PAX (local and global) and GNU long names applied the same way, the same
 * errors (checksum failure, missing path or link target, truncated input, not a tar archive).
 */
export class TarReader {
  private readonly head = Buffer.alloc(BLOCK);
  private headUsed = 0;
  private state: 'header' | 'body' | 'meta' | 'skip' | 'eof' = 'header';
  /** Content bytes left in the current entry, and content plus padding to the next header. */
  private remain = 0;
  private blockRemain = 0;
  private content: TarContent | undefined;
  private metaType = '';
  private metaChunks: Buffer[] = [];
  private ex: Extended | undefined;
  private gex: Extended | undefined;
  private sawNullBlock = false;
  private sawValidEntry = false;

  constructor(private readonly onEntry: (entry: TarEntry) => TarContent | undefined) {}

  write(chunk: Buffer): void {
    let pos = 0;
    const length = chunk.length;
    while (pos < length && this.state !== 'eof') {
      if (this.state === 'header') {
        if (this.headUsed === 0 && length - pos >= BLOCK) {
          this.header(chunk, pos);
          pos += BLOCK;
          continue;
        }
        // A header split between two reads is copied: the chunk is not kept.
        const n = Math.min(BLOCK - this.headUsed, length - pos);
        chunk.copy(this.head, this.headUsed, pos, pos + n);
        this.headUsed += n;
        pos += n;
        if (this.headUsed === BLOCK) {
          this.headUsed = 0;
          this.header(this.head, 0);
        }
        continue;
      }
      const n = Math.min(this.blockRemain, length - pos);
      const data = Math.min(this.remain, n);
      if (data > 0) {
        if (this.state === 'body') this.content?.write(chunk.subarray(pos, pos + data));
        else if (this.state === 'meta') this.metaChunks.push(Buffer.from(chunk.subarray(pos, pos + data)));
      }
      this.remain -= data;
      this.blockRemain -= n;
      pos += n;
      if (this.blockRemain === 0) this.finishEntry();
    }
  }

  /** The input ended: throws if it stopped inside an entry, or held no tar entry at all. */
  end(): void {
    if (this.state !== 'eof' && this.state !== 'header' && this.blockRemain > 0) {
      throw tarError('TAR_BAD_ARCHIVE', `Truncated input (needed ${this.blockRemain} more bytes)`);
    }
    if (!this.sawValidEntry) throw tarError('TAR_BAD_ARCHIVE', 'Unrecognized archive format');
  }

  /** The read failed: the entry being written is released. */
  abort(): void {
    const content = this.content;
    this.content = undefined;
    this.state = 'eof';
    content?.destroy?.();
  }

  private header(buf: Buffer, off: number): void {
    let header: Header;
    try {
      header = new Header(buf, off, this.ex, this.gex);
    } catch (error) {
      throw tarError('TAR_ENTRY_INVALID', (error as Error).message);
    }
    if (header.nullBlock) {
      // Two zero blocks end the archive; what follows is ignored.
      if (this.sawNullBlock) this.state = 'eof';
      this.sawNullBlock = true;
      return;
    }
    this.sawNullBlock = false;
    if (!header.cksumValid) throw tarError('TAR_ENTRY_INVALID', 'checksum failure');
    if (!header.path) throw tarError('TAR_ENTRY_INVALID', 'path is required');
    const type = header.type;
    const isLink = type === 'Link' || type === 'SymbolicLink';
    if (isLink && !header.linkpath) throw tarError('TAR_ENTRY_INVALID', 'linkpath required');
    if (!isLink && type !== 'ExtendedHeader' && type !== 'GlobalExtendedHeader' && header.linkpath) throw tarError('TAR_ENTRY_INVALID', 'linkpath forbidden');
    this.sawValidEntry = true;
    const size = header.size ?? 0;
    this.remain = size;
    this.blockRemain = BLOCK * Math.ceil(size / BLOCK);
    if (META_TYPES.has(type)) {
      if (size > MAX_META_BYTES) this.state = 'skip';
      else if (size > 0) {
        this.state = 'meta';
        this.metaType = type;
        this.metaChunks = [];
      }
      return;
    }
    const ex = this.ex;
    this.ex = undefined;
    if (!FS_TYPES.has(type)) {
      if (this.blockRemain > 0) this.state = 'skip';
      return;
    }
    // As node-tar's ReadEntry: the header's fields, then the PAX header's, then the global one's (not its path).
    const entry: TarEntry = { path: header.path, type, size, mode: (header.mode ?? 0) & 0o7777, mtime: header.mtime, linkpath: header.linkpath || undefined };
    for (const [extended, global] of [
      [ex, false],
      [this.gex, true],
    ] as const) {
      if (!extended) continue;
      const pick = <T>(key: string): T | undefined => (extended[key] === null || extended[key] === undefined ? undefined : (extended[key] as T));
      if (!global && pick<string>('path') !== undefined) entry.path = pick<string>('path')!;
      if (pick<string>('linkpath') !== undefined) entry.linkpath = pick<string>('linkpath');
      if (pick<number>('size') !== undefined) entry.size = pick<number>('size')!;
      if (pick<number>('mode') !== undefined) entry.mode = pick<number>('mode')!;
      if (pick<Date>('mtime') !== undefined) entry.mtime = pick<Date>('mtime');
    }
    this.content = this.onEntry(entry);
    if (this.blockRemain > 0) {
      this.state = 'body';
      return;
    }
    const content = this.content;
    this.content = undefined;
    content?.end();
  }

  private finishEntry(): void {
    const state = this.state;
    this.state = 'header';
    if (state === 'body') {
      const content = this.content;
      this.content = undefined;
      content?.end();
    } else if (state === 'meta') {
      const text = Buffer.concat(this.metaChunks).toString('utf8');
      this.metaChunks = [];
      if (this.metaType === 'ExtendedHeader' || this.metaType === 'OldExtendedHeader') this.ex = Pax.parse(text, this.ex, false) as unknown as Extended;
      else if (this.metaType === 'GlobalExtendedHeader') this.gex = Pax.parse(text, this.gex, true) as unknown as Extended;
      else {
        const ex = this.ex ?? (Object.create(null) as Extended);
        this.ex = ex;
        ex[this.metaType === 'NextFileHasLongLinkpath' ? 'linkpath' : 'path'] = text.replace(/\0.*/, '');
      }
    }
  }
}
