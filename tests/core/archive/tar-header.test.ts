import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { encodeHeader, nodeTarHeader, plainUstar, type HeaderFields } from '../../../src/core/archive/tar-header.js';

/** A small seeded generator, so a failure names a case that can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TYPES: HeaderFields['type'][] = ['File', 'Directory', 'SymbolicLink'];

describe('tar headers', () => {
  it('the direct ustar path writes exactly what node-tar writes, for every entry it takes', () => {
    const next = random(7);
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
    const own = userInfo().uid;
    let direct = 0;
    for (let i = 0; i < 3000; i++) {
      const type = pick(TYPES);
      const depth = 1 + Math.floor(next() * 6);
      const path = Array.from({ length: depth }, () => pick(['experiments', 'models', 'run-20260101-000001', 'logs', 'metrics.jsonl', 'a', 'b c', 'x'.repeat(40), 'é', '~tilde'])).join('/');
      const fields: HeaderFields = {
        path,
        type,
        mode: pick([0o644, 0o755, 0o600, 0o4755, 0o100644, 0o40755]),
        uid: pick([0, own, 1000, 65534, 0o7777777, 2 ** 21 - 1]),
        gid: pick([0, 1000, 65534, 0o7777777]),
        size: type === 'File' ? pick([0, 1, 511, 512, 4096, 123_456_789, 8 * 2 ** 30 - 1, 8 * 2 ** 30, 2 ** 40]) : 0,
        mtime: new Date(pick([0, 1_700_000_000_123, Date.UTC(2026, 11, 4), 1_799_999_999_999])),
        linkpath: type === 'SymbolicLink' ? pick(['../x', 'target', 'é', 'y'.repeat(101)]) : undefined,
      };
      const fast = plainUstar(fields);
      const reference = nodeTarHeader(fields);
      if (fast) {
        direct++;
        expect(fast.equals(reference), JSON.stringify(fields)).toBe(true);
      }
      expect(encodeHeader(fields).equals(reference)).toBe(true);
    }
    // Both paths were exercised: most entries directly, the long, non-ASCII and huge ones through node-tar.
    expect(direct).toBeGreaterThan(300);
    expect(direct).toBeLessThan(2900);
  });
});
