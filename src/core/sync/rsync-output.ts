import type { SyncItemDto, SyncSummaryDto } from '../../shared/archive-sync.js';

/** The item and summary types are part of the API (the Sync dialog shows them). */
export type SyncItem = SyncItemDto;
export type SyncSummary = SyncSummaryDto;

export interface ProgressLine {
  bytes: number;
  percent: number;
  rate: string;
}

const number = (text: string) => Number(text.replace(/[,.'\s](?=\d{3}(\D|$))/g, ''));

const PROGRESS = /^\s*([\d,.']+)\s+(\d+)%\s+(\S+)\s+\d+:\d{2}:\d{2}/;
const ITEM = /^(\*deleting|[<>ch.][fdLDS][^ ]{9}) +(.+)$/;

export function parseProgressLine(line: string): ProgressLine | undefined {
  const m = PROGRESS.exec(line);
  return m ? { bytes: number(m[1]!), percent: Number(m[2]), rate: m[3]! } : undefined;
}

export function parseItemLine(line: string): SyncItem | undefined {
  const m = ITEM.exec(line);
  if (!m) return undefined;
  const code = m[1]!.trim();
  let path = m[2]!;
  if (code === '*deleting') return { change: 'delete', type: path.endsWith('/') ? 'dir' : 'file', path: path.replace(/\/$/, ''), code };
  const kind = code[1];
  const type = kind === 'f' ? 'file' : kind === 'd' ? 'dir' : kind === 'L' ? 'link' : 'other';
  if (type === 'link') path = path.split(' -> ')[0]!;
  const change = code[0] === '<' ? 'send' : code[0] === '>' ? 'receive' : code[0] === 'c' ? 'create' : code[0] === 'h' ? 'link' : 'attributes';
  return { change, type, path: path.replace(/\/$/, ''), code };
}

/** The figures of rsync --stats. */
export function parseStats(text: string): SyncSummary {
  const field = (label: RegExp) => {
    const m = label.exec(text);
    return m ? number(m[1]!) : 0;
  };
  return {
    files: field(/^Number of files: ([\d,.']+)/m),
    filesTransferred: field(/^Number of regular files transferred: ([\d,.']+)/m),
    filesDeleted: field(/^Number of deleted files: ([\d,.']+)/m),
    totalSize: field(/^Total file size: ([\d,.']+)/m),
    transferredSize: field(/^Total transferred file size: ([\d,.']+)/m),
    bytesSent: field(/^Total bytes sent: ([\d,.']+)/m),
    bytesReceived: field(/^Total bytes received: ([\d,.']+)/m),
    bytesPerSecond: Number((/ ([\d,.']+) bytes\/sec/.exec(text)?.[1] ?? '0').replace(/,/g, '')),
  };
}
