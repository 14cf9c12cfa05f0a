// What each ServiceComb governance field becomes in Istio, and how well: the table of
// ../shared/reference/servicecomb/governance.md §4, row for row, plus the few rows
// sc2mesh adds for its own decisions (marked `sc2mesh`). Every report entry names one
// row, so a rule's fate reads the same in the code, the report and the tests.

export type Fit = 'exact' | 'approximate' | 'not-mapped';

export interface MappingRow {
  /** the reference section the row comes from, or `sc2mesh` for a decision of this tool */
  section: string;
  serviceComb: string;
  istio: string;
  fit: Fit;
  /** what differs (approximate) or why there is nothing (not mapped) */
  note: string;
}

const E = 'exact';
const A = 'approximate';
const N = 'not-mapped';

function row(section: string, serviceComb: string, istio: string, fit: Fit, note = ''): MappingRow {
  return { section, serviceComb, istio, fit, note };
}

export const MAPPING_TABLE = {
  // §4.1 matchGroup → VirtualService.spec.http[].match[] on the provider's host
  'match.matches': row('4.1', 'matches[] (OR)', 'http[].match[] (OR)', E),
  'match.and': row('4.1', 'conditions inside one match (AND)', 'one HTTPMatchRequest (AND)', E),
  'match.apiPath.exact-prefix': row('4.1', 'apiPath.exact / .prefix', 'uri.exact / uri.prefix', E),
  'match.apiPath.suffix-contains': row('4.1', 'apiPath.suffix / .contains', 'uri.regex `.*<quoted>$` / `.*<quoted>.*`', E, 'RE2, value escaped'),
  'match.compare': row('4.1', 'compare (apiPath, headers, queries)', '—', N, 'a numeric comparison has no StringMatch; the match entry is left out, so the rule governs fewer requests, never more'),
  'match.operators-and': row('4.1', 'several operators in one operator map (AND)', 'one regex combining them', A, 'RE2 has no look-ahead: the parts must follow one another without overlapping'),
  'match.operators-exact': row('sc2mesh', 'exact with other operators in one map', 'uri/header/query exact, or the entry left out', E, 'the other operators are checked against the exact value once, here'),
  'match.method': row('4.1', 'method: [GET, POST]', 'method.exact, or method.regex `^(GET|POST)$`', E),
  'match.headers.exact-prefix': row('4.1', 'headers.<H>.exact / .prefix', 'headers.<h>.exact / .prefix', E, 'header names lower-cased, as Istio requires'),
  'match.headers.suffix-contains': row('4.1', 'headers.<H>.suffix / .contains', 'headers.<h>.regex', E, 'RE2, value escaped'),
  'match.queries': row('4.1', 'queries.<q>', 'queryParams.<q> (exact; prefix, suffix, contains as regex)', E, 'Istio does not support prefix on queryParams, so prefix is a regex too'),
  'match.serviceName.consumer': row('4.1', 'serviceName (consumer side: the target)', 'the VirtualService host', E, 'the VirtualService is already per target; entries naming another service are left out'),
  'match.serviceName.provider': row('4.1', 'serviceName (provider side: the caller)', 'match[].sourceLabels {app: <name>}', A, 'selects calling workloads by label, not by registry name: the caller must carry its ServiceComb name as its app label'),
  'match.customMatcher': row('4.1', 'customMatcher', '—', N, 'an arbitrary Java class; the match entry is left out'),
  'match.services': row('4.1', 'services (which microservices load the rule)', 'sourceLabels (routes) / every caller (host policies)', A, 'for a consumer-side rule `services` names callers: routes select them by app/version labels, host-wide policies apply to every caller'),
  'match.services.version': row('sc2mesh', 'services: name:version (provider side)', 'every version of the host', A, 'the policy is applied to every version, not only the one named'),
  'match.order': row('4.1', 'order', 'order of http[] routes (first match wins)', A, 'Envoy takes only the first matching route: where two routes overlap, the later one adds nothing to requests of the first'),
  'match.first-match': row('4.1', 'first match wins per policy kind', 'Envoy route first match', A, 'ServiceComb picks each kind on its own; one route carries all route-level policies of its match group, and inherits those of a match-all group'),
  'match.unknown-operator': row('sc2mesh', 'an operator java-chassis does not know', '—', N, 'java-chassis never matches it; the match entry is left out'),
  'match.empty-operator': row('sc2mesh', 'an empty operator map', '—', E, 'java-chassis never matches it; the match entry is left out'),
  'match.no-entry': row('sc2mesh', 'a match group with no entry left for this service', '—', N, 'its policies do not apply to this service'),
  'match.default-route': row('sc2mesh', '(requests no match group takes)', 'a final route without match to the host', E, 'every other request keeps flowing to the host'),
  'match.unused': row('sc2mesh', 'a match group no policy names', '—', N, 'nothing uses it'),
  'policy.no-match-group': row('sc2mesh', 'a policy without a match group of its name', '—', N, 'java-chassis applies a policy only to requests of the match group with the same name'),
  'policy.shadowed': row('sc2mesh', 'a second policy of one kind for the same requests', '—', N, 'the policy with the smaller order applies, as in ServiceComb'),
  'service.no-http-port': row('sc2mesh', 'route-level policy on a service without an HTTP port', '—', N, 'Istio applies HTTP routes to HTTP, HTTP2 and gRPC ports only'),

  // §4.2 rateLimiting → EnvoyFilter envoy.filters.http.local_ratelimit
  'rate.rate': row('4.2', 'rate', 'token_bucket.tokens_per_fill', E),
  'rate.limitRefreshPeriod': row('4.2', 'limitRefreshPeriod', 'token_bucket.fill_interval', E),
  'rate.burst': row('4.2', '(no burst concept)', 'token_bucket.max_tokens = rate', A, 'resilience4j refills to limitForPeriod each cycle'),
  'rate.timeoutDuration': row('4.2', 'timeoutDuration (wait for a permit)', '—', N, 'Envoy rejects at once with 429'),
  'rate.match-group': row('4.2', 'match group scoping', 'HTTP_ROUTE patch with typed_per_filter_config, by route name', A, 'one token bucket per route: a rule inherited by several routes limits each on its own'),
  'rate.enforcement': row('4.2', 'enforced by the provider process (one limiter per process)', 'SIDECAR_OUTBOUND on each calling proxy', A, 'the provider has no sidecar: each caller is limited on its own, not all callers together'),
  'rate.identifier': row('4.2', 'identifierRateLimiting (one limiter per header value)', '—', N, 'needs Envoy\'s global rate limit service, which sc2mesh does not deploy (the reference marks it approximate with one)'),
  'rate.off': row('sc2mesh', 'rateLimiting while rate limiting is off', '—', N, 'EnvoyFilters are written only when the operator turns rate limiting on'),
  'rate.fill-interval-min': row('sc2mesh', 'limitRefreshPeriod below 50 ms', '—', N, 'Envoy\'s local rate limit refuses a fill interval below 50 ms'),

  // §4.3 circuitBreaker (service level, provider side)
  'cb.open-service': row('4.3', 'open the whole service on failure or slow-call rate', '—', N, 'Istio ejects hosts, never the whole destination'),
  'cb.outlier': row('4.3', 'closest substitute', 'outlierDetection with maxEjectionPercent: 100', A, 'all hosts ejected ≈ the service open; still per host'),
  'cb.forceOpen': row('4.3', 'forceOpen', 'fault.abort {httpStatus: 503, percentage: 100}', A, 'every request fails at the caller with 503'),
  'cb.forceClosed': row('4.3', 'forceClosed', 'no outlierDetection', E),
  'cb.isolation-first': row('sc2mesh', 'circuitBreaker beside an instanceIsolation for the host', '—', N, 'both become outlierDetection; instance isolation is the closer fit and wins'),

  // §4.4 instanceIsolation (per instance, consumer side) → DestinationRule.trafficPolicy.outlierDetection (also circuitBreaker's substitute)
  'outlier.per-instance': row('4.4', 'per-instance breaker', 'outlierDetection per host', E),
  'outlier.waitDurationInOpenState': row('4.4', 'waitDurationInOpenState', 'baseEjectionTime', A, 'Envoy multiplies it by the number of ejections, up to max_ejection_time (300 s)'),
  'outlier.failureRate': row('4.4', 'failureRateThreshold + minimumNumberOfCalls', 'consecutive5xxErrors / consecutiveGatewayErrors = ceil(minimumNumberOfCalls × failureRateThreshold / 100)', A, 'count of consecutive errors, not a rate: ejects after the fewest failures that could open the ServiceComb breaker'),
  'outlier.slidingWindowSize': row('4.4', 'slidingWindowSize (TIME_BASED, seconds)', 'interval', A, 'Envoy evaluates once per sweep interval'),
  'outlier.count-based': row('4.4', 'slidingWindowType: COUNT_BASED', '—', N, 'Envoy has no count window; its interval is left at the default'),
  'outlier.recordFailureStatus': row('4.4', 'recordFailureStatus (default 502, 503)', 'consecutiveGatewayErrors (502/503/504), or consecutive5xxErrors', A, 'Istio counts classes of errors, not a list of codes'),
  'outlier.recordFailureStatus.4xx': row('sc2mesh', 'recordFailureStatus below 500', '—', N, 'Istio counts only 5xx and gateway errors'),
  'outlier.slowCall': row('4.4', 'slowCallRateThreshold, slowCallDurationThreshold', '—', N),
  'outlier.halfOpen': row('4.4', 'permittedNumberOfCallsInHalfOpenState', '—', N, 'Envoy returns a host after its ejection time'),
  'outlier.maxEjectionPercent': row('4.4', '(no cap in ServiceComb)', 'maxEjectionPercent: 100', E, 'set, or Istio would isolate at most 10 % of the hosts'),
  'outlier.forceOpen': row('4.4', 'forceOpen', '—', N),
  'outlier.forceClosed': row('4.4', 'forceClosed', 'no outlierDetection', E),

  // §4.5 bulkhead / instanceBulkhead → connectionPool
  'bulkhead.enforcement': row('4.5', 'bulkhead enforced by the provider', 'DestinationRule connectionPool in each calling proxy', A, 'the provider has no sidecar (Sidecar.inboundConnectionPool would need one): each caller\'s proxy limits on its own, per cluster, uncoordinated'),
  'bulkhead.maxConcurrentCalls': row('4.5', 'bulkhead.maxConcurrentCalls', 'connectionPool.http.http2MaxRequests', A, 'per calling proxy'),
  'bulkhead.maxWaitDuration': row('4.5', 'maxWaitDuration', '—', N, 'a wait-time bound cannot be expressed; Istio caps only the queue length (http1MaxPendingRequests)'),
  'bulkhead.zero': row('sc2mesh', 'maxConcurrentCalls: 0', '—', N, 'Istio reads 0 as unlimited'),
  'instanceBulkhead.maxConcurrentCalls': row('4.5', 'instanceBulkhead.maxConcurrentCalls (per instance)', 'connectionPool.tcp.maxConnections', A, 'a connection count, not a call count; Envoy thresholds are per cluster (per-host limits need per_host_thresholds)'),

  // §4.6 retry → VirtualService.http[].retries
  'retry.maxAttempts': row('4.6', 'maxAttempts (retries; the handler adds 1)', 'attempts (retries; total 1 + attempts)', E),
  'retry.retryOnResponseStatus': row('4.6', 'retryOnResponseStatus [502, 503]', 'retryOn: "502,503"', E),
  'retry.exceptions': row('4.6', '(retry on exceptions, via RetryExtension)', 'retryOn: connect-failure,refused-stream,reset', A, 'ServiceComb decides by exception class'),
  'retry.waitDuration': row('4.6', 'waitDuration (fixed)', 'backoff', A, 'the base of Envoy\'s exponential jittered backoff, not a fixed wait'),
  'retry.randomBackoff': row('4.6', 'retryStrategy: RandomBackoff + initialInterval', 'backoff = initialInterval', A, 'multiplier and randomizationFactor are Envoy\'s own'),
  'retry.backoff-shape': row('4.6', 'multiplier, randomizationFactor', '—', N, 'not configurable in Istio'),
  'retry.retryOnSame': row('4.6', 'retryOnSame > 0', 'retryIgnorePreviousHosts: false', A, 'ServiceComb counts same-instance retries; Envoy may pick the same host for any retry'),
  'retry.failAfterMaxAttempts': row('4.6', 'failAfterMaxAttempts', '—', N),
  'retry.perTryTimeout': row('4.6', 'timeLimiter on a route that retries', 'retries.perTryTimeout', A, 'each attempt is limited; Istio\'s route timeout would end the retries'),
  'retry.fault': row('4.8', 'retry on a route with a fault', 'retries', A, 'Istio does not retry on a route that injects a fault'),

  // §4.7 timeLimiter → VirtualService.http[].timeout
  'timeLimiter.timeoutDuration': row('4.7', 'timeoutDuration', 'timeout', E),
  'timeLimiter.cancelRunningFuture': row('4.7', 'cancelRunningFuture', '—', N),
  'timeLimiter.zero': row('sc2mesh', 'timeoutDuration below 1 ms', '—', N, 'Istio durations start at 1 ms'),
  'timeLimiter.fault': row('4.8', 'timeLimiter on a route with a fault', 'timeout', A, 'Istio ignores timeouts on a route that injects a fault'),

  // §4.8 faultInjection → VirtualService.http[].fault
  'fault.delay': row('4.8', 'type: delay + delayTime', 'fault.delay.fixedDelay', E),
  'fault.abort': row('4.8', 'type: abort + errorCode', 'fault.abort.httpStatus', E),
  'fault.percentage': row('4.8', 'percentage (int, every n-th request)', 'percentage.value (double, at random)', A),
  'fault.returnNull': row('4.8', 'fallbackType: ReturnNull', '—', N, 'ThrowException ≈ the abort status'),
  'fault.forceClosed': row('4.8', 'forceClosed: true', 'no fault', E),
  'fault.inactive': row('sc2mesh', 'percentage unset, -1 or 0, or a zero delay', 'no fault', E, 'java-chassis injects nothing then'),

  // §4.9 loadbalance → DestinationRule.trafficPolicy.loadBalancer
  'lb.RoundRobin': row('4.9', 'RoundRobin', 'simple: ROUND_ROBIN', E),
  'lb.Random': row('4.9', 'Random', 'simple: RANDOM', E),
  'lb.WeightedResponse': row('4.9', 'WeightedResponse (response-time weighted)', 'simple: LEAST_REQUEST', A),
  'lb.SessionStickiness': row('4.9', 'SessionStickiness', 'consistentHash.useSourceIp', A, 'sticky per calling workload address, not per ServiceComb session'),
  'lb.unknown': row('sc2mesh', 'another rule name', '—', N, 'not a rule java-chassis\' load balancer knows'),
  'host.match-group': row('4.9', 'match group scoping of a host-wide policy', 'per host (DestinationRule)', A, 'a DestinationRule policy applies to every request to the host; a narrower match group is widened to the whole host'),
  'host.shadowed': row('sc2mesh', 'a second host-wide policy of one kind', '—', N, 'one per host: the smaller order wins'),
} as const satisfies Record<string, MappingRow>;

export type RowId = keyof typeof MAPPING_TABLE;

export function rowOf(id: RowId): MappingRow {
  return MAPPING_TABLE[id];
}
