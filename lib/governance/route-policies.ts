// Route-level policies (retry, time limiter, fault injection, a forced-open circuit
// breaker, rate limiting): what each rule puts on the VirtualService route of its match
// group, field by field, with each field's fate. Which route a value lands on, and how
// values of one route combine (a time limiter under a retry becomes perTryTimeout), is
// routes.ts's business.
import {
  ENVOY_MIN_FILL_INTERVAL_MS,
  FAULT_INJECTION_DEFAULTS as FAULT,
  ISTIO_MIN_DURATION_MS,
  RATE_LIMITING_DEFAULTS as RATE,
  RETRY_DEFAULTS as RETRY,
  RETRY_MIN_WAIT_MS,
  TIME_LIMITER_DEFAULTS as TIME,
} from './defaults.ts';
import { toIstioDuration } from './duration.ts';
import type { HTTPFaultInjection } from './istio-types.ts';
import type { Note } from './match.ts';
import type { PolicyOf } from './rules.ts';

export interface RetryValue {
  attempts: number;
  retryOn: string;
  backoff: string;
  /** set only when ServiceComb retries on the same instance */
  retryIgnorePreviousHosts?: false;
}

/** The exception cases ServiceComb's RetryExtension retries on, as Envoy names them. */
export const RETRY_ON_FAILURES = 'connect-failure,refused-stream,reset';

export function retryValue(rule: PolicyOf<'retry'>, note: Note): RetryValue {
  const spec = rule.spec;
  const attempts = spec.maxAttempts ?? RETRY.maxAttempts;
  note('retry.maxAttempts', 'spec.maxAttempts', spec.maxAttempts === undefined ? `default ${RETRY.maxAttempts}` : undefined);
  const codes = [...new Set(spec.retryOnResponseStatus ?? RETRY.retryOnResponseStatus)];
  note('retry.retryOnResponseStatus', 'spec.retryOnResponseStatus', spec.retryOnResponseStatus === undefined ? `default ${RETRY.retryOnResponseStatus.join(',')}` : undefined);
  note('retry.exceptions', 'spec.retryOnResponseStatus');
  const retryOn = [...codes, RETRY_ON_FAILURES].join(',');

  let backoffMs: number;
  if ((spec.retryStrategy ?? RETRY.retryStrategy) === 'RandomBackoff') {
    backoffMs = spec.initialInterval ?? RETRY.initialIntervalMs;
    note('retry.randomBackoff', 'spec.initialInterval', spec.initialInterval === undefined ? `default ${RETRY.initialIntervalMs} ms` : undefined);
    if (spec.multiplier !== undefined) note('retry.backoff-shape', 'spec.multiplier');
    if (spec.randomizationFactor !== undefined) note('retry.backoff-shape', 'spec.randomizationFactor');
  } else {
    backoffMs = Math.max(spec.waitDuration ?? RETRY.waitDurationMs, RETRY_MIN_WAIT_MS);
    note('retry.waitDuration', 'spec.waitDuration', spec.waitDuration === undefined ? `default ${RETRY.waitDurationMs} ms` : undefined);
  }
  const value: RetryValue = { attempts, retryOn, backoff: toIstioDuration(Math.max(backoffMs, ISTIO_MIN_DURATION_MS)) };
  if ((spec.retryOnSame ?? RETRY.retryOnSame) > 0) {
    value.retryIgnorePreviousHosts = false;
    note('retry.retryOnSame', 'spec.retryOnSame');
  }
  if (spec.failAfterMaxAttempts !== undefined) note('retry.failAfterMaxAttempts', 'spec.failAfterMaxAttempts');
  return value;
}

/** The time limiter's timeout in ms, or undefined when Istio cannot express it. */
export function timeoutValue(rule: PolicyOf<'time-limiter'>, note: Note): number | undefined {
  const spec = rule.spec;
  // Cancelling the call on timeout is what Envoy does anyway; only letting it run differs.
  if ((spec.cancelRunningFuture ?? TIME.cancelRunningFuture) === false) note('timeLimiter.cancelRunningFuture', 'spec.cancelRunningFuture');
  const ms = spec.timeoutDuration ?? TIME.timeoutDurationMs;
  if (Math.round(ms) < ISTIO_MIN_DURATION_MS) {
    note('timeLimiter.zero', 'spec.timeoutDuration', `got ${ms} ms`);
    return undefined;
  }
  return ms;
}

