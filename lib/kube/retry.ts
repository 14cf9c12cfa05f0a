// Retries for API calls: capped exponential backoff with full jitter, at least as long as
// the server's Retry-After. Retried: 429, 500, 502, 503, 504, timeouts, broken
// connections, and optimistic-lock 409s when the caller can resend as is. Never retried:
// a server-side-apply field-manager conflict, AlreadyExists, validation errors.
import { systemClock, type Clock } from '../time/clock.ts';
import { backoffDelay } from '../retry/backoff.ts';
import { isFieldManagerConflict, isNetworkError, isOptimisticConflict, isTimeout, isTooLarge, statusOf } from './api-errors.ts';

export interface RetryPolicy {
  /** total attempts, the first included */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** a longer Retry-After is cut to this (a hostile or broken value must not stall a run) */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

const RETRYABLE_CODES = new Set([429, 500, 502, 503, 504]);

export interface RetryDecision {
  retry: boolean;
  /** short label for metrics and logs: `429`, `503`, `timeout`, `network`, `conflict` … */
  reason: string;
  retryAfterMs: number | undefined;
}

/** Retry-After: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function classify(error: unknown, options: { retryConflicts: boolean; nowMs: number }): RetryDecision {
  const status = statusOf(error);
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(status.retryAfter, options.nowMs);
    if (isFieldManagerConflict(status)) return { retry: false, reason: 'field-manager-conflict', retryAfterMs };
    if (isOptimisticConflict(status)) return { retry: options.retryConflicts, reason: 'conflict', retryAfterMs };
    if (isTooLarge(status)) return { retry: false, reason: 'too-large', retryAfterMs };
    return { retry: RETRYABLE_CODES.has(status.code), reason: String(status.code), retryAfterMs };
  }
  if (isTimeout(error)) return { retry: true, reason: 'timeout', retryAfterMs: undefined };
  if (isNetworkError(error)) return { retry: true, reason: 'network', retryAfterMs: undefined };
  return { retry: false, reason: 'error', retryAfterMs: undefined };
}

/** Full jitter after failed attempt `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))). */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  return backoffDelay(attempt - 1, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, random);
}

export interface RetryEvent {
  /** the attempt that failed (1-based) */
  attempt: number;
  delayMs: number;
  reason: string;
  retryAfterMs: number | undefined;
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  random?: () => number;
  /** resend as is on an optimistic-lock 409 (false when the caller must re-read first) */
  retryConflicts?: boolean;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Runs `fn` until it succeeds, fails with something not worth retrying (rethrown as is),
 * or runs out of attempts (the last error is rethrown as is, so callers see the Status).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const decision = classify(error, { retryConflicts: options.retryConflicts ?? true, nowMs: clock.now() });
      if (!decision.retry || attempt >= policy.maxAttempts) throw error;
      const backoff = retryDelay(attempt, policy, random);
      const delayMs = decision.retryAfterMs === undefined ? backoff : Math.max(Math.min(decision.retryAfterMs, policy.maxRetryAfterMs), backoff);
      options.onRetry?.({ attempt, delayMs, reason: decision.reason, retryAfterMs: decision.retryAfterMs });
      await clock.sleep(delayMs);
    }
  }
}
