import { expect } from 'vitest';
import { ExpmanError } from '../../src/core/errors.js';

/** The ExpmanError `fn` throws (the test fails if it throws nothing or something else). */
export function errorOf(fn: () => unknown): ExpmanError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExpmanError);
    return error as ExpmanError;
  }
  throw new Error('expected an error');
}

/** The ExpmanError `promise` rejects with (the test fails if it resolves or rejects with something else). */
export async function rejection(promise: Promise<unknown>): Promise<ExpmanError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExpmanError);
    return error as ExpmanError;
  }
  throw new Error('expected a rejection');
}
