// The Istio objects sc2mesh emits (networking.istio.io/v1), as plain JSON shapes. The
// core builds these; only the kube adapter turns them into API calls.

export const ISTIO_API_VERSION = 'networking.istio.io/v1';

export type IstioKind = 'ServiceEntry' | 'WorkloadEntry' | 'DestinationRule';

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

export interface DestinationRuleSpec {
  host: string;
  subsets: { name: string; labels: Record<string, string> }[];
  exportTo?: string[];
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
export type IstioObject = ServiceEntry | WorkloadEntry | DestinationRule;

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
