// The parts of VirtualService, DestinationRule and EnvoyFilter that governance writes,
// as plain JSON shapes (field names as in networking.istio.io; EnvoyFilter is v1alpha3,
// the only version its CRD serves).
import type { DestinationRule, DestinationRuleSpec, ObjectMeta } from '../model/istio.ts';

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface HTTPMatchRequest {
  uri?: StringMatch;
  method?: StringMatch;
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  sourceLabels?: Record<string, string>;
}

export interface HTTPRetry {
  attempts: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryIgnorePreviousHosts?: boolean;
  backoff?: string;
}

export interface HTTPFaultInjection {
  delay?: { fixedDelay: string; percentage: { value: number } };
  abort?: { httpStatus: number; percentage: { value: number } };
}

export interface HTTPRoute {
  name: string;
  match?: HTTPMatchRequest[];
  route: { destination: { host: string } }[];
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
}

export interface VirtualServiceSpec {
  hosts: string[];
  exportTo?: string[];
  http: HTTPRoute[];
}

export interface TrafficPolicy {
  loadBalancer?: { simple: 'ROUND_ROBIN' | 'RANDOM' | 'LEAST_REQUEST' } | { consistentHash: { useSourceIp: true } };
  connectionPool?: { tcp?: { maxConnections: number }; http?: { http2MaxRequests: number } };
  outlierDetection?: {
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    interval?: string;
    baseEjectionTime?: string;
    maxEjectionPercent?: number;
  };
}

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

export interface VirtualService {
  apiVersion: 'networking.istio.io/v1';
  kind: 'VirtualService';
  metadata: ObjectMeta;
  spec: VirtualServiceSpec;
}

export interface EnvoyFilter {
  apiVersion: typeof ENVOY_FILTER_API_VERSION;
  kind: 'EnvoyFilter';
  metadata: ObjectMeta;
  spec: EnvoyFilterSpec;
}

/** The rendered DestinationRule with governance's traffic policy; `subsets` may be empty. */
export interface GovernedDestinationRuleSpec extends DestinationRuleSpec {
  trafficPolicy?: TrafficPolicy;
}

export type GovernedDestinationRule = Omit<DestinationRule, 'spec'> & { spec: GovernedDestinationRuleSpec };
