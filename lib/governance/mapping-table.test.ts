// Every row of the mapping table (governance.md §4, plus sc2mesh's own rows): a rule that
// exercises it, the Istio fields it became checked one by one, the row reported with its
// fit, and every object produced accepted by the real CRDs (schema and CEL).
import { describe, expect, it } from '@jest/globals';
import { assertValidGovernanceObjects } from '../../test/support/governance-crds.ts';
import { EVERY, fateOf, fieldOf, group, map, ORDERS, RATE_LIMITS_ON, routeNamed, routes, rule, type RawRule } from '../../test/support/governance-rules.ts';
import type { GovernanceKind } from './kinds.ts';
import type { GovernanceOptions, GovernanceResult } from './map-rules.ts';
import { MAPPING_TABLE, type RowId } from './mapping-table.ts';
import { withTrafficPolicy } from './objects.ts';
import { DEFAULT_ROUTE } from './routes.ts';
import type { GovernedService } from './scope.ts';

interface Scenario {
  title: string;
  rules: RawRule[];
  options?: Partial<GovernanceOptions>;
  service?: Partial<GovernedService>;
  /** rows the scenario shows, each reported on the rule named */
  reports: [GovernanceKind, string, RowId][];
  /** rows shown by the objects alone (no rule reports them) */
  shows?: RowId[];
  check: (result: GovernanceResult) => void;
}

const retryOn = (codes: string): string => `${codes},connect-failure,refused-stream,reset`;
const host = ORDERS.host;
const to = [{ destination: { host } }];

/** A retry on group `g` with these match entries: the simplest way to see a match group's routes. */
function retryOn_(matches: unknown[], retry: Record<string, unknown> = {}): RawRule[] {
  return [group('g', matches), rule('retry', 'g', { maxAttempts: 1, ...retry })];
}
const matchOf = (result: GovernanceResult): unknown => routeNamed(result, 'g').match;

