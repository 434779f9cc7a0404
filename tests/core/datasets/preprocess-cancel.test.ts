import { describe, expect, it } from 'vitest';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import { ExpmanError } from '../../../src/core/errors.js';
import type { Progress } from '../../../src/shared/progress.js';
import { workspace } from '../../../src/core/workspace.js';
import { listTree, tempDataDir } from '../../helpers/data-dir.js';

const options = { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 };

async function cancelled(promise: Promise<unknown>): Promise<ExpmanError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExpmanError);
    expect((error as ExpmanError).code).toBe('CANCELLED');
    return error as ExpmanError;
  }
  throw new Error('expected a cancellation');
}

describe('preprocess cancellation', () => {
  it('does nothing when the signal has already fired', async () => {
    const ws = workspace(tempDataDir());
    const before = listTree(ws.root);
    const error = await cancelled(preprocess(ws, { ...options, signal: AbortSignal.abort() }));
    expect(error.message).toBe('preprocess cancelled; nothing was written');
    expect(listTree(ws.root)).toEqual(before);
  });

  // Each phase the job reports is a point where a Cancel click can land.
  for (const [phase, done] of [
    ['reading', undefined],
    ['validating', undefined],
    ['writing', 0],
    ['writing', 120],
  ] as const) {
    it(`leaves nothing on disk when cancelled during "${phase}"${done === undefined ? '' : ` at ${done} rows`}`, async () => {
      const ws = workspace(tempDataDir());
      const before = listTree(ws.root);
      const controller = new AbortController();
      const seen: Progress[] = [];
      await cancelled(
        preprocess(ws, {
          ...options,
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p);
            if (p.phase === phase && (done === undefined || p.done === done)) controller.abort();
          },
        }),
      );
      expect(seen.some((p) => p.phase === phase)).toBe(true);
      // No prepared folder and no .tmp- leftovers.
      expect(listTree(ws.root)).toEqual(before);
    });
  }

  it('an existing dataset survives a cancelled --force replacement', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, options);
    const before = listTree(ws.root);
    const controller = new AbortController();
    await cancelled(
      preprocess(ws, {
        ...options,
        seed: 7,
        force: true,
        signal: controller.signal,
        onProgress: (p) => p.phase === 'writing' && p.done > 0 && controller.abort(),
      }),
    );
    expect(listTree(ws.root)).toEqual(before);
  });
});
