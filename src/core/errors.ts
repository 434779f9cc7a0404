/**
 * Every error the core raises on bad input is an ExpmanError: a stable code for programs, a one-line
 * message for people that says what and where, and structured details (file, line, column, key,
 * expected type) for the UI.
 */
export type ErrorCode =
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'CSV_INVALID'
  | 'DATASET_MISSING'
  | 'DATASET_CHANGED'
  | 'DATA_DIR'
  | 'NOT_WRITABLE'
  | 'USAGE'
  | 'RUN_MISSING'
  | 'RUN_EXISTS'
  | 'RUN_LOCKED'
  | 'RUN_NOT_LIVE'
  | 'DISK_FULL'
  | 'OUT_OF_MEMORY'
  | 'DATASET_EXISTS'
  | 'BACKEND_UNAVAILABLE'
  | 'MODEL_MISSING'
  | 'MODEL_MODULE'
  | 'JUPYTER_MISSING'
  | 'ARCHIVE_INVALID'
  | 'ARCHIVE_UNSAFE'
  | 'ARCHIVE_CONFLICT'
  | 'CANCELLED'
  | 'LOG_MISSING'
  | 'LOG_PATTERN'
  | 'RSYNC_MISSING'
  | 'SYNC_UNREACHABLE'
  | 'SYNC_PERMISSION'
  | 'SYNC_FAILED';

export interface ErrorDetails {
  file?: string;
  line?: number;
  column?: number;
  key?: string;
  expected?: string;
  [extra: string]: unknown;
}

export class ExpmanError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ExpmanError';
    this.code = code;
    this.details = details;
  }
}

/** "file:line:column" as editors and terminals understand it; omits the parts that are unknown. */
export function formatLocation(details: { file?: string; line?: number; column?: number }): string {
  if (!details.file) return '';
  let where = details.file;
  if (details.line !== undefined) {
    where += `:${details.line}`;
    if (details.column !== undefined) where += `:${details.column}`;
  }
  return where;
}

export function isExpmanError(error: unknown): error is ExpmanError {
  return error instanceof ExpmanError;
}
