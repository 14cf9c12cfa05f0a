// One breaker per registry address: after `failureThreshold` consecutive failures the
// address is skipped for `coolDownMs`; then one trial request is let through
// (half-open), and its outcome closes or re-opens the breaker.
//
// While open, a breaker can also be probed (tryProbe), at most once per
// `probeIntervalMs` after its last failure. The address pool probes only when no address
// at all would take a call: skipping an address is worth its cool-down when another one
// answers, but with a single address (or all of them down) there is nowhere to fail over,
// and refusing every call for the whole cool-down would leave the client blind for it
// after a registry restart of a second or two.
import { systemClock, type Clock } from '../time/clock.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  /** while open, the shortest time between the last failure and a probe (capped by coolDownMs; default 500) */
  probeIntervalMs?: number;
  clock?: Pick<Clock, 'now'>;
}

export const DEFAULT_BREAKER: Required<Omit<CircuitBreakerOptions, 'clock'>> = { failureThreshold: 3, coolDownMs: 10_000, probeIntervalMs: 500 };

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #coolDownMs: number;
  readonly #probeIntervalMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new Error(`failureThreshold: expected >= 1 (got ${options.failureThreshold})`);
    if (!(options.coolDownMs >= 0)) throw new Error(`coolDownMs: expected >= 0 (got ${options.coolDownMs})`);
    const probe = options.probeIntervalMs ?? DEFAULT_BREAKER.probeIntervalMs;
    if (!(probe >= 0)) throw new Error(`probeIntervalMs: expected >= 0 (got ${probe})`);
    this.#threshold = options.failureThreshold;
    this.#coolDownMs = options.coolDownMs;
    this.#probeIntervalMs = Math.min(probe, options.coolDownMs);
    this.#clock = options.clock ?? systemClock;
  }

  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#clock.now() - this.#openedAt >= this.#coolDownMs ? 'half-open' : 'open';
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

  /**
   * Takes the trial slot of an open breaker when its last failure is at least
   * probeIntervalMs old. The outcome is reported as for any call: a success closes it, a
   * failure keeps it open (and starts the wait for the next probe again).
   */
  tryProbe(): boolean {
    if (this.#openedAt === undefined || this.#trialInFlight) return false;
    if (this.#clock.now() - this.#openedAt < this.#probeIntervalMs) return false;
    this.#trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trialInFlight = false;
  }

  onFailure(): void {
    this.#trialInFlight = false;
    this.#failures++;
    if (this.#openedAt !== undefined || this.#failures >= this.#threshold) this.#openedAt = this.#clock.now();
  }

  /** Releases a half-open trial whose request ended without a verdict (e.g. cancelled). */
  release(): void {
    this.#trialInFlight = false;
  }
}
