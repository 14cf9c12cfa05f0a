// Carries out one service's plan and records what was applied: writes, then the deletions
// the guard allows, then one conditional state write. What state records is what the
// cluster holds for the service; its objectsHash says whether the next sync has anything
// left to do: it equals the render's hash once the service has converged, counting an
// object under a name a foreign object holds as done (a conflict is reported on every
// push of the service and by resync, not retried every minute; a service whose
// ServiceEntry name is taken counts as done as a whole), and differs while a write failed
// or a deletion was withheld (so the sync tries those again).
import { keyOfRef, keyOfObject, type IstioObject } from '../model/istio.ts';
import { desiredHashOf, hashOf } from '../plan/object-plan.ts';
import type { PreviousService, ServiceState } from '../state/state-store.ts';
import { encodeApplied, hashesOf } from './applied-entry.ts';
import type { PipelineDeps } from './contracts.ts';
import type { ServicePlan } from './service-plan.ts';

/**
 * How long a write whose answer never came may still be carried out by the API server:
 * kube-apiserver's default --request-timeout (1m0s) bounds how long it works on a request.
 */
export const UNSETTLED_WINDOW_MS = 60_000;

export type ServiceOutcome = 'pushed' | 'unchanged' | 'removed' | 'skipped' | 'failed' | 'refused' | 'conflict';

export interface ServicePushResult {
  serviceKey: string;
  outcome: ServiceOutcome;
  applied: number;
  deleted: number;
  conflicts: number;
  /** deletions the guard withheld */
  refusedDeletes: number;
  reason?: string;
}

export interface PlanToExecute {
  serviceKey: string;
  plan: ServicePlan;
  previous: ServiceState | undefined;
  /** condition of the state write: what was read, or the version of a corrupt item */
  condition: PreviousService | undefined;
  /** the registry says the service is gone */
  removal: boolean;
}

export type ExecuteDeps = Pick<PipelineDeps, 'cluster' | 'state' | 'metrics' | 'logger' | 'clock'>;

export async function executeServicePlan(item: PlanToExecute, deps: ExecuteDeps, correlationId: string): Promise<ServicePushResult> {
  const { serviceKey, plan } = item;
  const result: ServicePushResult = { serviceKey, outcome: 'unchanged', applied: 0, deleted: 0, conflicts: 0, refusedDeletes: 0 };
  const next: Record<string, string> = { ...plan.keep };
  const conflicted: Record<string, string> = {};
  const reasons: string[] = [];
  let failed = false;
  let uncertain = false;

  const write = async (objects: readonly IstioObject[]): Promise<boolean> => {
    if (objects.length === 0) return true;
    const outcome = await deps.cluster.apply(objects);
    const byKey = new Map(objects.map((o) => [keyOfObject(o), o]));
    for (const a of outcome.applied) next[a.key] = encodeApplied(hashOf(byKey.get(a.key) as IstioObject), a.generation);
    result.applied += outcome.applied.length;
    for (const c of outcome.conflicts) {
      conflicted[c.key] = plan.desiredHashes[c.key] ?? '';
      reasons.push(`${c.key}: ${c.reason}`);
      deps.logger.warn({ correlationId, serviceKey, object: c.key, reason: c.reason }, 'conflict: object exists without sc2mesh ownership; left alone');
    }
    result.conflicts += outcome.conflicts.length;
    if ((outcome.uncertain?.length ?? 0) > 0) uncertain = true;
    for (const f of outcome.failed) reasons.push(`${f.key}: ${f.error}`);
    if (outcome.failed.length > 0) failed = true;
    return outcome.conflicts.length === 0 && outcome.failed.length === 0;
  };

  let blocked = false;
  if (plan.serviceEntryFirst) {
    // A WorkloadEntry, DestinationRule or VirtualService without its ServiceEntry serves no caller: when the
    // name is someone else's, nothing of the service is published.
    blocked = !(await write(plan.apply.slice(0, 1)));
    if (!blocked) await write(plan.apply.slice(1));
  } else {
    await write(plan.apply);
  }

  const allowed = blocked ? 0 : plan.allowedDeletes;
  const toDelete = plan.delete.slice(0, allowed);
  for (const ref of plan.delete.slice(allowed)) {
    const key = keyOfRef(ref);
    const entry = plan.deleteEntries[key];
    if (entry !== undefined) next[key] = entry;
  }
  if (!blocked) result.refusedDeletes = plan.delete.length - allowed;
  if (toDelete.length > 0) {
    const outcome = await deps.cluster.delete(toDelete);
    result.deleted = outcome.deleted.length;
    if ((outcome.uncertain?.length ?? 0) > 0) uncertain = true;
    result.conflicts += outcome.conflicts.length;
    // A delete that failed stays in state, so the next push tries again.
    for (const f of outcome.failed) {
      const entry = plan.deleteEntries[f.key];
      if (entry !== undefined) next[f.key] = entry;
      failed = true;
      reasons.push(`${f.key}: ${f.error}`);
    }
  }

  deps.metrics.add('objects_applied', result.applied);
  deps.metrics.add('objects_deleted', result.deleted);
  deps.metrics.add('objects_unchanged', plan.unchanged);
  deps.metrics.add('conflicts', result.conflicts);
  if (!failed) deps.metrics.add('drift_repaired', plan.drifted);

  const now = deps.clock.now();
  const earlier = item.previous?.unsettledAt;
  const unsettledAt = uncertain ? now : earlier !== undefined && now - earlier < UNSETTLED_WINDOW_MS ? earlier : undefined;
  const recorded = Object.keys(next).length;
  const hasConflicts = Object.keys(conflicted).length > 0;
  if (recorded === 0 && !hasConflicts && unsettledAt === undefined) {
    if (item.condition !== undefined) await deps.state.deleteService(serviceKey, item.condition);
  } else {
    await deps.state.putService(
      { serviceKey, objectsHash: desiredHashOf({ ...hashesOf(next), ...(blocked ? plan.desiredHashes : conflicted) }), objects: next, lastPushAt: now, lastPushCorrelationId: correlationId, ...(unsettledAt === undefined ? {} : { unsettledAt }) },
      item.condition,
    );
  }

  if (result.refusedDeletes > 0 && plan.refusal !== undefined) reasons.push(`${result.refusedDeletes} deletions withheld: ${plan.refusal}`);
  if (reasons.length > 0) result.reason = reasons.join('; ');
  if (failed) return { ...result, outcome: 'failed' };
  if (hasConflicts) return { ...result, outcome: 'conflict' };
  if (result.refusedDeletes > 0) return { ...result, outcome: 'refused' };
  if (item.removal && Object.keys(plan.desiredHashes).length === 0 && item.previous !== undefined) return { ...result, outcome: 'removed' };
  return { ...result, outcome: result.applied + result.deleted > 0 ? 'pushed' : 'unchanged' };
}
