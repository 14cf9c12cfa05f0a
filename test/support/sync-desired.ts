// A whole desired set written through the real writer, the way the tests and the kube bench
// want it: list what is owned, apply what changed (by content hash), delete owned objects
// no longer desired unless the mass-deletion guard refuses. The product never does this in
// one step (it plans per service: lib/pipeline/service-plan.ts), so it lives here.
import { keyOfRef, keyOfObject, type IstioObject } from '../../lib/model/istio.ts';
import { checkDeletions, DEFAULT_DELETION_GUARD, type DeletionGuardConfig } from '../../lib/plan/deletion-guard.ts';
import type { ApplyReport, DeleteReport, KubeClusterWriter } from '../../lib/kube/index.ts';

export interface SyncDesiredReport {
  owned: number;
  apply: ApplyReport;
  delete: DeleteReport;
  /** owned objects no longer desired, sorted */
  plannedDeletes: string[];
  /** set when the guard refused the deletions (applies still ran) */
  deletionsRefused?: string;
}

export async function syncDesired(writer: KubeClusterWriter, desired: readonly IstioObject[], options: { dryRun?: boolean; guard?: Partial<DeletionGuardConfig> } = {}): Promise<SyncDesiredReport> {
  const owned = await writer.listOwned();
  const wanted = new Set(desired.map((o) => keyOfObject(o)));
  const deletes = owned
    .filter((o) => !wanted.has(keyOfRef(o)))
    .map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name }))
    .sort((a, b) => keyOfRef(a).localeCompare(keyOfRef(b)));
  const verdict = checkDeletions(deletes.length, owned.length, { ...DEFAULT_DELETION_GUARD, ...options.guard });
  const dryRun = options.dryRun === true;
  const apply = await writer.apply(desired, { owned, skipUnchanged: true, dryRun });
  const refused = verdict.allowed ? undefined : verdict.reason;
  const del = refused === undefined ? await writer.delete(deletes, { owned, dryRun }) : { dryRun, deleted: [], absent: [], conflicts: [], failed: [] };
  return { owned: owned.length, apply, delete: del, plannedDeletes: deletes.map((r) => keyOfRef(r)), ...(refused === undefined ? {} : { deletionsRefused: refused }) };
}
