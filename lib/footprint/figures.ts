// The published numbers the footprint estimate multiplies, each with where it was
// measured (../shared/reference/istio/scoping.md §4 collects them). They are bounds and
// readings from other setups, not measurements of this mesh: the report prints them, so
// an operator can judge them, and the two estimates bracket what a proxy pays.

export interface MemoryFigure {
  readonly id: 'envoyClusterBytes' | 'envoyEndpointBytes' | 'istioClusterBytes';
  readonly bytes: number;
  /** what one `bytes` is paid for */
  readonly per: string;
  readonly source: string;
}

/**
 * Envoy's own memory tests, with minimal static clusters and stats on: an upper bound
 * for a bare cluster, so for an Istio cluster (TLS context, metadata) rather a floor.
 */
export const ENVOY_CLUSTER_BYTES: MemoryFigure = {
  id: 'envoyClusterBytes',
  bytes: 42_000,
  per: 'Envoy cluster',
  source:
    'envoyproxy/envoy test/integration/stats_integration_test.cc @006bbc36, MemoryLargeClusterSize: upper bound 42,000 B per cluster (golden values 35,489 B in 2019-08 to 40,577 B in 2021-08)',
};

export const ENVOY_ENDPOINT_BYTES: MemoryFigure = {
  id: 'envoyEndpointBytes',
  bytes: 3_000,
  per: 'endpoint (host) in a cluster',
  source: 'envoyproxy/envoy test/integration/stats_integration_test.cc @006bbc36, MemoryLargeHostSizeWithStats: upper bound 3,000 B per host (exact 1,380 B in 2020-04)',
};

/**
 * What an Istio sidecar paid per cluster in a published load test, endpoints and routes
 * included: about twice Envoy's bare figure. Read off a chart, so approximate.
 */
export const ISTIO_CLUSTER_BYTES: MemoryFigure = {
  id: 'istioClusterBytes',
  bytes: 87_000,
  per: 'Envoy cluster in an Istio sidecar, its endpoints and routes included',
  source:
    'aeraki-mesh/lazyxds @f33f640c README.md and docs/images/performance-test-mem.png: envoy_server_memory_allocated rose about 19 MB for 190 services / 950 endpoints / ~221 clusters (Istio 1.8); 19 MB / 221 clusters, an inference from a chart',
};

export const MEMORY_FIGURES: readonly MemoryFigure[] = [ENVOY_CLUSTER_BYTES, ENVOY_ENDPOINT_BYTES, ISTIO_CLUSTER_BYTES];

/** How the counts are derived, printed beside the figures. */
export const COUNTING_RULES: readonly string[] = [
  'clusters per ServiceEntry = ports × (1 + subsets of its DestinationRule): one outbound cluster per port and one per subset and port (istio/istio pilot/pkg/networking/core/cluster_builder.go @00ce34c6, applyDestinationRule → buildSubsetCluster)',
  'endpoints = every selected WorkloadEntry (or inline endpoint) on every ServiceEntry port, once in the port cluster and once more in the subset cluster it matches (istio/istio pilot/pkg/serviceregistry/serviceentry/conversion.go @0098d99f, convertWorkloadEntryToServiceInstances loops over every port)',
  'visibility = exportTo: unset or empty counts as "*" (every namespace; a mesh-wide defaultServiceExportTo would narrow it), "." the objects\' own namespace, "~" no namespace; a DestinationRule counts where both it and its ServiceEntry are visible',
  'not counted: the proxy\'s own baseline (about 13 MB in the lazyxds chart), listeners, inbound configuration, Kubernetes Services and every config that is not sc2mesh\'s',
];
