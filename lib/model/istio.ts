// The Istio objects sc2mesh emits (networking.istio.io), as plain JSON shapes. The core
// builds these; only the kube adapter turns them into API calls. Every kind is served at
// v1 except EnvoyFilter, whose CRD serves v1alpha3 alone: RESOURCES is the one table of
// versions and plurals the client, validator, test API server and manifests go by.

export const ISTIO_GROUP = 'networking.istio.io';
/** The apiVersion of every kind but EnvoyFilter. */
export const ISTIO_API_VERSION = 'networking.istio.io/v1';
export const ENVOY_FILTER_API_VERSION = 'networking.istio.io/v1alpha3';

export type IstioKind = 'ServiceEntry' | 'WorkloadEntry' | 'DestinationRule' | 'VirtualService' | 'Sidecar' | 'EnvoyFilter';

/**
 * Every kind, in the order a service's objects are listed and written. Which of them a
 * deployment lists and writes is managedKinds(config)'s choice (lib/config/managed-kinds.ts),
 * never this list's: iterating it would list (and need RBAC for) kinds nobody turned on.
 */
export const ISTIO_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService', 'Sidecar', 'EnvoyFilter'];

/**
 * Kinds kept per consumer, not per service: a Sidecar carries no service label and
 * belongs to no service's object set, so a per-service reconcile that listed it would
 * take it for an orphan and prune it. The writer's listOwned() leaves them out unless `kinds` names
 * them; whoever reconciles Sidecars lists them explicitly.
 */
export const PER_CONSUMER_KINDS: readonly IstioKind[] = ['Sidecar'];

interface ApiVersions {
  ServiceEntry: typeof ISTIO_API_VERSION;
  WorkloadEntry: typeof ISTIO_API_VERSION;
  DestinationRule: typeof ISTIO_API_VERSION;
  VirtualService: typeof ISTIO_API_VERSION;
  Sidecar: typeof ISTIO_API_VERSION;
  EnvoyFilter: typeof ENVOY_FILTER_API_VERSION;
}

export type ApiVersionOf<K extends IstioKind> = ApiVersions[K];

export interface IstioResource {
  version: 'v1' | 'v1alpha3';
  /** the resource name in API paths and RBAC rules */
  plural: string;
}

export const RESOURCES: Readonly<Record<IstioKind, IstioResource>> = {
  ServiceEntry: { version: 'v1', plural: 'serviceentries' },
  WorkloadEntry: { version: 'v1', plural: 'workloadentries' },
  DestinationRule: { version: 'v1', plural: 'destinationrules' },
  VirtualService: { version: 'v1', plural: 'virtualservices' },
  Sidecar: { version: 'v1', plural: 'sidecars' },
  EnvoyFilter: { version: 'v1alpha3', plural: 'envoyfilters' },
};

export function apiVersionOf<K extends IstioKind>(kind: K): ApiVersionOf<K> {
  return `${ISTIO_GROUP}/${RESOURCES[kind].version}` as ApiVersionOf<K>;
}

export function pluralOf(kind: IstioKind): string {
  return RESOURCES[kind].plural;
}

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

/**
 * A Sidecar sc2mesh owns for one consumer workload (lib/render/sidecar.ts): always with a
 * selector, since a namespace's selector-less Sidecar is its owner's default, and one
 * egress listener without a port.
 */
export interface SidecarSpec {
  workloadSelector: { labels: Record<string, string> };
  egress: { hosts: string[] }[];
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The part of an EnvoyFilter configPatch that governance's local rate limit writes (lib/governance/rate-limit.ts). */
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

interface IstioObjectBase<K extends IstioKind, S> {
  apiVersion: ApiVersionOf<K>;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

export type ServiceEntry = IstioObjectBase<'ServiceEntry', ServiceEntrySpec>;
export type WorkloadEntry = IstioObjectBase<'WorkloadEntry', WorkloadEntrySpec>;
export type DestinationRule = IstioObjectBase<'DestinationRule', DestinationRuleSpec>;
export type VirtualService = IstioObjectBase<'VirtualService', VirtualServiceSpec>;
export type Sidecar = IstioObjectBase<'Sidecar', SidecarSpec>;
export type EnvoyFilter = IstioObjectBase<'EnvoyFilter', EnvoyFilterSpec>;
export type IstioObject = ServiceEntry | WorkloadEntry | DestinationRule | VirtualService | Sidecar | EnvoyFilter;

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
