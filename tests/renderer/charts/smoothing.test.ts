import { expect, test } from 'vitest';
import { createEma, emaExtend, smoothEma } from '../../../src/renderer/src/charts/smoothing';

test('matches the debiased EMA computed by hand', () => {
  // w = 0.5: last = 0.5·1 = 0.5 → 0.5/(1-0.5) = 1; last = 0.25+1.5 = 1.75 → 1.75/0.75; last = 0.875+2.5 = 3.375 → 3.375/0.875
  const s = smoothEma([1, 3, 5], 0.5);
  expect(s[0]).toBeCloseTo(1, 12);
  expect(s[1]).toBeCloseTo(1.75 / 0.75, 12);
  expect(s[2]).toBeCloseTo(3.375 / 0.875, 12);
});

test('weight 0 returns the values unchanged', () => {
  const y = [0.3, -2, 7.25, 1e-9, 4];
  expect(Array.from(smoothEma(y, 0))).toEqual(y);
});

test('a constant series stays constant from the first point on (the debiasing)', () => {
  for (const v of smoothEma(new Array(50).fill(2.5), 0.99)) expect(v).toBeCloseTo(2.5, 10);
});

test('non-finite values pass through and do not disturb the average of the finite ones', () => {
  const withGaps = smoothEma([1, NaN, 3, Infinity, 5], 0.5);
  const without = smoothEma([1, 3, 5], 0.5);
  expect(withGaps[1]).toBeNaN();
  expect(withGaps[3]).toBe(Infinity);
  expect([withGaps[0], withGaps[2], withGaps[4]]).toEqual(Array.from(without));
});

test('extending a growing series gives the same values as smoothing it whole', () => {
  const y = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) + (i % 7) * 0.1);
  const state = createEma(0.9);
  const out = new Float64Array(1000);
  for (const length of [1, 10, 333, 334, 999, 1000]) emaExtend(state, y, length, out);
  const whole = smoothEma(y, 0.9);
  for (let i = 0; i < 1000; i++) expect(out[i]).toBeCloseTo(whole[i]!, 12);
});

test('rejects weights outside 0 … 0.999', () => {
  expect(() => smoothEma([1], 1)).toThrow(/between 0 and 0.999, got 1/);
  expect(() => smoothEma([1], -0.1)).toThrow(/got -0.1/);
  expect(() => smoothEma([1], NaN)).toThrow(/got NaN/);
});
