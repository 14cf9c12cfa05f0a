import { describe, expect, it } from '@jest/globals';
import type { Clock } from '../time/clock.ts';
import { createRateLimiter, TokenBucket, UnlimitedRate } from './rate-limiter.ts';

/** Time stands still until someone sleeps; sleeping moves it forward. */
function fakeClock(start = 0): Pick<Clock, 'now' | 'sleep'> & { sleeps: number[]; advance(ms: number): void } {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces at qps', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) await bucket.acquire();
    expect(clock.sleeps).toEqual([]);
    await bucket.acquire();
    await bucket.acquire();
    expect(clock.sleeps).toEqual([100, 100]);
    expect(bucket.stats).toEqual({ acquired: 5, throttled: 2, throttledMs: 200 });
  });

  it('refills while idle, but never beyond the burst', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ qps: 5, burst: 2 }, clock);
    await bucket.acquire();
    await bucket.acquire();
    clock.advance(60_000);
    await bucket.acquire();
    await bucket.acquire();
    expect(clock.sleeps).toEqual([]);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([200]);
  });

  it('queues concurrent callers one token apart instead of letting them all through', async () => {
    let t = 0;
    const waits: number[] = [];
    // A clock whose sleeps do not move time: every caller reserves at t = 0.
    const clock: Pick<Clock, 'now' | 'sleep'> = { now: () => t, sleep: async (ms) => void waits.push(ms) };
    const bucket = new TokenBucket({ qps: 4, burst: 1 }, clock);
    await Promise.all([bucket.acquire(), bucket.acquire(), bucket.acquire(), bucket.acquire()]);
    expect(waits).toEqual([250, 500, 750]);
    t = 1000;
    expect(bucket.peekWaitMs()).toBe(0);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new TokenBucket({ qps: -1, burst: 1 })).toThrow('qps must be a positive number (got -1)');
    expect(() => new TokenBucket({ qps: 5, burst: 0 })).toThrow('burst must be a whole number of at least 1 (got 0)');
  });

  it('is off for qps 0 or false', async () => {
    expect(createRateLimiter({ qps: 0, burst: 1 })).toBeInstanceOf(UnlimitedRate);
    const off = createRateLimiter(false);
    for (let i = 0; i < 1000; i++) await off.acquire();
    expect(off.stats).toEqual({ acquired: 1000, throttled: 0, throttledMs: 0 });
    expect(createRateLimiter({ qps: 5, burst: 5 })).toBeInstanceOf(TokenBucket);
  });
});
