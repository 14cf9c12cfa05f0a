// The Istio objects sc2mesh emits (networking.istio.io/v1), as plain JSON shapes. The
// core builds these; only the kube adapter turns them into API calls.

export const ISTIO_API_VERSION = 'networking.istio.io/v1';

export type IstioKind = 'ServiceEntry' | 'WorkloadEntry' | 'DestinationRule' | 'VirtualService';

/** Every kind, in the order a service's objects are listed and written. */
export const ISTIO_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'];

export function isIstioKind(kind: unknown): kind is IstioKind {
  return typeof kind === 'string' && (ISTIO_KINDS as readonly string[]).includes(kind);
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ServicePort {
  number: number;
  protocol: string;
  name: string;
  targetPort?: number;
}

export interface WorkloadEntrySpec {
  address: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  locality?: string;
  network?: string;
  weight?: number;
  serviceAccount?: string;
}

export interface ServiceEntrySpec {
  hosts: string[];
  location: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
  resolution: 'STATIC' | 'DNS' | 'NONE' | 'DNS_ROUND_ROBIN';
  ports: ServicePort[];
  workloadSelector?: { labels: Record<string, string> };
  endpoints?: WorkloadEntrySpec[];
  exportTo?: string[];
}

/** The host-wide part of a DestinationRule that governance writes (lib/governance/traffic-policy.ts). */
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

export interface DestinationRuleSpec {
  host: string;
  /** empty when governance writes the rule for a traffic policy alone */
  subsets: { name: string; labels: Record<string, string> }[];
  exportTo?: string[];
  trafficPolicy?: TrafficPolicy;
}

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

/** Governance's routes for a provider's host (lib/governance/routes.ts). */
export interface VirtualServiceSpec {
  hosts: string[];
  exportTo?: string[];
  http: HTTPRoute[];
}

interface IstioObjectBase<K extends IstioKind, S> {
  apiVersion: typeof ISTIO_API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

export type ServiceEntry = IstioObjectBase<'ServiceEntry', ServiceEntrySpec>;
export type WorkloadEntry = IstioObjectBase<'WorkloadEntry', WorkloadEntrySpec>;
export type DestinationRule = IstioObjectBase<'DestinationRule', DestinationRuleSpec>;
export type VirtualService = IstioObjectBase<'VirtualService', VirtualServiceSpec>;
export type IstioObject = ServiceEntry | WorkloadEntry | DestinationRule | VirtualService;

/** kind/namespace/name: identifies one object across state, plan and cluster. */
export function objectKey(kind: IstioKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** objectKey of an object. */
export function keyOfObject(o: { kind: IstioKind; metadata: { namespace: string; name: string } }): string {
  return objectKey(o.kind, o.metadata.namespace, o.metadata.name);
}

/** objectKey of a reference or a listed object. */
export function keyOfRef(r: { kind: IstioKind; namespace: string; name: string }): string {
  return objectKey(r.kind, r.namespace, r.name);
}
