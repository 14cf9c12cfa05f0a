import { describe, expect, it } from '@jest/globals';
import { packRuns } from './pack-runs.ts';

describe('packRuns', () => {
  it('keeps order and every item, each run within the cost budget', () => {
    const items = Array.from({ length: 50 }, (_, i) => 'x'.repeat(1 + (i % 7)));
    const runs = packRuns(items, { cost: (s) => s.length, maxCost: 12 });
    expect(runs.flat()).toEqual(items);
    for (const run of runs) expect(run.reduce((n, s) => n + s.length, 0)).toBeLessThanOrEqual(12);
  });

  it('starts a new run at maxItems', () => {
    expect(packRuns([1, 2, 3, 4, 5], { cost: () => 0, maxCost: 10, maxItems: 2 })).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('sends an item over the budget alone, never drops it', () => {
    expect(packRuns([1, 50, 2], { cost: (n) => n, maxCost: 10 })).toEqual([[1], [50], [2]]);
  });

  it('makes no run of nothing', () => {
    expect(packRuns([], { cost: () => 1, maxCost: 1 })).toEqual([]);
  });
});
