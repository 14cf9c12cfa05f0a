// What sc2mesh's objects cost each mesh proxy, per namespace: the ServiceEntries a proxy
// there can see, the Envoy clusters and endpoints they become, and the memory that costs
// by published per-cluster and per-endpoint figures (figures.ts). Computed from the
// rendered objects themselves, so it counts exactly what would be written. Pure.
import type { DestinationRule, IstioObject, ServiceEntry, WorkloadEntrySpec } from '../model/istio.ts';
import { SERVICE_LABEL } from '../model/ownership.ts';
import { ENVOY_CLUSTER_BYTES, ENVOY_ENDPOINT_BYTES, ISTIO_CLUSTER_BYTES } from './figures.ts';

/** The row for every namespace that no exportTo names. */
export const EVERY_OTHER_NAMESPACE = '*';

export interface ProxyCost {
  serviceEntries: number;
  clusters: number;
  endpoints: number;
  /** clusters × Envoy's per-cluster bound + endpoints × its per-endpoint bound */
  envoyBytes: number;
  /** clusters × the per-cluster figure seen in an Istio sidecar (endpoints included) */
  istioBytes: number;
}

export interface NamespaceFootprint extends ProxyCost {
  /** a namespace, or `*`: any namespace no exportTo names */
  namespace: string;
}

export interface FootprintReport {
  /** one proxy in each namespace, with the objects' exportTo as rendered; named namespaces sorted, `*` last */
  scoped: NamespaceFootprint[];
  /** one proxy anywhere, had every object no exportTo */
  everythingVisible: ProxyCost;
  /** ServiceEntries visible to no proxy at all (exportTo "~") */
  hidden: number;
}

interface Visibility {
  all: boolean;
  namespaces: ReadonlySet<string>;
}

interface Priced {
  entry: ServiceEntry;
  visibility: Visibility;
  /** without its DestinationRule's subsets */
  bare: { clusters: number; endpoints: number };
  /** with them; undefined when no rule has subsets for this host */
  withSubsets: { clusters: number; endpoints: number; visibility: Visibility } | undefined;
}

function visibilityOf(exportTo: readonly string[] | undefined, ownNamespace: string): Visibility {
  if (exportTo === undefined || exportTo.length === 0 || exportTo.includes('*')) return { all: true, namespaces: new Set() };
  const namespaces = new Set<string>();
  for (const value of exportTo) {
    if (value === '~') continue;
    namespaces.add(value === '.' ? ownNamespace : value);
  }
  return { all: false, namespaces };
}

function sees(visibility: Visibility, namespace: string): boolean {
  return visibility.all || (namespace !== EVERY_OTHER_NAMESPACE && visibility.namespaces.has(namespace));
}

function matches(labels: Readonly<Record<string, string>> | undefined, selector: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector)) if (labels?.[key] !== value) return false;
  return true;
}

/** Workload entries by namespace and sc2mesh service label, the label every sc2mesh selector carries. */
function indexWorkloadEntries(objects: readonly IstioObject[]): Map<string, WorkloadEntrySpec[]> {
  const index = new Map<string, WorkloadEntrySpec[]>();
  for (const o of objects) {
    if (o.kind !== 'WorkloadEntry') continue;
    const key = `${o.metadata.namespace}\u0000${o.spec.labels?.[SERVICE_LABEL] ?? ''}`;
    const list = index.get(key);
    if (list === undefined) index.set(key, [o.spec]);
    else list.push(o.spec);
  }
  return index;
}

function endpointsOf(entry: ServiceEntry, index: ReadonlyMap<string, WorkloadEntrySpec[]>, objects: readonly IstioObject[]): readonly WorkloadEntrySpec[] {
  const selector = entry.spec.workloadSelector?.labels;
  if (selector === undefined) return entry.spec.endpoints ?? [];
  const service = selector[SERVICE_LABEL];
  const candidates =
    service !== undefined
      ? (index.get(`${entry.metadata.namespace}\u0000${service}`) ?? [])
      : objects.flatMap((o) => (o.kind === 'WorkloadEntry' && o.metadata.namespace === entry.metadata.namespace ? [o.spec] : []));
  return candidates.filter((spec) => matches(spec.labels, selector));
}

function price(objects: readonly IstioObject[]): Priced[] {
  const index = indexWorkloadEntries(objects);
  const rules = new Map<string, DestinationRule>();
  for (const o of objects) if (o.kind === 'DestinationRule' && o.spec.subsets.length > 0) rules.set(`${o.metadata.namespace}\u0000${o.spec.host}`, o);
  const priced: Priced[] = [];
  for (const o of objects) {
    if (o.kind !== 'ServiceEntry') continue;
    const ports = o.spec.ports.length;
    const endpoints = endpointsOf(o, index, objects);
    const bare = { clusters: ports, endpoints: ports * endpoints.length };
    let withSubsets: Priced['withSubsets'];
    for (const host of o.spec.hosts) {
      const rule = rules.get(`${o.metadata.namespace}\u0000${host}`);
      if (rule === undefined) continue;
      let inSubsets = 0;
      for (const subset of rule.spec.subsets) for (const e of endpoints) if (matches(e.labels, subset.labels)) inSubsets++;
      withSubsets = {
        clusters: ports * (1 + rule.spec.subsets.length),
        endpoints: ports * (endpoints.length + inSubsets),
        visibility: visibilityOf(rule.spec.exportTo, rule.metadata.namespace),
      };
      break;
    }
    priced.push({ entry: o, visibility: visibilityOf(o.spec.exportTo, o.metadata.namespace), bare, withSubsets });
  }
  return priced;
}

function cost(serviceEntries: number, clusters: number, endpoints: number): ProxyCost {
  return {
    serviceEntries,
    clusters,
    endpoints,
    envoyBytes: clusters * ENVOY_CLUSTER_BYTES.bytes + endpoints * ENVOY_ENDPOINT_BYTES.bytes,
    istioBytes: clusters * ISTIO_CLUSTER_BYTES.bytes,
  };
}

function costIn(priced: readonly Priced[], namespace: string | undefined): ProxyCost {
  let serviceEntries = 0;
  let clusters = 0;
  let endpoints = 0;
  for (const p of priced) {
    if (namespace !== undefined && !sees(p.visibility, namespace)) continue;
    serviceEntries++;
    const full = p.withSubsets !== undefined && (namespace === undefined || sees(p.withSubsets.visibility, namespace)) ? p.withSubsets : p.bare;
    clusters += full.clusters;
    endpoints += full.endpoints;
  }
  return cost(serviceEntries, clusters, endpoints);
}

/** Per namespace that any exportTo names, plus `*` for the rest, and the same with every object visible everywhere. */
export function estimateFootprint(objects: readonly IstioObject[]): FootprintReport {
  const priced = price(objects);
  const named = new Set<string>();
  let hidden = 0;
  for (const p of priced) {
    for (const ns of p.visibility.namespaces) named.add(ns);
    for (const ns of p.withSubsets?.visibility.namespaces ?? []) named.add(ns);
    if (!p.visibility.all && p.visibility.namespaces.size === 0) hidden++;
  }
  const rows = [...named].sort();
  rows.push(EVERY_OTHER_NAMESPACE);
  return {
    scoped: rows.map((namespace) => ({ namespace, ...costIn(priced, namespace) })),
    everythingVisible: costIn(priced, undefined),
    hidden,
  };
}
