// Diff before write: what must change in the cluster so it holds exactly the desired
// objects of one service, given the content hashes last applied. Pure and cheap: a push
// writes only objects whose hash changed and deletes only objects it owns that are no
// longer wanted; a run where nothing changed plans nothing.
import { keyOfObject, type IstioKind, type IstioObject } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION } from '../model/ownership.ts';
import { shortHash } from '../names/hash.ts';

export interface ObjectRef {
  kind: IstioKind;
  namespace: string;
  name: string;
}

/** objectKey (kind/namespace/name) → content hash */
export type AppliedHashes = Readonly<Record<string, string>>;

export interface ObjectPlan {
  apply: IstioObject[];
  delete: ObjectRef[];
  unchanged: number;
  /** what the state should hold once the plan has been carried out */
  next: Record<string, string>;
}

export function hashOf(object: IstioObject): string {
  const hash = object.metadata.annotations[CONTENT_HASH_ANNOTATION];
  if (hash === undefined) throw new Error(`${object.kind}/${object.metadata.name} has no ${CONTENT_HASH_ANNOTATION} annotation (not rendered by sc2mesh?)`);
  return hash;
}

export function refOfKey(key: string): ObjectRef {
  const [kind, namespace, name] = key.split('/') as [IstioKind, string, string];
  return { kind, namespace, name };
}

export function planObjects(desired: readonly IstioObject[], applied: AppliedHashes | undefined): ObjectPlan {
  const plan: ObjectPlan = { apply: [], delete: [], unchanged: 0, next: {} };
  for (const object of desired) {
    const key = keyOfObject(object);
    const hash = hashOf(object);
    plan.next[key] = hash;
    if (applied?.[key] === hash) plan.unchanged++;
    else plan.apply.push(object);
  }
  if (applied !== undefined) {
    for (const key of Object.keys(applied).sort()) if (!(key in plan.next)) plan.delete.push(refOfKey(key));
  }
  return plan;
}

/** Hash of a service's whole desired state: equal hashes mean nothing to push. */
export function desiredHashOf(hashes: Readonly<Record<string, string>>): string {
  let text = '';
  for (const key of Object.keys(hashes).sort()) text += `${key}=${hashes[key]}\n`;
  return shortHash(text);
}