export type FaultOutcome = { kind: 'fault'; fault: HTTPFaultInjection } | { kind: 'none'; reason: 'inactive' | 'unmapped' };

export function faultValue(rule: PolicyOf<'fault-injection'>, note: Note): FaultOutcome {
  const spec = rule.spec;
  if (spec.forceClosed === true) {
    note('fault.forceClosed', 'spec.forceClosed');
    return { kind: 'none', reason: 'inactive' };
  }
  const percentage = spec.percentage ?? FAULT.percentage;
  if (percentage <= 0) {
    note('fault.inactive', 'spec.percentage', spec.percentage === undefined ? 'percentage not set' : `percentage ${percentage}`);
    return { kind: 'none', reason: 'inactive' };
  }
  const type = spec.type ?? FAULT.type;
  if (type === 'delay') {
    const ms = spec.delayTime ?? FAULT.delayTimeMs;
    if (Math.round(ms) < ISTIO_MIN_DURATION_MS) {
      note('fault.inactive', 'spec.delayTime', 'a zero delay');
      return { kind: 'none', reason: 'inactive' };
    }
    note('fault.delay', 'spec.delayTime');
    note('fault.percentage', 'spec.percentage');
    return { kind: 'fault', fault: { delay: { fixedDelay: toIstioDuration(ms), percentage: { value: percentage } } } };
  }
  if ((spec.fallbackType ?? FAULT.fallbackType) === 'ReturnNull') {
    note('fault.returnNull', 'spec.fallbackType');
    return { kind: 'none', reason: 'unmapped' };
  }
  note('fault.abort', 'spec.errorCode', spec.errorCode === undefined ? `default ${FAULT.errorCode}` : undefined);
  note('fault.percentage', 'spec.percentage');
  return { kind: 'fault', fault: { abort: { httpStatus: spec.errorCode ?? FAULT.errorCode, percentage: { value: percentage } } } };
}

/** A circuit breaker forced open fails every request: the same as an abort of all of them. */
export function forcedOpenFault(rule: PolicyOf<'circuit-breaker'>, note: Note): HTTPFaultInjection | undefined {
  if (rule.spec.forceOpen !== true || rule.spec.forceClosed === true) return undefined;
  note('cb.forceOpen', 'spec.forceOpen');
  return { abort: { httpStatus: 503, percentage: { value: 100 } } };
}

export interface RateLimitValue {
  rate: number;
  fillIntervalMs: number;
}

export function rateLimitValue(rule: PolicyOf<'rate-limiting'>, note: Note): RateLimitValue | undefined {
  const spec = rule.spec;
  const fillIntervalMs = Math.round(spec.limitRefreshPeriod ?? RATE.limitRefreshPeriodMs);
  if (fillIntervalMs < ENVOY_MIN_FILL_INTERVAL_MS) {
    note('rate.fill-interval-min', 'spec.limitRefreshPeriod', `got ${fillIntervalMs} ms`);
    return undefined;
  }
  note('rate.rate', 'spec.rate', spec.rate === undefined ? `default ${RATE.rate}` : undefined);
  note('rate.limitRefreshPeriod', 'spec.limitRefreshPeriod', spec.limitRefreshPeriod === undefined ? `default ${RATE.limitRefreshPeriodMs} ms` : undefined);
  note('rate.burst', 'spec.rate');
  // Waiting 0 for a permit is rejecting at once, which is what Envoy does.
  if ((spec.timeoutDuration ?? RATE.timeoutDurationMs) > 0) note('rate.timeoutDuration', 'spec.timeoutDuration');
  note('rate.enforcement', 'spec');
  note('rate.match-group', 'spec');
  return { rate: spec.rate ?? RATE.rate, fillIntervalMs };
}
