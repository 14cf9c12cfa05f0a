// What a full sync deletes: owned objects (this source's marks) that the desired set no
// longer holds — and whether the mass-deletion guard lets it. Pure.
import { objectKey, type IstioObject } from '../model/istio.ts';
import { checkDeletions, DEFAULT_DELETION_GUARD, type DeletionGuardConfig, type GuardVerdict } from '../plan/deletion-guard.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { LiveObject } from '../pipeline/ports.ts';

export interface PrunePlan {
  deletes: ObjectRef[];
  owned: number;
  verdict: GuardVerdict;
}

export function planPrune(desired: readonly IstioObject[], owned: readonly LiveObject[], guard: Partial<DeletionGuardConfig> = {}): PrunePlan {
  const wanted = new Set(desired.map((o) => objectKey(o.kind, o.metadata.namespace, o.metadata.name)));
  const deletes = owned
    .filter((o) => !wanted.has(objectKey(o.kind, o.namespace, o.name)))
    .map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name }))
    .sort((a, b) => objectKey(a.kind, a.namespace, a.name).localeCompare(objectKey(b.kind, b.namespace, b.name)));
  const verdict = checkDeletions(deletes.length, owned.length, { ...DEFAULT_DELETION_GUARD, ...guard });
  return { deletes, owned: owned.length, verdict };
}
