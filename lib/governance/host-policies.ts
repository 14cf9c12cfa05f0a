// Host-wide policies (load balancing, instance isolation and the circuit breaker's
// substitute, bulkheads): what each rule puts into the DestinationRule's trafficPolicy,
// field by field, with each field's fate. A DestinationRule applies to every request to
// its host, so a match group narrower than the host is widened (map-rules.ts notes it).
import { BULKHEAD_DEFAULTS as BULKHEAD, CIRCUIT_BREAKER_DEFAULTS as CB, ISTIO_MIN_DURATION_MS } from './defaults.ts';
import { toIstioDuration } from './duration.ts';
import type { TrafficPolicy } from './istio-types.ts';
import type { Note } from './match.ts';
import type { PolicyOf } from './rules.ts';

type LoadBalancer = NonNullable<TrafficPolicy['loadBalancer']>;
export type OutlierDetection = NonNullable<TrafficPolicy['outlierDetection']>;

export function loadBalancerValue(rule: PolicyOf<'loadbalance'>, note: Note): LoadBalancer | undefined {
  switch (rule.spec.rule) {
    case 'RoundRobin':
      note('lb.RoundRobin', 'spec.rule');
      return { simple: 'ROUND_ROBIN' };
    case 'Random':
      note('lb.Random', 'spec.rule');
      return { simple: 'RANDOM' };
    case 'WeightedResponse':
      note('lb.WeightedResponse', 'spec.rule');
      return { simple: 'LEAST_REQUEST' };
    case 'SessionStickiness':
      note('lb.SessionStickiness', 'spec.rule');
      return { consistentHash: { useSourceIp: true } };
    default:
      note('lb.unknown', 'spec.rule', `got ${JSON.stringify(rule.spec.rule)}`);
      return undefined;
  }
}

const GATEWAY_ERRORS = new Set(['502', '503', '504']);

type BreakerRule = PolicyOf<'circuit-breaker'> | PolicyOf<'instance-isolation'>;

/**
 * Outlier detection from a breaker's fields; undefined when nothing is left to detect
 * (forced closed, forced open, or only codes Istio cannot count).
 */
export function outlierValue(rule: BreakerRule, note: Note): OutlierDetection | undefined {
  const spec = rule.spec;
  const isolation = rule.kind === 'instance-isolation';
  if (spec.forceClosed === true) {
    note(isolation ? 'outlier.forceClosed' : 'cb.forceClosed', 'spec.forceClosed');
    return undefined;
  }
  if (spec.forceOpen === true) {
    // A forced-open circuit breaker becomes a fault on the route (route-policies.ts).
    if (isolation) note('outlier.forceOpen', 'spec.forceOpen');
    return undefined;
  }
  const codes = [...new Set(spec.recordFailureStatus ?? CB.recordFailureStatus)];
  const below500 = codes.filter((c) => c < '500');
  const serverErrors = codes.filter((c) => c >= '500');
  if (below500.length > 0) note('outlier.recordFailureStatus.4xx', 'spec.recordFailureStatus', `${below500.join(', ')} not counted`);
  if (serverErrors.length === 0) return undefined;

  if (isolation) note('outlier.per-instance', 'spec');
  else {
    note('cb.open-service', 'spec');
    note('cb.outlier', 'spec');
  }
  const minimumCalls = spec.minimumNumberOfCalls ?? CB.minimumNumberOfCalls;
  const threshold = spec.failureRateThreshold ?? CB.failureRateThreshold;
  // The fewest failures that can open the ServiceComb breaker: that many in a row eject the host.
  const errors = Math.max(1, Math.ceil((minimumCalls * threshold) / 100));
  note('outlier.failureRate', 'spec.failureRateThreshold', `${errors} consecutive errors (minimumNumberOfCalls ${minimumCalls} × ${threshold} %)`);
  note('outlier.recordFailureStatus', 'spec.recordFailureStatus', spec.recordFailureStatus === undefined ? `default ${CB.recordFailureStatus.join(',')}` : undefined);
  const gatewayOnly = serverErrors.every((c) => GATEWAY_ERRORS.has(c));

  let interval: string | undefined;
  if ((spec.slidingWindowType ?? CB.slidingWindowType) === 'COUNT_BASED') note('outlier.count-based', 'spec.slidingWindowType');
  else {
    const seconds = spec.slidingWindowSize ?? CB.slidingWindowSize;
    if (seconds > 0) {
      interval = toIstioDuration(seconds * 1000);
      note('outlier.slidingWindowSize', 'spec.slidingWindowSize', spec.slidingWindowSize === undefined ? `default ${CB.slidingWindowSize} s` : undefined);
    }
  }
  let baseEjectionTime: string | undefined;
  const waitMs = spec.waitDurationInOpenState ?? CB.waitDurationInOpenStateMs;
  if (Math.round(waitMs) >= ISTIO_MIN_DURATION_MS) {
    baseEjectionTime = toIstioDuration(waitMs);
    note('outlier.waitDurationInOpenState', 'spec.waitDurationInOpenState', spec.waitDurationInOpenState === undefined ? `default ${CB.waitDurationInOpenStateMs} ms` : undefined);
  } else {
    note('outlier.waitDurationInOpenState', 'spec.waitDurationInOpenState', "below 1 ms: Istio's default ejection time (30 s) applies");
  }
  note(isolation ? 'outlier.maxEjectionPercent' : 'cb.outlier', 'spec');
  if (spec.slowCallRateThreshold !== undefined) note('outlier.slowCall', 'spec.slowCallRateThreshold');
  if (spec.slowCallDurationThreshold !== undefined) note('outlier.slowCall', 'spec.slowCallDurationThreshold');
  if (spec.permittedNumberOfCallsInHalfOpenState !== undefined) note('outlier.halfOpen', 'spec.permittedNumberOfCallsInHalfOpenState');

  // Istio counts 5xx from 5 errors once outlierDetection is set: 0 turns that off when only gateway errors count.
  const outlier: OutlierDetection = gatewayOnly ? { consecutive5xxErrors: 0, consecutiveGatewayErrors: errors } : { consecutive5xxErrors: errors };
  if (interval !== undefined) outlier.interval = interval;
  if (baseEjectionTime !== undefined) outlier.baseEjectionTime = baseEjectionTime;
  outlier.maxEjectionPercent = 100;
  return outlier;
}

/** Concurrent calls of a bulkhead: requests in flight (bulkhead) or connections per host (instance bulkhead). */
export function bulkheadValue(rule: PolicyOf<'bulkhead'> | PolicyOf<'instance-bulkhead'>, note: Note): number | undefined {
  const spec = rule.spec;
  const calls = spec.maxConcurrentCalls ?? BULKHEAD.maxConcurrentCalls;
  // Not waiting for a slot is what Envoy's overflow does; only a bounded wait is lost.
  if ((spec.maxWaitDuration ?? BULKHEAD.maxWaitDurationMs) > 0) note('bulkhead.maxWaitDuration', 'spec.maxWaitDuration');
  if (calls === 0) {
    note('bulkhead.zero', 'spec.maxConcurrentCalls');
    return undefined;
  }
  const defaulted = spec.maxConcurrentCalls === undefined ? `default ${BULKHEAD.maxConcurrentCalls}` : undefined;
  if (rule.kind === 'bulkhead') {
    note('bulkhead.enforcement', 'spec');
    note('bulkhead.maxConcurrentCalls', 'spec.maxConcurrentCalls', defaulted);
  } else {
    note('instanceBulkhead.maxConcurrentCalls', 'spec.maxConcurrentCalls', defaulted);
  }
  return calls;
}
