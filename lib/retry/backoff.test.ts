import { describe, it, expect } from '@jest/globals';
import { backoffCeiling, backoffDelay, sleep } from './backoff.ts';

describe('backoff', () => {
  const options = { baseMs: 100, maxMs: 1_000 };

  it('doubles the ceiling per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60, 5000].map((n) => backoffCeiling(n, options))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('draws a full-jitter delay in [0, ceiling)', () => {
    expect(backoffDelay(2, options, () => 0)).toBe(0);
    expect(backoffDelay(2, options, () => 0.5)).toBe(200);
    expect(backoffDelay(2, options, () => 0.999999)).toBe(399);
    expect(backoffDelay(40, options, () => 0.999999)).toBe(999);
  });

  it('treats a negative or non-finite attempt as the first', () => {
    expect(backoffCeiling(-1, options)).toBe(100);
    expect(backoffCeiling(Number.NaN, options)).toBe(100);
  });

  it('sleep rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
    await expect(sleep(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
