import { MAX_LOG_PATTERN_LENGTH, type LogSearchRequest } from './logs.js';

/** Why a search pattern cannot be used, or null when it can. Shared so the viewer can say so while the
 * user types, and the core refuses the same patterns. */
export function logPatternProblem(request: Pick<LogSearchRequest, 'pattern' | 'regex' | 'caseSensitive'>): string | null {
  if (request.pattern.length > MAX_LOG_PATTERN_LENGTH) {
    return `search pattern is ${request.pattern.length} characters long; at most ${MAX_LOG_PATTERN_LENGTH} are allowed`;
  }
  if (!request.regex) return null;
  try {
    new RegExp(request.pattern, request.caseSensitive ? '' : 'i');
    return null;
  } catch (error) {
    return `invalid regular expression /${request.pattern}/: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`;
  }
}

/**
 * The RegExp a search uses: the pattern itself in regex mode, else the text matched literally.
 * Always global (`g`) so that callers can list every match in a line; throws on an invalid pattern.
 */
export function compileLogPattern(request: Pick<LogSearchRequest, 'pattern' | 'regex' | 'caseSensitive'>): RegExp {
  const problem = logPatternProblem(request);
  if (problem) throw new Error(problem);
  const source = request.regex ? request.pattern : request.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(source, request.caseSensitive ? 'g' : 'gi');
}
