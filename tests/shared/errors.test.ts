import { describe, expect, expectTypeOf, test } from 'vitest';
import type { ExpmanError } from '../../src/core/errors.js';
import type { ApiError, ApiErrorDto } from '../../src/shared/api.js';
import { CORE_ERROR_CODES, TRANSPORT_ERROR_CODES, isCoreErrorCode, type ErrorCode } from '../../src/shared/errors.js';

describe('the error codes on the wire', () => {
  test('every code the core can throw, and every code a transport adds, is in the one union', () => {
    // Checked by `npm run typecheck`: ExpmanError's constructor takes only codes of the list.
    expectTypeOf<ExpmanError['code']>().toMatchTypeOf<ErrorCode>();
    expectTypeOf<ApiErrorDto['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<ApiError['code']>().toEqualTypeOf<ErrorCode>();
    // @ts-expect-error a code outside the list does not compile
    expectTypeOf<'IO'>().toMatchTypeOf<ErrorCode>();
  });

  test('the core and the transports never share a code, and the core never claims INTERNAL', () => {
    const core = new Set<string>(CORE_ERROR_CODES);
    expect(TRANSPORT_ERROR_CODES.filter((code) => core.has(code))).toEqual([]);
    expect(isCoreErrorCode('INTERNAL')).toBe(false);
    expect(isCoreErrorCode('RUN_FINISHED')).toBe(true);
    expect(isCoreErrorCode('TRAINING_ERROR')).toBe(false);
    expect(isCoreErrorCode(undefined)).toBe(false);
  });
});
