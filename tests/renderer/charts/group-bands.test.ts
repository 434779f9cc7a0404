import { expect, test } from 'vitest';
import { meanStdBands } from '../../../src/renderer/src/charts/group-bands';

test('mean and mean ± sample std at every x any member has; non-finite values and unused capacity left out', () => {
  const [mean, upper, lower, single] = meanStdBands([
    {
      id: 'g',
      label: 'lr=0.01',
      members: [
        { id: 'a', label: 'a', x: [1, 2, 3], y: [1, 2, NaN] },
        { id: 'b', label: 'b', x: Float64Array.from([1, 2, 3, 99]), y: Float64Array.from([3, 4, 6, 1000]), length: 3 },
        { id: 'c', label: 'c', x: [1], y: [2] },
      ],
    },
    { id: 'h', label: 'lr=0.1', members: [{ id: 'd', label: 'd', x: [5], y: [7] }] },
  ]);
  expect(Array.from(mean!.x)).toEqual([1, 2, 3]);
  expect(Array.from(mean!.y)).toEqual([2, 3, 6]);
  expect(mean!.label).toBe('lr=0.01 (mean of 3)');
  // x=1: 1, 3, 2 → std 1; x=2: 2, 4 → std √2; x=3: only 6 → std 0
  expect(Array.from(upper!.y)).toEqual([3, 3 + Math.SQRT2, 6]);
  expect(Array.from(lower!.y)).toEqual([1, 3 - Math.SQRT2, 6]);
  expect(upper!.band).toEqual({ of: 'g', side: 'upper' });
  expect(lower!.band).toEqual({ of: 'g', side: 'lower' });
  expect(single).toMatchObject({ id: 'h', label: 'lr=0.1 (mean of 1)' });
});
