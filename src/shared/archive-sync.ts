/**
 * Archive and sync as the UI sees them: results and saved destinations. Plain serialisable data; the
 * core's own types (src/core/archive, src/core/sync) are structurally the same.
 */
export interface ArchiveResultDto {
  /** Where the archive was written (chosen in the desktop app's save dialog). */
  file: string;
  files: number;
  links: number;
  bytes: number;
  archiveBytes: number;
  /** Runs that were training while the archive was made (their completed checkpoints are in it). */
  liveRuns: Array<{ experiment: string; model: string; path: string; pid: number; host: string; updated: string }>;
  /** What was left out, and why (temp files, checkpoints being written). */
  skipped: Array<{ path: string; reason: string }>;
  seconds: number;
}

/** One change rsync made (or, with --dry-run, would make), from its `%i %n%L` lines. */
export interface SyncItemDto {
  change: 'send' | 'receive' | 'create' | 'delete' | 'attributes' | 'link';
  type: 'file' | 'dir' | 'link' | 'other';
  path: string;
  /** rsync's itemize string, e.g. ">f+++++++++". */
  code: string;
}

export interface SyncSummaryDto {
  files: number;
  filesTransferred: number;
  filesDeleted: number;
  totalSize: number;
  transferredSize: number;
  bytesSent: number;
  bytesReceived: number;
  bytesPerSecond: number;
}

export interface SyncResultDto {
  direction: 'push' | 'pull';
  source: string;
  destination: string;
  dryRun: boolean;
  items: SyncItemDto[];
  summary: SyncSummaryDto;
  seconds: number;
  command: string[];
}

/** A sync destination the user saved in the Sync dialog. */
export interface SyncDestination {
  name: string;
  /** A local folder or `[user@]host:path`. */
  target: string;
  excludeCheckpoints: boolean;
  delete: boolean;
}

/** Menu commands the desktop shell asks the UI to carry out (File → Archive Data…, Sync Data…). */
export type AppCommand = 'archive' | 'sync';
