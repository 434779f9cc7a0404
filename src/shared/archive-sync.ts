/**
 * Archive and sync as the UI sees them: results and saved destinations. Plain serialisable data; the
 * core's own types (src/core/archive, src/core/sync) are structurally the same.
 */
/** Archive compressions: gzip (.tar.gz, readable everywhere) and zstd (.tar.zst, multi-threaded, ~10× faster; needs zstd to read). */
export const ARCHIVE_FORMATS = ['gz', 'zst'] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];
/** The file name ending of each format. */
export const ARCHIVE_EXTENSIONS: Record<ArchiveFormat, string> = { gz: '.tar.gz', zst: '.tar.zst' };

export interface ArchiveResultDto {
  /** Where the archive was written (chosen in the desktop app's save dialog). */
  file: string;
  files: number;
  links: number;
  bytes: number;
  archiveBytes: number;
  format: ArchiveFormat;
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

/**
 * A run folder on the receiving side that was live (training, queued or locked) when the sync started:
 * nothing inside it was written or deleted.
 */
export interface SyncProtectedRunDto {
  /** Relative to the data folder: experiments/<experiment>/models/<model>. */
  path: string;
  experiment: string;
  model: string;
  /** From its status.json ("running", "queued"), or "locked" when only lock.json says it is live. */
  status: string;
  pid?: number;
  host?: string;
  /** Why it counts as live, e.g. "running (pid 123 is alive)". */
  reason: string;
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
  /** Live run folders on the receiving side that were left untouched (never overwritten, never deleted). */
  protectedRuns: SyncProtectedRunDto[];
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
