// The parts of VirtualService, DestinationRule and EnvoyFilter that governance writes,
// as plain JSON shapes (field names as in networking.istio.io; EnvoyFilter is v1alpha3,
// the only version its CRD serves).
import type { DestinationRule, ObjectMeta } from '../model/istio.ts';

// The VirtualService and TrafficPolicy shapes are the model's: the pipeline writes them like any other object.
export type { HTTPFaultInjection, HTTPMatchRequest, HTTPRetry, HTTPRoute, StringMatch, TrafficPolicy, VirtualService, VirtualServiceSpec } from '../model/istio.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface EnvoyConfigPatch {
  applyTo: 'HTTP_FILTER' | 'HTTP_ROUTE';
  match: {
    context: 'SIDECAR_OUTBOUND';
    listener?: { portNumber: number; filterChain: { filter: { name: string } } };
    routeConfiguration?: { vhost: { name: string; route: { name: string } } };
  };
  patch: { operation: 'INSERT_BEFORE' | 'MERGE'; value: { [key: string]: JsonValue } };
}

export interface EnvoyFilterSpec {
  configPatches: EnvoyConfigPatch[];
}

export const ENVOY_FILTER_API_VERSION = 'networking.istio.io/v1alpha3';

export interface EnvoyFilter {
  apiVersion: typeof ENVOY_FILTER_API_VERSION;
  kind: 'EnvoyFilter';
  metadata: ObjectMeta;
  spec: EnvoyFilterSpec;
}

/** The rendered DestinationRule with governance's traffic policy; `subsets` may be empty. */
export type GovernedDestinationRule = DestinationRule;
