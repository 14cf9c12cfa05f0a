// Rate limiting as Envoy's local rate limit, the way Istio's task does it: an HTTP filter
// in the outbound HTTP listener of each port, configured per route of the host through
// typed_per_filter_config. Each service gets its own filter name, so its per-route
// config is read by its filter alone and two services' EnvoyFilters never count one
// request twice; without per-route config the filter lets everything through.
import { toProtoDuration } from './duration.ts';
import type { EnvoyConfigPatch, EnvoyFilterSpec, JsonValue } from './istio-types.ts';
import type { RateLimitValue } from './route-policies.ts';

const LOCAL_RATE_LIMIT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const HTTP_CONNECTION_MANAGER = 'envoy.filters.network.http_connection_manager';

/** Istio names outbound virtual hosts `host:port` and routes after the VirtualService's http[].name. */
export function vhostName(host: string, port: number): string {
  return `${host}:${port}`;
}

export function filterNameFor(serviceObjectName: string): string {
  return `sc2mesh.local_ratelimit.${serviceObjectName}`;
}

function statPrefix(serviceObjectName: string): string {
  return `sc2mesh_rate_limit_${serviceObjectName.replaceAll('-', '_')}`;
}

function everyRequest(runtimeKey: string): JsonValue {
  return { runtime_key: runtimeKey, default_value: { numerator: 100, denominator: 'HUNDRED' } };
}

function bucketConfig(serviceObjectName: string, value: RateLimitValue): { [key: string]: JsonValue } {
  return {
    '@type': LOCAL_RATE_LIMIT_TYPE,
    stat_prefix: statPrefix(serviceObjectName),
    // max_tokens = rate: resilience4j has no burst beyond one period's permits.
    token_bucket: { max_tokens: value.rate, tokens_per_fill: value.rate, fill_interval: toProtoDuration(value.fillIntervalMs) },
    // Without these the filter is off (0 %).
    filter_enabled: everyRequest('sc2mesh_rate_limit_enabled'),
    filter_enforced: everyRequest('sc2mesh_rate_limit_enforced'),
  };
}

export interface RateLimitedRoute {
  route: string;
  value: RateLimitValue;
}

/** The EnvoyFilter spec for one service's rate-limited routes on its HTTP ports. */
export function rateLimitSpec(serviceObjectName: string, host: string, httpPorts: readonly number[], routes: readonly RateLimitedRoute[]): EnvoyFilterSpec {
  const filterName = filterNameFor(serviceObjectName);
  const patches: EnvoyConfigPatch[] = [];
  for (const port of httpPorts) {
    patches.push({
      applyTo: 'HTTP_FILTER',
      match: { context: 'SIDECAR_OUTBOUND', listener: { portNumber: port, filterChain: { filter: { name: HTTP_CONNECTION_MANAGER } } } },
      patch: { operation: 'INSERT_BEFORE', value: { name: filterName, typed_config: { '@type': LOCAL_RATE_LIMIT_TYPE, stat_prefix: statPrefix(serviceObjectName) } } },
    });
  }
  for (const port of httpPorts) {
    for (const { route, value } of routes) {
      patches.push({
        applyTo: 'HTTP_ROUTE',
        match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: vhostName(host, port), route: { name: route } } } },
        patch: { operation: 'MERGE', value: { typed_per_filter_config: { [filterName]: bucketConfig(serviceObjectName, value) } } },
      });
    }
  }
  return { configPatches: patches };
}
