// java-chassis' defaults for fields a rule leaves out (governance.md §2; durations in ms).
// They are applied when a rule is mapped, not when it is parsed, so a report can tell a
// field that was set from one that was not.

export const RETRY_DEFAULTS = {
  maxAttempts: 3,
  waitDurationMs: 1,
  retryOnResponseStatus: ['502', '503'],
  retryStrategy: 'FixedInterval',
  initialIntervalMs: 1000,
  retryOnSame: 0,
} as const;

/** RetryHandler raises a shorter fixed wait to this. */
export const RETRY_MIN_WAIT_MS = 1;

export const TIME_LIMITER_DEFAULTS = { timeoutDurationMs: 1000, cancelRunningFuture: true } as const;

export const RATE_LIMITING_DEFAULTS = { rate: 1000, limitRefreshPeriodMs: 1000, timeoutDurationMs: 0 } as const;

export const CIRCUIT_BREAKER_DEFAULTS = {
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  slowCallDurationThresholdMs: 60_000,
  waitDurationInOpenStateMs: 60_000,
  permittedNumberOfCallsInHalfOpenState: 10,
  minimumNumberOfCalls: 100,
  slidingWindowType: 'TIME_BASED',
  slidingWindowSize: 100,
  recordFailureStatus: ['502', '503'],
} as const;

export const BULKHEAD_DEFAULTS = { maxConcurrentCalls: 1000, maxWaitDurationMs: 0 } as const;

export const FAULT_INJECTION_DEFAULTS = { type: 'delay', delayTimeMs: 0, percentage: -1, errorCode: 500, fallbackType: 'ThrowException' } as const;

/** Envoy's local rate limit refuses a shorter fill interval. */
export const ENVOY_MIN_FILL_INTERVAL_MS = 50;

/** Istio's durations (timeouts, delays, backoff, ejection times) start at 1 ms (the CRDs' CEL rules). */
export const ISTIO_MIN_DURATION_MS = 1;
