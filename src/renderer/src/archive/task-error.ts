import { ApiError } from '../../../shared/api';

/** True for the CANCELLED error a task (or the desktop save dialog) ends with when it was called off. */
export function isCancelled(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'CANCELLED';
}

/** The core's message, unchanged: it already names what went wrong and where. */
export function failureText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
