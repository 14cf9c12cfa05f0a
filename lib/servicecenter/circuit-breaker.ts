// One breaker per registry address: after `failureThreshold` consecutive failures the
// address is skipped for `coolDownMs`; then one trial request is let through
// (half-open), and its outcome closes or re-opens the breaker.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  now?: () => number;
}

export const DEFAULT_BREAKER: Omit<CircuitBreakerOptions, 'now'> = { failureThreshold: 3, coolDownMs: 10_000 };

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #coolDownMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new Error(`failureThreshold: expected >= 1 (got ${options.failureThreshold})`);
    if (!(options.coolDownMs >= 0)) throw new Error(`coolDownMs: expected >= 0 (got ${options.coolDownMs})`);
    this.#threshold = options.failureThreshold;
    this.#coolDownMs = options.coolDownMs;
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#now() - this.#openedAt >= this.#coolDownMs ? 'half-open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Whether a request may go to this address now; in half-open only one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  /** Whether tryAcquire() would say yes, without taking the half-open trial slot. */
  isAvailable(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && !this.#trialInFlight);
  }

  onSuccess(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trialInFlight = false;
  }

  onFailure(): void {
    this.#trialInFlight = false;
    this.#failures++;
    if (this.#openedAt !== undefined || this.#failures >= this.#threshold) this.#openedAt = this.#now();
  }

  /** Releases a half-open trial whose request ended without a verdict (e.g. cancelled). */
  release(): void {
    this.#trialInFlight = false;
  }
}
