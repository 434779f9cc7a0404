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
  const path = fields.type === 'Directory' ? `${fields.path}/` : fields.path;
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

/** Zero bytes that pad file content to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
