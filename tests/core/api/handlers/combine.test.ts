import { describe, expect, test } from 'vitest';
import { combineHandlers } from '../../../../src/core/api/handlers/context.js';

describe('combineHandlers', () => {
  test('joins the groups into one table', async () => {
    const table = combineHandlers({ 'jobs:list': async () => ({ concurrency: 1, jobs: [] }) }, { 'tasks:cancel': async () => ({ cancelled: false }) });
    expect(Object.keys(table).sort()).toEqual(['jobs:list', 'tasks:cancel']);
  });

  test('refuses a call that two groups both handle', () => {
    const group = { 'tasks:cancel': async () => ({ cancelled: false }) };
    expect(() => combineHandlers(group, { ...group })).toThrow('two handler groups handle tasks:cancel');
  });
});
