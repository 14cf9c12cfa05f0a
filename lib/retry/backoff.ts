// The one backoff and the one sleep of every adapter (registry, Kubernetes, SQS, DynamoDB).
// Capped exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): spreading retries uniformly over [0, cap] keeps many clients
// that failed together from retrying together.

export interface BackoffOptions {
  /** delay ceiling of the first retry, ms */
  baseMs: number;
  /** no delay is ever longer than this, ms */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 5_000 };

/** The upper bound of the delay before retry number `attempt` (0-based). */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  if (!Number.isFinite(attempt) || attempt < 0) return Math.max(0, Math.min(options.baseMs, options.maxMs));
  // 2^attempt overflows to Infinity long after the cap is reached; min() copes with that.
  return Math.max(0, Math.min(options.maxMs, options.baseMs * 2 ** attempt));
}

/** A full-jitter delay: uniform in [0, ceiling). `random` is injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}
