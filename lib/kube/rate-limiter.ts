// Client-side rate limit for API calls: a token bucket (client-go's default shape) that
// holds `burst` tokens and refills `qps` per second. A caller that finds it empty reserves
// the next token and sleeps until it is due, so waiting callers are served in order and
// never exceed the rate together.
import { systemClock, type Clock } from '../time/clock.ts';

export interface RateLimitSettings {
  /** requests per second; 0 turns the limit off */
  qps: number;
  /** bucket size: how many requests may go at once after a quiet spell */
  burst: number;
}

export interface RateLimiterStats {
  acquired: number;
  /** acquisitions that had to wait */
  throttled: number;
  throttledMs: number;
}

export interface RateLimiter {
  acquire(): Promise<void>;
  readonly stats: RateLimiterStats;
}

export class TokenBucket implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Pick<Clock, 'now' | 'sleep'>;
  #tokens: number;
  #updatedAt: number;
  readonly stats: RateLimiterStats = { acquired: 0, throttled: 0, throttledMs: 0 };

  constructor(settings: RateLimitSettings, clock: Pick<Clock, 'now' | 'sleep'> = systemClock) {
    if (!(settings.qps > 0) || !Number.isFinite(settings.qps)) throw new Error(`rate limit: qps must be a positive number (got ${settings.qps})`);
    if (!Number.isInteger(settings.burst) || settings.burst < 1) throw new Error(`rate limit: burst must be a whole number of at least 1 (got ${settings.burst})`);
    this.#qps = settings.qps;
    this.#burst = settings.burst;
    this.#clock = clock;
    this.#tokens = settings.burst;
    this.#updatedAt = clock.now();
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#qps) / 1000);
    this.#updatedAt = now;
  }

  /** How long the next caller would wait, in ms (0 when a token is free). */
  peekWaitMs(): number {
    this.#refill(this.#clock.now());
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.#qps;
  }

  async acquire(): Promise<void> {
    this.#refill(this.#clock.now());
    this.#tokens -= 1;
    this.stats.acquired++;
    if (this.#tokens >= 0) return;
    // The token is reserved (the balance is negative); wait until the refill covers it.
    const waitMs = (-this.#tokens * 1000) / this.#qps;
    this.stats.throttled++;
    this.stats.throttledMs += waitMs;
    await this.#clock.sleep(waitMs);
  }
}

/** No limit: for tests, benchmarks, or `qps: 0`. */
export class UnlimitedRate implements RateLimiter {
  readonly stats: RateLimiterStats = { acquired: 0, throttled: 0, throttledMs: 0 };
  acquire(): Promise<void> {
    this.stats.acquired++;
    return Promise.resolve();
  }
}

export function createRateLimiter(settings: RateLimitSettings | false | undefined, clock: Pick<Clock, 'now' | 'sleep'> = systemClock): RateLimiter {
  if (settings === false || settings === undefined || settings.qps === 0) return new UnlimitedRate();
  return new TokenBucket(settings, clock);
}
