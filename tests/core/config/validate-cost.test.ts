import { describe, expect, it } from 'vitest';
import { validateConfigText } from '../../../src/core/config/experiment-config.js';
import { MAX_CONFIG_LINES, MAX_REPORTED_ISSUES, parseConfigText } from '../../../src/core/config/resolve.js';
import { ExpmanError } from '../../../src/core/errors.js';
import { workspace } from '../../../src/core/workspace.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const lines = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('\n');
const N = 9_000;

// Issue 11 #10: each problem looked up its line by walking every line before it (and every assignment),
// so 60,000 headers took ~110 s of the server's only thread (9,000 took seconds). Now linear, only 100
// problems are listed, and a text of more lines than any config file is refused before it is parsed.
describe('validateConfigText cost', () => {
  it('60,000 headers (within the API size limit) are refused by size at once', async () => {
    const ws = workspace(tempDataDir(false));
    const text = lines(60_000, (i) => `[t${i}]`);
    const started = performance.now();
    const result = await validateConfigText(ws, 'e', text);
    expect(performance.now() - started).toBeLessThan(200);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ line: MAX_CONFIG_LINES + 1, syntax: true, message: 'the text has more than 10,000 lines: this is not a config file' }),
    ]);
    expect(() => parseConfigText(text, 'config.toml', 'config')).toThrow(/^config\.toml:10001:1: the text has more than 10,000 lines/);
  });

  for (const [name, text] of [
    ['unknown table headers', lines(N, (i) => `[t${i}]`)],
    ['unknown keys', lines(N, (i) => `k${i} = 1`)],
    ['unknown keys in a known table', `[model]\n${lines(N, (i) => `h${i} = 1`)}`],
  ] as const) {
    it(`${N} ${name}: well under a second, problems capped with "and N more"`, async () => {
      const ws = workspace(tempDataDir(false));
      const started = performance.now();
      const result = await validateConfigText(ws, 'e', text);
      const ms = performance.now() - started;
      expect(result.ok).toBe(false);
      expect(result.issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
      expect(result.issues[0]).toMatchObject({ line: name.endsWith('table') ? 2 : 1, message: expect.stringMatching(/^unknown key/) });
      expect(result.issues.at(-1)!.message).toBe(`and ${(N - MAX_REPORTED_ISSUES).toLocaleString('en-US')} more problems (not listed)`);
      expect(ms).toBeLessThan(1000);
    });
  }

  it('the CLI path (parseConfigText) says how many more and lists at most the cap', () => {
    const started = performance.now();
    let error: unknown;
    try {
      parseConfigText(lines(N, (i) => `[t${i}]`), 'config.toml', 'config');
    } catch (e) {
      error = e;
    }
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(ExpmanError);
    expect((error as ExpmanError).message).toMatch(/^config\.toml:1:1: t0: unknown key \(and 8,999 more\)$/);
    expect((error as ExpmanError).details['issues']).toHaveLength(MAX_REPORTED_ISSUES);
    expect((error as ExpmanError).details['omittedIssues']).toBe(N - MAX_REPORTED_ISSUES);
  });
});
