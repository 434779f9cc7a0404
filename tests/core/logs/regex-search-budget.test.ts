import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogIndex } from '../../../src/core/logs/log-index.js';
import { RegexPool } from '../../../src/core/logs/regex-pool.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const pool = new RegexPool({ budgetMs: 400 });
afterAll(() => pool.close());

function logFile(lines: string[]): string {
  const file = join(tempDataDir(false), 'run.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// Issue 11 #9: a catastrophic regex used to run on the server's thread forever (deaf to signals).
describe('regex search with a time budget', () => {
  it('a catastrophic pattern fails with "pattern too slow" while the main thread keeps running', async () => {
    const file = logFile(['[2026-12-04 10:00:00.000] [info] ' + 'a'.repeat(40), 'second line']);
    const index = await LogIndex.open(file, { regexPool: pool });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = performance.now();
    const error = await index.search({ pattern: '(.|.)*\\u0001', regex: true, caseSensitive: false }).catch((e: unknown) => e);
    clearInterval(timer);
    expect(error).toMatchObject({ code: 'LOG_PATTERN', details: { reason: 'timeout', budgetMs: 400 } });
    expect((error as Error).message).toMatch(/^pattern too slow: \/\(\.\|\.\)\*\\u0001\/ took more than 0\.4 s on lines 1–2 of .*run\.log; avoid nested/);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(5);
  });

  it('ordinary regex and literal searches still match (and the pool is reused after a timeout)', async () => {
    const file = logFile(['[2026-12-04 10:00:00.000] [info] epoch 1 loss=0.5', '[2026-12-04 10:00:01.000] [warn] epoch 2 loss=0.4\r', 'no header (x|y)']);
    const index = await LogIndex.open(file, { regexPool: pool });
    expect((await index.search({ pattern: 'loss=0\\.[45]$', regex: true, caseSensitive: true })).matches).toEqual([0, 1]);
    expect((await index.search({ pattern: '(x|y)', regex: false, caseSensitive: true })).matches).toEqual([2]);
    expect((await index.search({ pattern: 'EPOCH', regex: true, caseSensitive: false, levels: ['warn'] })).matches).toEqual([1]);
  });
});
