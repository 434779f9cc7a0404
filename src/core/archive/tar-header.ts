import { userInfo } from 'node:os';
import { Header, Pax } from 'tar';

export const BLOCK = 512;

export interface HeaderFields {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  linkpath?: string;
}

let ownName: { uid: number; name: string } | undefined;
function unameFor(uid: number): string {
  if (!ownName) {
    try {
      const info = userInfo();
      ownName = { uid: info.uid, name: info.username };
    } catch {
      ownName = { uid: -1, name: '' };
    }
  }
  return uid === ownName.uid ? ownName.name : '';
}

/**
 * The ustar header of one entry, preceded by a PAX extended header when a field does not fit ustar
 * (long paths, sizes ≥ 8 GiB): the same encoding node-tar and GNU tar use, so GNU tar reads it unchanged.
 */
export function encodeHeader(fields: HeaderFields): Buffer {
  return plainUstar(fields) ?? nodeTarHeader(fields);
}

/** encodeHeader through node-tar's Header (and Pax): every case. */
export function nodeTarHeader(fields: HeaderFields): Buffer {
  const path = entryName(fields);
  const header = new Header({
    path,
    type: fields.type,
    mode: fields.mode & 0o7777,
    uid: fields.uid,
    gid: fields.gid,
    size: fields.type === 'File' ? fields.size : 0,
    mtime: fields.mtime,
    linkpath: fields.linkpath ?? '',
    uname: unameFor(fields.uid),
    gname: '',
  });
  const block = Buffer.alloc(BLOCK);
  const needPax = header.encode(block);
  if (!needPax) return block;
  const pax = new Pax({
    path,
    linkpath: fields.linkpath,
    size: fields.type === 'File' ? fields.size : 0,
    mtime: fields.mtime,
    uid: fields.uid,
    gid: fields.gid,
  }).encode();
  return Buffer.concat([pax, block]);
}

/** A folder's name in the archive ends with '/'. */
function entryName(fields: HeaderFields): string {
  return fields.type === 'Directory' ? `${fields.path}/` : fields.path;
}

const TYPE_FLAGS = { File: 0x30, Directory: 0x35, SymbolicLink: 0x32 } as const;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function bytesSum(block: Buffer, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += block[i]!;
  return sum;
}

/** An octal field as node-tar writes it: zero-padded digits, a space, a NUL (or the digits and a NUL when they fill it). */
function octal(block: Buffer, offset: number, size: number, value: number): void {
  const digits = Math.floor(value).toString(8);
  const text = digits.length === size - 1 ? digits : '0'.repeat(Math.max(0, size - digits.length - 2)) + digits + ' ';
  block.write(text, offset, size, 'latin1');
}

/**
 * The common case, written directly: a printable-ASCII path under 100 bytes, a link target of at most 100 and
 * numbers that fit their octal fields, as nearly every entry of a data folder is. Byte for byte what
 * node-tar's Header.encode writes for it (tested against it), at a fraction of the cost: a header per file
 * was a tenth of the archive's JavaScript time. Anything else (long or non-ASCII paths, sizes ≥ 8 GiB)
 * returns undefined and goes through node-tar, with a PAX header where one is needed.
 */
export function plainUstar(fields: HeaderFields): Buffer | undefined {
  const path = entryName(fields);
  const linkpath = fields.linkpath ?? '';
  const uname = unameFor(fields.uid);
  const mtime = fields.mtime.getTime() / 1000;
  const size = fields.type === 'File' ? fields.size : 0;
  if (path.length >= 100 || linkpath.length > 100 || uname.length > 32) return undefined; // node-tar moves a path of 100 bytes or more into the prefix field
  if (!PRINTABLE_ASCII.test(path) || !PRINTABLE_ASCII.test(linkpath) || !PRINTABLE_ASCII.test(uname)) return undefined;
  if (!(fields.uid >= 0 && fields.uid < 0o7777777 && fields.gid >= 0 && fields.gid < 0o7777777)) return undefined;
  if (!(size >= 0 && size < 0o77777777777 && mtime >= 0 && mtime < 0o77777777777)) return undefined;
  const block = Buffer.alloc(BLOCK);
  block.write(path, 0, 100, 'latin1');
  octal(block, 100, 8, fields.mode & 0o7777);
  octal(block, 108, 8, fields.uid);
  octal(block, 116, 8, fields.gid);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block[156] = TYPE_FLAGS[fields.type];
  block.write(linkpath, 157, 100, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write(uname, 265, 32, 'latin1');
  octal(block, 329, 8, 0); // device major and minor, 0 as node-tar writes them
  octal(block, 337, 8, 0);
  // The checksum counts its own field as spaces; only the ranges written above are not zero.
  const sum = 8 * 0x20 + bytesSum(block, 0, path.length) + bytesSum(block, 100, 148) + block[156] + bytesSum(block, 157, 157 + linkpath.length) + bytesSum(block, 257, 265 + uname.length) + bytesSum(block, 329, 345);
  octal(block, 148, 8, sum);
  return block;
}

/** Shared and never written to: padding is copied out of it. */
const ZEROS = Buffer.alloc(BLOCK);

/** Zero bytes that pad file content to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return ZEROS.subarray(0, rest === 0 ? 0 : BLOCK - rest);
}

/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
