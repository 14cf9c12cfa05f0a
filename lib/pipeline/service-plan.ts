// What one service's push must do, from what it should be (the render), what state says
// was applied, and what the cluster holds. Pure. An object state remembers but the
// cluster lost, or holds with another content hash or generation (a hand edit), is applied
// again; an owned object of the service that neither state nor the render knows (left by a
// lost state write) is deleted; a live object already equal to the render is adopted
// without a write.
//
// An object state recorded of a kind the cluster does not list (`listedKinds`: VirtualServices
// once governance is turned off, EnvoyFilters once rate limiting is) is not taken for gone:
// the cluster cannot show it, so state alone decides, as for a push that did not look, and
// it is deleted. Taken for gone, it would be dropped from state and left in the cluster,
// still routing or rate-limiting traffic that nobody renders any more.
import { CONTENT_HASH_ANNOTATION } from '../model/ownership.ts';
import type { IstioKind, IstioObject } from '../model/istio.ts';
import { keyOfRef, keyOfObject } from '../model/istio.ts';
import { hashOf, refOfKey, type ObjectRef } from '../plan/object-plan.ts';
import type { ServiceState } from '../state/state-store.ts';
import { decodeApplied, encodeApplied } from './applied-entry.ts';
import type { LiveObject } from './contracts.ts';

export interface ServicePlan {
  /** objects to write; the ServiceEntry first when it is new to us */
  apply: IstioObject[];
  /** owned objects no longer wanted, sorted by key */
  delete: ObjectRef[];
  unchanged: number;
  /** desired objects under a name this service did not have applied (new instances, a new SE) */
  creates: number;
  /** objects re-applied or deleted because the cluster differs from state */
  drifted: number;
  /** objectKey → state entry of every object kept as it is (unchanged or adopted) */
  keep: Record<string, string>;
  /** objectKey → content hash of every desired object */
  desiredHashes: Record<string, string>;
  /** objectKey → state entry of every object to delete, kept if its deletion does not happen */
  deleteEntries: Record<string, string>;
  /** how many of `delete` may go (the guard lowers it); the rest stay owned and in state */
  allowedDeletes: number;
  refusal?: string;
  /** a ServiceEntry not yet ours: written alone first, so a name taken by a foreign object publishes nothing else */
  serviceEntryFirst: boolean;
  live: LiveObject[] | undefined;
}

/**
 * `live` undefined: the cluster was not looked at (state alone decides); otherwise every
 * owned object of this service that the cluster holds, of `listedKinds` (absent: of every
 * kind; ClusterTarget.kinds).
 */
export function planService(desired: readonly IstioObject[], previous: ServiceState | undefined, live: readonly LiveObject[] | undefined, listedKinds?: readonly IstioKind[]): ServicePlan {
  const liveByKey = new Map<string, LiveObject>();
  for (const o of live ?? []) liveByKey.set(keyOfRef(o), o);
  const recorded = previous?.objects ?? {};
  /** whether the cluster's listing shows `key`'s kind at all */
  const seen = (key: string): boolean => live !== undefined && (listedKinds === undefined || listedKinds.includes(refOfKey(key).kind));
  const plan: ServicePlan = {
    apply: [],
    delete: [],
    unchanged: 0,
    creates: 0,
    drifted: 0,
    keep: {},
    desiredHashes: {},
    deleteEntries: {},
    allowedDeletes: 0,
    serviceEntryFirst: false,
    live: live === undefined ? undefined : [...live],
  };

  /** the hash the cluster is known to hold, or undefined when it must be written */
  const inCluster = (key: string): { hash: string; entry: string } | undefined => {
    const stored = recorded[key];
    const l = liveByKey.get(key);
    if (stored !== undefined) {
      const entry = decodeApplied(stored);
      if (!seen(key)) return { hash: entry.hash, entry: stored };
      if (l === undefined) return undefined;
      const liveHash = l.annotations[CONTENT_HASH_ANNOTATION];
      const editedSpec = entry.generation !== undefined && l.generation !== undefined && l.generation !== entry.generation;
      if (liveHash !== entry.hash || editedSpec) return undefined;
      return { hash: entry.hash, entry: stored };
    }
    // Not in state, but ours in the cluster: adopted when it already is what we would write.
    const liveHash = l?.annotations[CONTENT_HASH_ANNOTATION];
    if (l !== undefined && liveHash !== undefined) return { hash: liveHash, entry: encodeApplied(liveHash, l.generation) };
    return undefined;
  };

  const wanted = new Set<string>();
  const first: IstioObject[] = [];
  for (const object of desired) {
    const key = keyOfObject(object);
    const hash = hashOf(object);
    wanted.add(key);
    plan.desiredHashes[key] = hash;
    if (recorded[key] === undefined) plan.creates++;
    const held = inCluster(key);
    if (held !== undefined && held.hash === hash) {
      plan.unchanged++;
      plan.keep[key] = held.entry;
      continue;
    }
    if (recorded[key] !== undefined && seen(key) && held === undefined) plan.drifted++;
    if (object.kind === 'ServiceEntry' && recorded[key] === undefined && !liveByKey.has(key)) {
      plan.serviceEntryFirst = true;
      first.push(object);
    } else plan.apply.push(object);
  }
  plan.apply = [...first, ...plan.apply];

  const deletes = new Set<string>();
  for (const key of Object.keys(recorded)) {
    if (wanted.has(key)) continue;
    // Gone from the cluster already: nothing to delete, nothing to remember.
    if (seen(key) && !liveByKey.has(key)) continue;
    deletes.add(key);
    plan.deleteEntries[key] = recorded[key] as string;
  }
  for (const key of liveByKey.keys()) {
    if (wanted.has(key) || recorded[key] !== undefined) continue;
    deletes.add(key);
    plan.drifted++;
  }
  plan.delete = [...deletes].sort().map(refOfKey);
  plan.allowedDeletes = plan.delete.length;
  return plan;
}