const scenarios: Scenario[] = [
  // §4.1 match groups
  {
    title: 'match entries are ORed: one HTTPMatchRequest each',
    rules: retryOn_([{ apiPath: { exact: '/a' } }, { apiPath: { prefix: '/b/' } }]),
    reports: [['match-group', 'g', 'match.matches'], ['match-group', 'g', 'match.apiPath.exact-prefix']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { exact: '/a' } }, { uri: { prefix: '/b/' } }]),
  },
  {
    title: 'conditions inside one entry are ANDed in one HTTPMatchRequest',
    rules: retryOn_([{ apiPath: { prefix: '/api' }, method: ['GET'], headers: { 'X-Tenant': { exact: 'acme' } }, queries: { page: { exact: '2' } } }]),
    reports: [['match-group', 'g', 'match.and']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { prefix: '/api' }, method: { exact: 'GET' }, headers: { 'x-tenant': { exact: 'acme' } }, queryParams: { page: { exact: '2' } } }]),
  },
  {
    title: 'apiPath suffix and contains become RE2 regexes with the value escaped',
    rules: retryOn_([{ apiPath: { suffix: '.json' } }, { apiPath: { contains: '/v1+(beta)/' } }]),
    reports: [['match-group', 'g', 'match.apiPath.suffix-contains']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { regex: '.*\\.json$' } }, { uri: { regex: '.*/v1\\+\\(beta\\)/.*' } }]),
  },
  {
    title: 'compare cannot be expressed: that entry is left out, the others stay',
    rules: retryOn_([{ apiPath: { compare: '>10' } }, { headers: { 'X-Level': { compare: '>=3' } } }, { apiPath: { exact: '/x' } }]),
    reports: [['match-group', 'g', 'match.compare']],
    check: (r) => {
      expect(matchOf(r)).toEqual([{ uri: { exact: '/x' } }]);
      expect(fateOf(r, 'match-group', 'g').fields.filter((f) => f.row === 'match.compare').map((f) => f.field)).toEqual(['spec.matches[0].apiPath.compare', 'spec.matches[1].headers.X-Level.compare']);
    },
  },
  {
    title: 'several operators in one map become one regex',
    rules: retryOn_([{ apiPath: { prefix: '/api/', suffix: '.json' } }, { headers: { 'X-Id': { prefix: 'u-', contains: '-eu-' } } }]),
    reports: [['match-group', 'g', 'match.operators-and']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { regex: '^/api/.*\\.json$' } }, { headers: { 'x-id': { regex: '^u-.*-eu-.*$' } } }]),
  },
  {
    title: 'exact with other operators: checked here; a contradiction never matches',
    rules: retryOn_([{ apiPath: { exact: '/api/a.json', prefix: '/api', suffix: '.json' } }, { apiPath: { exact: '/a', prefix: '/b' } }]),
    reports: [['match-group', 'g', 'match.operators-exact']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { exact: '/api/a.json' } }]),
  },
  {
    title: 'methods: one is exact, several an anchored alternation',
    rules: retryOn_([{ method: ['DELETE'] }, { method: ['GET', 'POST', 'GET'] }]),
    reports: [['match-group', 'g', 'match.method']],
    check: (r) => expect(matchOf(r)).toEqual([{ method: { exact: 'DELETE' } }, { method: { regex: '^(GET|POST)$' } }]),
  },
  {
    title: 'header names are lower-cased; exact and prefix kept',
    rules: retryOn_([{ headers: { 'X-Token': { prefix: 'Bearer ' }, Accept: { exact: 'application/json' } } }]),
    reports: [['match-group', 'g', 'match.headers.exact-prefix']],
    check: (r) => expect(matchOf(r)).toEqual([{ headers: { accept: { exact: 'application/json' }, 'x-token': { prefix: 'Bearer ' } } }]),
  },
  {
    title: 'header suffix and contains become regexes',
    rules: retryOn_([{ headers: { 'User-Agent': { contains: 'Mobile' }, Host: { suffix: '.example.com' } } }]),
    reports: [['match-group', 'g', 'match.headers.suffix-contains']],
    check: (r) => expect(matchOf(r)).toEqual([{ headers: { host: { regex: '.*\\.example\\.com$' }, 'user-agent': { regex: '.*Mobile.*' } } }]),
  },
  {
    title: 'queries become queryParams; prefix, which Istio lacks there, is a regex',
    rules: retryOn_([{ queries: { page: { prefix: '1' }, lang: { exact: 'en' }, q: { suffix: '?' } } }]),
    reports: [['match-group', 'g', 'match.queries']],
    check: (r) => expect(matchOf(r)).toEqual([{ queryParams: { lang: { exact: 'en' }, page: { regex: '^1.*' }, q: { regex: '.*\\?$' } } }]),
  },
  {
    title: 'consumer side: serviceName names the target, entries for other services are left out',
    rules: retryOn_([
      { serviceName: 'orders', apiPath: { prefix: '/orders' } },
      { serviceName: 'payments', apiPath: { prefix: '/pay' } },
    ]),
    reports: [['match-group', 'g', 'match.serviceName.consumer']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { prefix: '/orders' } }]),
  },
  {
    title: 'provider side: serviceName names the caller, selected by its app label',
    rules: [group('g', [{ serviceName: 'web', apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'g', { rate: 10 })],
    options: RATE_LIMITS_ON,
    reports: [['match-group', 'g', 'match.serviceName.provider']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { prefix: '/api' }, sourceLabels: { app: 'web' } }]),
  },
  {
    title: 'customMatcher is a Java class: that entry is left out',
    rules: retryOn_([{ customMatcher: { customMatcherHandler: 'myMatcher', customMatcherParameters: 'x' } }, { apiPath: { exact: '/y' } }]),
    reports: [['match-group', 'g', 'match.customMatcher']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { exact: '/y' } }]),
  },
  {
    title: 'a consumer-side rule loaded by some callers only: each match once per caller label',
    rules: [group('g', [{ apiPath: { prefix: '/api' } }]), rule('retry', 'g', { maxAttempts: 1, services: 'web, admin:1.2.0' })],
    reports: [['retry', 'g', 'match.services']],
    check: (r) =>
      expect(matchOf(r)).toEqual([
        { uri: { prefix: '/api' }, sourceLabels: { app: 'admin', version: '1.2.0' } },
        { uri: { prefix: '/api' }, sourceLabels: { app: 'web' } },
      ]),
  },
  {
    title: 'a provider-side rule naming one version applies to every version of the host',
    rules: [group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 7, services: 'orders:1.0.0' })],
    reports: [['bulkhead', 'g', 'match.services.version']],
    check: (r) => expect(r.trafficPolicy?.connectionPool).toEqual({ http: { http2MaxRequests: 7 } }),
  },
  {
    title: 'order decides route order (smaller first), and overlapping routes are reported',
    rules: [group('a', [{ apiPath: { prefix: '/a' } }]), group('b', [{ apiPath: { prefix: '/b' } }]), rule('retry', 'a', { order: 2 }), rule('time-limiter', 'b', { order: 1, timeoutDuration: '3s' })],
    reports: [['retry', 'a', 'match.order'], ['time-limiter', 'b', 'match.order']],
    check: (r) => expect(routes(r).map((x) => x.name)).toEqual(['b', 'a', DEFAULT_ROUTE]),
  },
  {
    title: 'a match-all group is the final route and lends its policies to earlier routes',
    rules: [group('every', EVERY), group('api', [{ apiPath: { prefix: '/api' } }]), rule('time-limiter', 'every', { timeoutDuration: '2s' }), rule('retry', 'api', { maxAttempts: 2 })],
    reports: [['time-limiter', 'every', 'match.first-match']],
    check: (r) => {
      expect(routes(r)).toEqual([
        { name: 'api', match: [{ uri: { prefix: '/api' } }], route: to, retries: { attempts: 2, perTryTimeout: '2s', retryOn: retryOn('502,503'), backoff: '1ms' } },
        { name: 'every', route: to, timeout: '2s' },
      ]);
    },
  },
  {
    title: 'an operator java-chassis does not know never matches: the entry is left out',
    rules: retryOn_([{ apiPath: { regex: '^/a.*' } }, { apiPath: { exact: '/b' } }]),
    reports: [['match-group', 'g', 'match.unknown-operator']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { exact: '/b' } }]),
  },
  {
    title: 'an empty operator map never matches: the entry is left out',
    rules: retryOn_([{ apiPath: {} }, { method: [] }, { apiPath: { exact: '/c' } }]),
    reports: [['match-group', 'g', 'match.empty-operator']],
    check: (r) => expect(matchOf(r)).toEqual([{ uri: { exact: '/c' } }]),
  },
  {
    title: 'a group with no expressible entry: its policies are not mapped, no VirtualService',
    rules: retryOn_([{ apiPath: { compare: '<5' } }]),
    reports: [['retry', 'g', 'match.no-entry']],
    check: (r) => {
      expect(r.virtualService).toBeUndefined();
      expect(fateOf(r, 'retry', 'g').fit).toBe('not-mapped');
    },
  },
  {
    title: 'a final route without match keeps every other request flowing to the host',
    rules: retryOn_([{ apiPath: { prefix: '/api' } }]),
    reports: [],
    shows: ['match.default-route'],
    check: (r) => expect(routes(r).at(-1)).toEqual({ name: DEFAULT_ROUTE, route: to }),
  },
  {
    title: 'a match group no policy names is reported',
    rules: [group('lonely', [{ apiPath: { prefix: '/l' } }])],
    reports: [['match-group', 'lonely', 'match.unused']],
    check: (r) => {
      expect(r.virtualService).toBeUndefined();
      expect(fateOf(r, 'match-group', 'lonely').fit).toBe('not-mapped');
    },
  },
  {
    title: 'a policy without its match group is not mapped',
    rules: [rule('retry', 'orphan', { maxAttempts: 2 })],
    reports: [['retry', 'orphan', 'policy.no-match-group']],
    check: (r) => expect(r.virtualService).toBeUndefined(),
  },
  {
    title: 'two policies of one kind for the same requests: the smaller order wins',
    rules: [group('g1', [{ apiPath: { prefix: '/x' } }]), group('g2', [{ apiPath: { prefix: '/x' } }]), rule('retry', 'g1', { order: 5, maxAttempts: 5 }), rule('retry', 'g2', { order: 1, maxAttempts: 1 })],
    reports: [['retry', 'g1', 'policy.shadowed']],
    check: (r) => {
      expect(routes(r).map((x) => [x.name, x.retries?.attempts])).toEqual([
        ['g2', 1],
        [DEFAULT_ROUTE, undefined],
      ]);
      expect(fateOf(r, 'retry', 'g1').fit).toBe('not-mapped');
    },
  },
  {
    title: 'route-level policies on a service without an HTTP port are not mapped',
    rules: retryOn_([{ apiPath: { prefix: '/a' } }]),
    service: { ports: [{ number: 7070, protocol: 'TCP' }] },
    reports: [['retry', 'g', 'service.no-http-port']],
    check: (r) => expect(r.virtualService).toBeUndefined(),
  },

  // §4.2 rate limiting
  {
    title: 'rate and limitRefreshPeriod become the token bucket, max_tokens = rate',
    rules: [group('g', [{ apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'g', { rate: 10, limitRefreshPeriod: '2s' })],
    options: RATE_LIMITS_ON,
    reports: [
      ['rate-limiting', 'g', 'rate.rate'],
      ['rate-limiting', 'g', 'rate.limitRefreshPeriod'],
      ['rate-limiting', 'g', 'rate.burst'],
      ['rate-limiting', 'g', 'rate.match-group'],
      ['rate-limiting', 'g', 'rate.enforcement'],
    ],
    check: (r) => {
      const ef = r.envoyFilter;
      expect(ef?.metadata.namespace).toBe('istio-system');
      const patches = ef?.spec.configPatches ?? [];
      expect(patches.map((p) => [p.applyTo, p.match.context, p.patch.operation])).toEqual([
        ['HTTP_FILTER', 'SIDECAR_OUTBOUND', 'INSERT_BEFORE'],
        ['HTTP_ROUTE', 'SIDECAR_OUTBOUND', 'MERGE'],
      ]);
      expect(patches[0]?.match.listener).toEqual({ portNumber: 8080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } });
      expect(patches[1]?.match.routeConfiguration).toEqual({ vhost: { name: `${host}:8080`, route: { name: 'g' } } });
      const filter = `sc2mesh.local_ratelimit.${ORDERS.name}`;
      expect(patches[0]?.patch.value['name']).toBe(filter);
      const config = (patches[1]?.patch.value['typed_per_filter_config'] as Record<string, Record<string, unknown>>)[filter];
      expect(config?.['token_bucket']).toEqual({ max_tokens: 10, tokens_per_fill: 10, fill_interval: '2s' });
      expect(config?.['filter_enabled']).toEqual({ runtime_key: 'sc2mesh_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } });
      expect(config?.['filter_enforced']).toEqual({ runtime_key: 'sc2mesh_rate_limit_enforced', default_value: { numerator: 100, denominator: 'HUNDRED' } });
      // The route it patches is the VirtualService's.
      expect(routeNamed(r, 'g').match).toEqual([{ uri: { prefix: '/api' } }]);
    },
  },
  {
    title: 'rate limiting defaults: 1000 per 1 s',
    rules: [group('g', EVERY), rule('rate-limiting', 'g', {})],
    options: RATE_LIMITS_ON,
    reports: [['rate-limiting', 'g', 'rate.rate']],
    check: (r) => {
      const config = JSON.stringify(r.envoyFilter?.spec.configPatches[1]?.patch.value);
      expect(config).toContain('"token_bucket":{"max_tokens":1000,"tokens_per_fill":1000,"fill_interval":"1s"}');
      expect(fieldOf(r, 'rate-limiting', 'g', 'rate.rate').note).toContain('default 1000');
    },
  },
  {
    title: 'waiting for a permit cannot be expressed',
    rules: [group('g', EVERY), rule('rate-limiting', 'g', { rate: 5, timeoutDuration: 500 })],
    options: RATE_LIMITS_ON,
    reports: [['rate-limiting', 'g', 'rate.timeoutDuration']],
    check: (r) => expect(fateOf(r, 'rate-limiting', 'g').fit).toBe('approximate'),
  },
  {
    title: 'identifierRateLimiting is reported as not mapped',
    rules: [group('g', EVERY), rule('identifier-rate-limiting', 'g', { rate: 5, identifier: 'x-user' })],
    options: RATE_LIMITS_ON,
    reports: [['identifier-rate-limiting', 'g', 'rate.identifier']],
    check: (r) => {
      expect(r.envoyFilter).toBeUndefined();
      expect(fateOf(r, 'identifier-rate-limiting', 'g').fit).toBe('not-mapped');
    },
  },
  {
    title: 'rate limiting off (the default): reported, no EnvoyFilter, no route for it',
    rules: [group('g', [{ apiPath: { prefix: '/a' } }]), rule('rate-limiting', 'g', { rate: 5 })],
    reports: [['rate-limiting', 'g', 'rate.off']],
    check: (r) => {
      expect(r.envoyFilter).toBeUndefined();
      expect(r.virtualService).toBeUndefined();
    },
  },
  {
    title: 'a refresh period below Envoy\'s 50 ms minimum is not mapped',
    rules: [group('g', EVERY), rule('rate-limiting', 'g', { rate: 5, limitRefreshPeriod: 10 })],
    options: RATE_LIMITS_ON,
    reports: [['rate-limiting', 'g', 'rate.fill-interval-min']],
    check: (r) => expect(r.envoyFilter).toBeUndefined(),
  },

  // §4.3 circuit breaker
  {
    title: 'circuit breaker: outlier detection with maxEjectionPercent 100, defaults as java-chassis',
    rules: [group('g', EVERY), rule('circuit-breaker', 'g', {})],
    reports: [['circuit-breaker', 'g', 'cb.open-service'], ['circuit-breaker', 'g', 'cb.outlier']],
    check: (r) => {
      // 100 calls × 50 % = 50 failures; 502/503 are gateway errors; a 100 s window; 60 s open.
      expect(r.trafficPolicy).toEqual({ outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 50, interval: '100s', baseEjectionTime: '1m', maxEjectionPercent: 100 } });
      expect(r.trafficPolicyRules).toEqual(['circuit-breaker/g', 'match-group/g']);
    },
  },
  {
    title: 'circuit breaker forced open: every request aborted with 503',
    rules: [group('g', [{ apiPath: { prefix: '/api' } }]), rule('circuit-breaker', 'g', { forceOpen: true })],
    reports: [['circuit-breaker', 'g', 'cb.forceOpen']],
    check: (r) => {
      expect(routeNamed(r, 'g').fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 100 } } });
      expect(r.trafficPolicy).toBeUndefined();
    },
  },
  {
    title: 'circuit breaker forced closed: nothing written, exactly',
    rules: [group('g', EVERY), rule('circuit-breaker', 'g', { forceClosed: true })],
    reports: [['circuit-breaker', 'g', 'cb.forceClosed']],
    check: (r) => {
      expect(r.trafficPolicy).toBeUndefined();
      expect(fateOf(r, 'circuit-breaker', 'g').fit).toBe('exact');
    },
  },
  {
    title: 'instance isolation wins over a circuit breaker for outlier detection',
    rules: [group('g', EVERY), rule('circuit-breaker', 'g', { order: -1, minimumNumberOfCalls: 4 }), rule('instance-isolation', 'g', { minimumNumberOfCalls: 10 })],
    reports: [['circuit-breaker', 'g', 'cb.isolation-first']],
    check: (r) => expect(r.trafficPolicy?.outlierDetection?.consecutiveGatewayErrors).toBe(5),
  },

  // §4.4 instance isolation
  {
    title: 'instance isolation: per-host outlier detection, field by field',
    rules: [
      group('g', EVERY),
      rule('instance-isolation', 'g', { minimumNumberOfCalls: 20, failureRateThreshold: 25, slidingWindowSize: '10s', waitDurationInOpenState: '30s', recordFailureStatus: ['502', '503', '504'] }),
    ],
    reports: [
      ['instance-isolation', 'g', 'outlier.per-instance'],
      ['instance-isolation', 'g', 'outlier.failureRate'],
      ['instance-isolation', 'g', 'outlier.slidingWindowSize'],
      ['instance-isolation', 'g', 'outlier.waitDurationInOpenState'],
      ['instance-isolation', 'g', 'outlier.recordFailureStatus'],
      ['instance-isolation', 'g', 'outlier.maxEjectionPercent'],
    ],
    check: (r) => expect(r.trafficPolicy?.outlierDetection).toEqual({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 }),
  },
  {
    title: 'a failure status outside the gateway errors counts every 5xx',
    rules: [group('g', EVERY), rule('instance-isolation', 'g', { minimumNumberOfCalls: 3, failureRateThreshold: 100, recordFailureStatus: ['500', 502], slidingWindowSize: 60 })],
    reports: [['instance-isolation', 'g', 'outlier.recordFailureStatus']],
    check: (r) => expect(r.trafficPolicy?.outlierDetection).toEqual({ consecutive5xxErrors: 3, interval: '1m', baseEjectionTime: '1m', maxEjectionPercent: 100 }),
  },
  {
    title: 'failure statuses below 500 are not counted',
    rules: [group('g', EVERY), rule('instance-isolation', 'g', { minimumNumberOfCalls: 2, recordFailureStatus: ['429', '503'] })],
    reports: [['instance-isolation', 'g', 'outlier.recordFailureStatus.4xx']],
    check: (r) => expect(r.trafficPolicy?.outlierDetection?.consecutiveGatewayErrors).toBe(1),
  },
  {
    title: 'a count-based window has no Envoy equivalent: no interval',
    rules: [group('g', EVERY), rule('instance-isolation', 'g', { slidingWindowType: 'COUNT_BASED', slidingWindowSize: 50 })],
    reports: [['instance-isolation', 'g', 'outlier.count-based']],
    check: (r) => expect(r.trafficPolicy?.outlierDetection?.interval).toBeUndefined(),
  },
  {
    title: 'slow-call and half-open fields are reported as not mapped',
    rules: [group('g', EVERY), rule('instance-isolation', 'g', { slowCallRateThreshold: 80, slowCallDurationThreshold: '2s', permittedNumberOfCallsInHalfOpenState: 3 })],
    reports: [['instance-isolation', 'g', 'outlier.slowCall'], ['instance-isolation', 'g', 'outlier.halfOpen']],
    check: (r) => expect(fateOf(r, 'instance-isolation', 'g').fields.filter((f) => f.row === 'outlier.slowCall')).toHaveLength(2),
  },
  {
    title: 'instance isolation forced open is not mapped, forced closed writes nothing',
    rules: [group('open', EVERY), group('closed', EVERY), rule('instance-isolation', 'open', { forceOpen: true }), rule('instance-isolation', 'closed', { forceClosed: true })],
    reports: [['instance-isolation', 'open', 'outlier.forceOpen'], ['instance-isolation', 'closed', 'outlier.forceClosed']],
    check: (r) => {
      expect(r.trafficPolicy).toBeUndefined();
      expect(fateOf(r, 'instance-isolation', 'open').fit).toBe('not-mapped');
      expect(fateOf(r, 'instance-isolation', 'closed').fit).toBe('exact');
    },
  },

  // §4.5 bulkheads
  {
    title: 'bulkhead: maxConcurrentCalls → http2MaxRequests in each caller',
    rules: [group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 50 })],
    reports: [['bulkhead', 'g', 'bulkhead.enforcement'], ['bulkhead', 'g', 'bulkhead.maxConcurrentCalls']],
    check: (r) => expect(r.trafficPolicy).toEqual({ connectionPool: { http: { http2MaxRequests: 50 } } }),
  },
  {
    title: 'bulkhead defaults to 1000; a wait bound is not mapped',
    rules: [group('g', EVERY), rule('bulkhead', 'g', { maxWaitDuration: '100' })],
    reports: [['bulkhead', 'g', 'bulkhead.maxWaitDuration']],
    check: (r) => expect(r.trafficPolicy).toEqual({ connectionPool: { http: { http2MaxRequests: 1000 } } }),
  },
  {
    title: 'maxConcurrentCalls 0 would read as unlimited: not mapped',
    rules: [group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 0 })],
    reports: [['bulkhead', 'g', 'bulkhead.zero']],
    check: (r) => expect(r.trafficPolicy).toBeUndefined(),
  },
  {
    title: 'instance bulkhead: maxConcurrentCalls → tcp.maxConnections, beside a bulkhead',
    rules: [group('g', EVERY), rule('instance-bulkhead', 'g', { maxConcurrentCalls: 10 }), rule('bulkhead', 'g', { maxConcurrentCalls: 40 })],
    reports: [['instance-bulkhead', 'g', 'instanceBulkhead.maxConcurrentCalls']],
    check: (r) => expect(r.trafficPolicy).toEqual({ connectionPool: { tcp: { maxConnections: 10 }, http: { http2MaxRequests: 40 } } }),
  },

  // §4.6 retry
  {
    title: 'retry: attempts, retryOn with the exception cases, fixed wait as backoff',
    rules: retryOn_([{ apiPath: { prefix: '/a' } }], { maxAttempts: 4, retryOnResponseStatus: ['503', 504], waitDuration: '100' }),
    reports: [
      ['retry', 'g', 'retry.maxAttempts'],
      ['retry', 'g', 'retry.retryOnResponseStatus'],
      ['retry', 'g', 'retry.exceptions'],
      ['retry', 'g', 'retry.waitDuration'],
    ],
    check: (r) => expect(routeNamed(r, 'g').retries).toEqual({ attempts: 4, retryOn: retryOn('503,504'), backoff: '100ms' }),
  },
  {
    title: 'retry defaults: 3 attempts on 502,503 with a 1 ms wait',
    rules: [group('g', EVERY), rule('retry', 'g', {})],
    reports: [['retry', 'g', 'retry.maxAttempts']],
    check: (r) => {
      expect(routeNamed(r, 'g').retries).toEqual({ attempts: 3, retryOn: retryOn('502,503'), backoff: '1ms' });
      expect(fieldOf(r, 'retry', 'g', 'retry.maxAttempts').note).toBe('default 3');
    },
  },
  {
    title: 'random backoff: its initial interval is the backoff; multiplier and randomization are Envoy\'s',
    rules: retryOn_([{ apiPath: { prefix: '/a' } }], { retryStrategy: 'RandomBackoff', initialInterval: '2s', multiplier: 3, randomizationFactor: 0.2, waitDuration: '5s' }),
    reports: [['retry', 'g', 'retry.randomBackoff'], ['retry', 'g', 'retry.backoff-shape']],
    check: (r) => expect(routeNamed(r, 'g').retries?.backoff).toBe('2s'),
  },
  {
    title: 'retries on the same instance: previous hosts not ignored',
    rules: retryOn_([{ apiPath: { prefix: '/a' } }], { retryOnSame: 1 }),
    reports: [['retry', 'g', 'retry.retryOnSame']],
    check: (r) => expect(routeNamed(r, 'g').retries?.retryIgnorePreviousHosts).toBe(false),
  },
  {
    title: 'failAfterMaxAttempts is not mapped',
    rules: retryOn_([{ apiPath: { prefix: '/a' } }], { failAfterMaxAttempts: true }),
    reports: [['retry', 'g', 'retry.failAfterMaxAttempts']],
    check: (r) => expect(fateOf(r, 'retry', 'g').fit).toBe('approximate'),
  },
  {
    title: 'a time limiter on a retrying route limits each attempt',
    rules: [group('g', [{ apiPath: { prefix: '/a' } }]), rule('retry', 'g', { maxAttempts: 2 }), rule('time-limiter', 'g', { timeoutDuration: 1500 })],
    reports: [['time-limiter', 'g', 'retry.perTryTimeout']],
    check: (r) => {
      const route = routeNamed(r, 'g');
      expect(route.retries?.perTryTimeout).toBe('1500ms');
      expect(route.timeout).toBeUndefined();
    },
  },
  {
    title: 'a fault on a retrying, time-limited route: Istio drops retries and timeout there',
    rules: [group('g', [{ apiPath: { prefix: '/a' } }]), rule('retry', 'g', {}), rule('time-limiter', 'g', {}), rule('fault-injection', 'g', { type: 'abort', percentage: 5 })],
    reports: [['retry', 'g', 'retry.fault'], ['time-limiter', 'g', 'timeLimiter.fault']],
    check: (r) => expect(routeNamed(r, 'g').fault).toEqual({ abort: { httpStatus: 500, percentage: { value: 5 } } }),
  },

  // §4.7 time limiter
  {
    title: 'time limiter: timeout',
    rules: [group('g', [{ apiPath: { prefix: '/a' } }]), group('d', [{ apiPath: { prefix: '/d' } }]), rule('time-limiter', 'g', { timeoutDuration: '1m' }), rule('time-limiter', 'd', {})],
    reports: [['time-limiter', 'g', 'timeLimiter.timeoutDuration']],
    check: (r) => {
      expect(routeNamed(r, 'g').timeout).toBe('1m');
      expect(routeNamed(r, 'd').timeout).toBe('1s');
    },
  },
  {
    title: 'cancelRunningFuture false is not mapped',
    rules: [group('g', EVERY), rule('time-limiter', 'g', { cancelRunningFuture: false })],
    reports: [['time-limiter', 'g', 'timeLimiter.cancelRunningFuture']],
    check: (r) => expect(routeNamed(r, 'g').timeout).toBe('1s'),
  },
  {
    title: 'a zero timeout cannot be expressed',
    rules: [group('g', EVERY), rule('time-limiter', 'g', { timeoutDuration: 0 })],
    reports: [['time-limiter', 'g', 'timeLimiter.zero']],
    check: (r) => expect(r.virtualService).toBeUndefined(),
  },

  // §4.8 fault injection
  {
    title: 'fault delay: fixedDelay with the percentage',
    rules: [group('g', [{ apiPath: { prefix: '/slow' } }]), rule('fault-injection', 'g', { type: 'delay', delayTime: '2s', percentage: 50 })],
    reports: [['fault-injection', 'g', 'fault.delay'], ['fault-injection', 'g', 'fault.percentage']],
    check: (r) => expect(routeNamed(r, 'g').fault).toEqual({ delay: { fixedDelay: '2s', percentage: { value: 50 } } }),
  },
  {
    title: 'fault abort: httpStatus with the percentage',
    rules: [group('g', EVERY), rule('fault-injection', 'g', { type: 'abort', errorCode: 503, percentage: 100 })],
    reports: [['fault-injection', 'g', 'fault.abort']],
    check: (r) => expect(routeNamed(r, 'g').fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 100 } } }),
  },
  {
    title: 'an abort returning null is not mapped',
    rules: [group('g', EVERY), rule('fault-injection', 'g', { type: 'abort', percentage: 10, fallbackType: 'ReturnNull' })],
    reports: [['fault-injection', 'g', 'fault.returnNull']],
    check: (r) => {
      expect(r.virtualService).toBeUndefined();
      expect(fateOf(r, 'fault-injection', 'g').fit).toBe('not-mapped');
    },
  },
  {
    title: 'a fault forced closed, without a percentage or with a zero delay injects nothing',
    rules: [
      group('a', EVERY),
      group('b', EVERY),
      group('c', EVERY),
      rule('fault-injection', 'a', { type: 'abort', percentage: 10, forceClosed: true }),
      rule('fault-injection', 'b', { type: 'abort' }),
      rule('fault-injection', 'c', { type: 'delay', percentage: 10 }),
    ],
    reports: [['fault-injection', 'a', 'fault.forceClosed'], ['fault-injection', 'b', 'fault.inactive'], ['fault-injection', 'c', 'fault.inactive']],
    check: (r) => {
      expect(r.virtualService).toBeUndefined();
      for (const name of ['a', 'b', 'c']) expect(fateOf(r, 'fault-injection', name).fit).toBe('exact');
    },
  },

  // §4.9 load balancing
  ...(
    [
      ['RoundRobin', { simple: 'ROUND_ROBIN' }, 'lb.RoundRobin'],
      ['Random', { simple: 'RANDOM' }, 'lb.Random'],
      ['WeightedResponse', { simple: 'LEAST_REQUEST' }, 'lb.WeightedResponse'],
      ['SessionStickiness', { consistentHash: { useSourceIp: true } }, 'lb.SessionStickiness'],
    ] as const
  ).map(
    ([name, loadBalancer, row]): Scenario => ({
      title: `loadbalance ${name}`,
      rules: [group('g', EVERY), rule('loadbalance', 'g', { rule: name })],
      reports: [['loadbalance', 'g', row]],
      check: (r) => expect(r.trafficPolicy).toEqual({ loadBalancer }),
    }),
  ),
  {
    title: 'a load balancer java-chassis does not know is not mapped',
    rules: [group('g', EVERY), rule('loadbalance', 'g', { rule: 'Fastest' })],
    reports: [['loadbalance', 'g', 'lb.unknown']],
    check: (r) => expect(r.trafficPolicy).toBeUndefined(),
  },
  {
    title: 'a host-wide policy of a narrower match group is widened to the host',
    rules: [group('g', [{ apiPath: { prefix: '/a' } }]), rule('loadbalance', 'g', { rule: 'Random' })],
    reports: [['loadbalance', 'g', 'host.match-group'], ['match-group', 'g', 'host.match-group']],
    check: (r) => {
      expect(r.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
      expect(fateOf(r, 'loadbalance', 'g').fit).toBe('approximate');
    },
  },
  {
    title: 'two host-wide policies of one kind: the smaller order wins',
    rules: [group('a', EVERY), group('b', EVERY), rule('loadbalance', 'a', { rule: 'Random', order: 3 }), rule('loadbalance', 'b', { rule: 'RoundRobin', order: 1 })],
    reports: [['loadbalance', 'a', 'host.shadowed']],
    check: (r) => expect(r.trafficPolicy).toEqual({ loadBalancer: { simple: 'ROUND_ROBIN' } }),
  },
];

function objectsOf(result: GovernanceResult): unknown[] {
  const dr = withTrafficPolicy(undefined, ORDERS, { namespace: 'mesh', source: 'default', extraLabels: {} }, result.trafficPolicy, result.trafficPolicyRules);
  return [result.virtualService, result.envoyFilter, dr].filter((o) => o !== undefined);
}

describe('mapping table: each row', () => {
  for (const s of scenarios) {
    it(s.title, () => {
      const result = map(s.rules, s.options, s.service);
      assertValidGovernanceObjects(objectsOf(result));
      s.check(result);
      for (const [kind, name, row] of s.reports) {
        const field = fieldOf(result, kind, name, row);
        expect({ row, fit: field.fit }).toEqual({ row, fit: MAPPING_TABLE[row].fit });
      }
    });
  }

  it('covers every row of the table', () => {
    const shown = new Set<RowId>(scenarios.flatMap((s) => [...s.reports.map(([, , row]) => row), ...(s.shows ?? [])]));
    expect((Object.keys(MAPPING_TABLE) as RowId[]).filter((row) => !shown.has(row))).toEqual([]);
  });
});
