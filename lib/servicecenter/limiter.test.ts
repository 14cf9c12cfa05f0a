import { describe, it, expect } from '@jest/globals';
import { createLimiter } from './limiter.ts';

describe('createLimiter', () => {
  it('runs at most `limit` tasks at once, in the order given, and passes results and failures through', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const task = (n: number) => () =>
      new Promise<number>((resolve, reject) => {
        started.push(n);
        running++;
        peak = Math.max(peak, running);
        gates.push(() => {
          running--;
          if (n === 3) reject(new Error('three'));
          else resolve(n * 10);
        });
      });
    const all = Promise.allSettled([1, 2, 3, 4, 5].map((n) => limit(task(n))));
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    while (gates.length > 0) {
      (gates.shift() as () => void)();
      await new Promise((r) => setImmediate(r));
    }
    const results = await all;
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 20, 'three', 40, 50]);
  });

  it('refuses a limit below one', () => {
    expect(() => createLimiter(0)).toThrow('limit');
  });
});
