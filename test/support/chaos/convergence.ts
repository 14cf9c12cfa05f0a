// What "converged" means in the resilience suite: the ServiceEntries and WorkloadEntries
// the API server holds equal (name and spec) what rendering the simulator's registry
// gives, compared key-order-independently; and the state table remembers exactly the
// owned objects the cluster holds, with their content hashes.
import { SERVICE_LABEL } from '../../../lib/model/ownership.ts';
import type { IstioKind } from '../../../lib/model/istio.ts';
import { objectKey } from '../../../lib/model/istio.ts';
import { CONTENT_HASH_ANNOTATION, isOwnedBy } from '../../../lib/model/ownership.ts';
import { parseGovernDump } from '../../../lib/model/govern-dump.ts';
import { renderRegistry } from '../../../lib/render/render-registry.ts';
import type { RenderOptions } from '../../../lib/render/options.ts';
import { decodeApplied } from '../../../lib/pipeline/applied-entry.ts';
import type { StateStore } from '../../../lib/state/state-store.ts';
import type { KubeApiServer, JsonObject } from '../kube-api-server/index.ts';
import type { RegistrySimulator } from '../../../lib/registry-simulator/simulator.ts';

/** `Kind/name` → spec */
export type View = Record<string, unknown>;

export const VIEW_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry'];

interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const metaOf = (o: JsonObject): Meta => o['metadata'] as unknown as Meta;

/** Every object of the namespace, except the `Kind/name` keys in `exclude`. */
export function clusterView(kube: KubeApiServer, namespace: string, exclude: ReadonlySet<string> = new Set()): View {
  const view: View = {};
  for (const kind of VIEW_KINDS) {
    for (const o of kube.store.list(kind, namespace)) {
      const key = `${kind}/${metaOf(o).name}`;
      if (!exclude.has(key)) view[key] = o['spec'];
    }
  }
  return view;
}

/** What the simulator's registry renders to now, except the keys in `exclude`. */
export function registryView(sim: RegistrySimulator, render: RenderOptions, exclude: ReadonlySet<string> = new Set()): View {
  const { services, rejected } = parseGovernDump({ allServicesDetail: sim.governDump() });
  if (rejected.length > 0) throw new Error(`simulator dump has malformed entries: ${JSON.stringify(rejected).slice(0, 500)}`);
  const view: View = {};
  const objects = renderRegistry(services, render).objects;
  // A service whose ServiceEntry name a foreign object holds publishes nothing at all.
  const blocked = new Set(objects.filter((o) => o.kind === 'ServiceEntry' && exclude.has(`ServiceEntry/${o.metadata.name}`)).map((o) => o.metadata.name));
  for (const o of objects) {
    if (blocked.has(o.metadata.labels[SERVICE_LABEL] ?? '')) continue;
    const key = `${o.kind}/${o.metadata.name}`;
    // JSON round trip: the API server stores JSON, so undefined fields are absent there too
    if (!exclude.has(key)) view[key] = JSON.parse(JSON.stringify(o.spec)) as unknown;
  }
  return view;
}

/** JSON with object keys sorted (the API server keeps keys in its own order). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export interface ViewDifference {
  key: string;
  cluster: string | undefined;
  registry: string | undefined;
}

/** The keys on which the two views differ (empty: converged), with both sides for the failure message. */
export function viewDifferences(cluster: View, registry: View): ViewDifference[] {
  const keys = [...new Set([...Object.keys(cluster), ...Object.keys(registry)])].sort();
  const out: ViewDifference[] = [];
  for (const key of keys) {
    const a = key in cluster ? canonical(cluster[key]) : undefined;
    const b = key in registry ? canonical(registry[key]) : undefined;
    if (a !== b) out.push({ key, cluster: a?.slice(0, 300), registry: b?.slice(0, 300) });
  }
  return out;
}

/**
 * Disagreements between the state table and the owned objects in the cluster: an object
 * in one and not the other, a hash that differs, a corrupt item. Empty when consistent.
 */
export async function stateProblems(state: StateStore, kube: KubeApiServer, namespace: string, source: string): Promise<string[]> {
  const problems: string[] = [];
  const listing = await state.listServicesWithObjects();
  for (const c of listing.corrupt) problems.push(`corrupt state item ${c.pk}/${c.sk}: ${c.message}`);
  const recorded = new Map<string, string>();
  for (const s of listing.items) for (const [key, value] of Object.entries(s.objects)) recorded.set(key, decodeApplied(value).hash);
  const live = new Map<string, string | undefined>();
  for (const kind of VIEW_KINDS) {
    for (const o of kube.store.list(kind, namespace)) {
      const m = metaOf(o);
      if (isOwnedBy(m.labels, source)) live.set(objectKey(kind, m.namespace, m.name), m.annotations?.[CONTENT_HASH_ANNOTATION]);
    }
  }
  for (const [key, hash] of live) {
    const known = recorded.get(key);
    if (known === undefined) problems.push(`${key}: in the cluster, not in state`);
    else if (known !== hash) problems.push(`${key}: state hash ${known}, cluster hash ${String(hash)}`);
  }
  for (const key of recorded.keys()) if (!live.has(key)) problems.push(`${key}: in state, not in the cluster`);
  return problems;
}
