import type { CoreErrorCode } from '../shared/errors.js';

/**
 * Every error the core raises on bad input is an ExpmanError: a stable code for programs (the closed list
 * in src/shared/errors.ts, so a code the API cannot carry does not compile), a one-line message for
 * people that says what and where, and structured details (file, line, column, key, expected type) for
 * the UI.
 */
export type { ErrorCode } from '../shared/errors.js';

export interface ErrorDetails {
  file?: string;
  line?: number;
  column?: number;
  key?: string;
  expected?: string;
  [extra: string]: unknown;
}

export class ExpmanError extends Error {
  readonly code: CoreErrorCode;
  readonly details: ErrorDetails;

  constructor(code: CoreErrorCode, message: string, details: ErrorDetails = {}) {
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
