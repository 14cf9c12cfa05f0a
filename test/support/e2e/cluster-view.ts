// End-to-end comparisons: what the Kubernetes API server holds against what rendering the
// registry simulator's current state gives (`Kind/name` → labels, annotations, spec), and
// which objects a piece of work wrote, from the API server's request log.
import type { IstioKind, IstioObject } from '../../../lib/model/istio.ts';
import { parseGovernDump } from '../../../lib/model/govern-dump.ts';
import type { RenderOptions } from '../../../lib/render/options.ts';
import { renderRegistry, type RegistryRender } from '../../../lib/render/render-registry.ts';
import type { KubeApiServer, RequestLogEntry } from '../kube-api-server/index.ts';
import type { RegistrySimulator } from '../../../lib/registry-simulator/simulator.ts';

/** What an object is, as far as sc2mesh decides it: its labels, annotations and spec. */
export interface ObjectContent {
  labels: unknown;
  annotations: unknown;
  spec: unknown;
}

/** `Kind/name` → content */
export type ClusterView = Record<string, ObjectContent>;

const KIND_OF_PLURAL: Record<string, IstioKind> = { serviceentries: 'ServiceEntry', workloadentries: 'WorkloadEntry', destinationrules: 'DestinationRule', virtualservices: 'VirtualService' };

export function clusterView(kube: KubeApiServer, namespace: string, kinds: readonly IstioKind[]): ClusterView {
  const view: ClusterView = {};
  for (const kind of kinds) {
    for (const o of kube.store.list(kind, namespace)) {
      const metadata = o['metadata'] as { name: string; labels?: unknown; annotations?: unknown };
      view[`${kind}/${metadata.name}`] = { labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {}, spec: o['spec'] };
    }
  }
  return view;
}

/** What the simulator's registry renders to, now. */
export function renderSimulator(sim: RegistrySimulator, render: RenderOptions): RegistryRender {
  const { services, rejected } = parseGovernDump({ allServicesDetail: sim.governDump() });
  if (rejected.length > 0) throw new Error(`simulator dump has malformed entries: ${JSON.stringify(rejected)}`);
  return renderRegistry(services, render);
}

export function viewOf(objects: readonly IstioObject[]): ClusterView {
  const view: ClusterView = {};
  // JSON round trip: the API server stores JSON, so undefined fields are absent there too
  for (const o of objects) {
    view[`${o.kind}/${o.metadata.name}`] = JSON.parse(JSON.stringify({ labels: o.metadata.labels, annotations: o.metadata.annotations, spec: o.spec })) as ObjectContent;
  }
  return view;
}

/** The objects the simulator's registry renders to, now. */
export function simulatorView(sim: RegistrySimulator, render: RenderOptions): ClusterView {
  return viewOf(renderSimulator(sim, render).objects);
}

/** JSON with object keys sorted: two specs that differ only in key order compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Objects created, deleted or changed between two views: the writes converging needs. */
export function changedObjects(before: ClusterView, after: ClusterView): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonical(before[k]) !== canonical(after[k])).sort();
}

/** `METHOD Kind/name` of every mutating request (dry runs excluded), in order. */
export function writesIn(entries: readonly RequestLogEntry[]): string[] {
  return entries
    .filter((e) => e.mutating && !e.dryRun)
    .map((e) => {
      const parts = e.objectPath.split('/');
      const kind = KIND_OF_PLURAL[parts[parts.length - 2] ?? ''] ?? parts[parts.length - 2];
      return `${e.method} ${kind}/${parts[parts.length - 1]}`;
    });
}

