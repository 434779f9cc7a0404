import type { z } from 'zod';
import { CALLS, isCallChannel, type ApiErrorDto, type ApiResult, type CallChannel, type CallResponse, type ParsedRequest } from '../../shared/api.js';
import { isExpmanError } from '../errors.js';

/**
 * Who makes a call: one connection of a transport (a WebSocket, an Electron webContents). State a client
 * holds, such as log follows, is kept per caller so the transport can release it when the client goes.
 */
export interface Caller {
  readonly id: string;
}

/** Calls made without a transport connection (tests, scripts) share this caller. */
export const LOCAL_CALLER: Caller = { id: 'local' };

/** One handler per call in the contract: a missing or extra handler is a compile error. */
export type Handlers = { readonly [C in CallChannel]: (request: ParsedRequest<C>, caller: Caller) => Promise<CallResponse<C>> };

export type Dispatch = (channel: unknown, request: unknown, caller?: Caller) => Promise<ApiResult<unknown>>;

function describeZodIssues(channel: string, error: z.ZodError): ApiErrorDto {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : '';
  return {
    code: 'INVALID_ARGUMENT',
    message: `invalid request for ${channel}: ${where}${first?.message ?? 'invalid value'}`,
    details: { channel, issues, ...(first?.path ? { key: first.path } : {}) },
  };
}

/** Maps anything a handler throws to a typed error; unexpected errors keep their message, not their stack. */
export function toApiError(error: unknown): ApiErrorDto {
  if (isExpmanError(error)) return { code: error.code, message: error.message, details: { ...error.details } };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}

/**
 * The boundary every transport goes through: the channel must be in the contract, the request is parsed by
 * the call's schema (untrusted input), and whatever happens comes back as an ApiResult — a handler never
 * crashes the caller's process or leaves the caller waiting.
 */
export function createDispatcher(handlers: Handlers, onError?: (channel: string, error: unknown) => void): Dispatch {
  return async (channel, request, caller = LOCAL_CALLER) => {
    if (!isCallChannel(channel)) {
      return { ok: false, error: { code: 'UNKNOWN_CALL', message: `unknown API call ${JSON.stringify(channel)}` } };
    }
    const parsed = CALLS[channel].request.safeParse(request ?? {});
    if (!parsed.success) return { ok: false, error: describeZodIssues(channel, parsed.error) };
    try {
      const handler = handlers[channel] as (req: unknown, caller: Caller) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data, caller) };
    } catch (error) {
      if (!isExpmanError(error)) onError?.(channel, error);
      return { ok: false, error: toApiError(error) };
    }
  };
}
