import { describe } from 'vitest';
import { localExecutor } from '../../../src/core/executors/local.js';
import { executorContract } from './contract.js';

describe('local executor (a detached child of this process)', () => {
  executorContract(() => localExecutor, { timeoutMs: 60_000 });
});
