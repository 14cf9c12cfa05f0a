// A push converges the cluster to the registry for some services: read their current
// registrations (level-triggered: the event that marked them dirty is not trusted), render,
// write only objects whose hash changed, delete only owned objects no longer wanted, record
// what was applied. Safe to run any number of times; one failing service never stops the
// others.
import type { Logger } from '../log.ts';
import type { IstioObject } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { objectKey } from '../model/istio.ts';
import type { RenderOptions } from '../render/options.ts';
import { renderService } from '../render/render-service.ts';
import { parseServiceKey, serviceKeyOf } from '../names/service-names.ts';
import { groupServices, partsOf } from '../render/service-group.ts';
import { planObjects, desiredHashOf, hashOf, type ObjectRef } from '../plan/object-plan.ts';
import { checkDeletions, type DeletionGuardConfig, type GuardVerdict } from '../plan/deletion-guard.ts';
import type { PreviousService, ServiceState, StateStore } from '../state/state-store.ts';
import { CorruptStateError, StaleStateError } from '../state/state-store.ts';
import { PARTITION } from '../state/table.ts';
import { encodeApplied, hashesOf } from './applied-entry.ts';
import type { PipelineDeps } from './ports.ts';
import type { PipelineMetrics } from './metrics.ts';

export type PushDeps = PipelineDeps;

export type ServiceOutcome = 'pushed' | 'unchanged' | 'removed' | 'skipped' | 'failed' | 'refused';

export interface ServicePushResult {
  serviceKey: string;
  outcome: ServiceOutcome;
  applied: number;
  deleted: number;
  conflicts: number;
  reason?: string;
}

export interface PushReport {
  results: ServicePushResult[];
  applied: number;
  deleted: number;
  unchanged: number;
  /** keys whose push failed and must be retried (their queue messages are reported as failures) */
  failedKeys: string[];
}

interface Prepared {
  serviceKey: string;
  previous: ServiceState | undefined;
  /** version of a corrupt state item: written over (its objects unknown, so all re-applied) */
  corruptVersion?: number | undefined;
  desired: IstioObject[];
}

function emptyResult(serviceKey: string, outcome: ServiceOutcome, reason?: string): ServicePushResult {
  return { serviceKey, outcome, applied: 0, deleted: 0, conflicts: 0, ...(reason === undefined ? {} : { reason }) };
}

/** Renders one service's current registrations; a skip keeps what was last published. */
function desiredFor(serviceKey: string, details: readonly ServiceDetail[] | undefined, options: RenderOptions): { objects: IstioObject[] } | { skipped: string } {
  if (details === undefined || details.length === 0) return { objects: [] };
  const groups = groupServices(details);
  const group = groups.find((g) => g.key === serviceKey);
  if (group === undefined) return { objects: [] };
  const result = renderService(group, options);
  if (!result.ok) return { skipped: result.skipped.reason };
  return { objects: result.service.objects };
}

async function pushOne(item: Prepared, deps: PushDeps, correlationId: string): Promise<ServicePushResult> {
  const { serviceKey, previous, desired } = item;
  // The condition of the state write: what was read, or the version of a corrupt item.
  const condition: PreviousService | undefined = previous ?? (item.corruptVersion === undefined ? undefined : { version: item.corruptVersion });
  const plan = planObjects(desired, previous === undefined ? undefined : hashesOf(previous.objects));
  const result = emptyResult(serviceKey, 'unchanged');
  const next: Record<string, string> = {};
  const byKey = new Map<string, IstioObject>();
  for (const o of plan.apply) byKey.set(objectKey(o.kind, o.metadata.namespace, o.metadata.name), o);

  // Unchanged objects keep what state knew about them (including the generation).
  for (const key of Object.keys(plan.next)) {
    const known = previous?.objects[key];
    if (known !== undefined && !byKey.has(key)) next[key] = known;
  }

  let failed = false;
  if (plan.apply.length > 0) {
    const outcome = await deps.cluster.apply(plan.apply);
    for (const a of outcome.applied) next[a.key] = encodeApplied(hashOf(byKey.get(a.key) as IstioObject), a.generation);
    result.applied = outcome.applied.length;
    result.conflicts += outcome.conflicts.length;
    for (const c of outcome.conflicts) deps.logger.warn({ correlationId, serviceKey, object: c.key, reason: c.reason }, 'conflict: object exists without sc2mesh ownership; left alone');
    if (outcome.failed.length > 0) {
      failed = true;
      result.reason = outcome.failed.map((f) => `${f.key}: ${f.error}`).join('; ');
    }
  }
  if (plan.delete.length > 0) {
    const outcome = await deps.cluster.delete(plan.delete);
    result.deleted = outcome.deleted.length;
    result.conflicts += outcome.conflicts.length;
    // A delete that failed stays in state, so the next push tries again.
    for (const f of outcome.failed) {
      const known = previous?.objects[f.key];
      if (known !== undefined) next[f.key] = known;
      failed = true;
      result.reason = [result.reason, `${f.key}: ${f.error}`].filter(Boolean).join('; ');
    }
  }
  deps.metrics.add('objects_applied', result.applied);
  deps.metrics.add('objects_deleted', result.deleted);
  deps.metrics.add('objects_unchanged', plan.unchanged);
  deps.metrics.add('conflicts', result.conflicts);

  const recordedAll = Object.keys(next).length;
  if (recordedAll === 0 && condition !== undefined) {
    await deps.state.deleteService(serviceKey, condition);
  } else if (recordedAll > 0) {
    await deps.state.putService(
      { serviceKey, registryHash: desiredHashOf(hashesOf(next)), objects: next, lastPushAt: deps.now(), lastPushCorrelationId: correlationId },
      condition,
    );
  }
  if (failed) return { ...result, outcome: 'failed' };
  if (desired.length === 0 && previous !== undefined) return { ...result, outcome: 'removed' };
  return { ...result, outcome: result.applied + result.deleted > 0 ? 'pushed' : 'unchanged' };
}

/** Pushes the given services. Throws only when the registry cannot be read at all. */
export async function pushServices(serviceKeys: readonly string[], deps: PushDeps, correlationId: string): Promise<PushReport> {
  const keys = [...new Set(serviceKeys)].sort();
  const report: PushReport = { results: [], applied: 0, deleted: 0, unchanged: 0, failedKeys: [] };
  if (keys.length === 0) return report;
  for (const key of keys) parseServiceKey(key); // a malformed key is a caller bug: fail loudly

  const registry = await deps.registry.readServices(keys);
  const { services: states, corrupt } = await deps.state.getServices(keys);
  const corruptVersions = new Map<string, number | undefined>();
  for (const c of corrupt) {
    if (c.pk === PARTITION.service) corruptVersions.set(c.sk, c.version);
    deps.logger.error({ correlationId, item: c }, 'corrupt state item; the service is pushed as if new and its record written over');
  }

  const prepared: Prepared[] = [];
  for (const serviceKey of keys) {
    const desired = desiredFor(serviceKey, registry.get(serviceKey), deps.render);
    if ('skipped' in desired) {
      deps.metrics.add('services_skipped');
      deps.logger.warn({ correlationId, serviceKey, reason: desired.skipped }, 'service skipped: bad registry data; its published objects are kept');
      report.results.push(emptyResult(serviceKey, 'skipped', desired.skipped));
      continue;
    }
    prepared.push({ serviceKey, previous: states.get(serviceKey), corruptVersion: corruptVersions.get(serviceKey), desired: desired.objects });
  }

  // The guard looks at the whole batch: many services vanishing at once is a registry
  // problem far more often than a real decommissioning.
  const guarded = await guardDeletions(plannedDeletes(prepared), deps);
  if (!guarded.verdict.allowed) {
    deps.metrics.add('deletions_refused');
    deps.logger.error({ correlationId, deletes: guarded.deletes, owned: guarded.owned }, guarded.verdict.reason);
    for (const p of prepared) report.results.push(emptyResult(p.serviceKey, 'refused', guarded.verdict.reason));
    return report;
  }

  // A service gone from the registry altogether is removed only while the registry as a
  // whole still looks like itself: a wipe (a restarted, empty registry) arrives as many
  // small debounce cycles, each under the batch guard, and must not empty the mesh cycle
  // by cycle. The sync, which sees everything at once, applies the same rule.
  const removals = prepared.filter((p) => p.desired.length === 0 && p.previous !== undefined && !registry.has(p.serviceKey));
  let refusedRemovals: Set<Prepared> | undefined;
  if (removals.length > 0 && !deps.guard.force) {
    const wipe = await registryWipeVerdict(deps);
    if (!wipe.allowed) {
      deps.metrics.add('deletions_refused');
      deps.logger.error({ correlationId, services: removals.length }, `${wipe.reason}; services gone from the registry are kept`);
      refusedRemovals = new Set(removals);
      for (const p of removals) report.results.push(emptyResult(p.serviceKey, 'refused', wipe.reason));
    }
  }

  for (const item of prepared) {
    if (refusedRemovals?.has(item)) continue;
    let result: ServicePushResult;
    try {
      result = await pushOne(item, deps, correlationId);
    } catch (error) {
      if (error instanceof StaleStateError) {
        // Another push recorded this service meanwhile: converge again from fresh state.
        try {
          let fresh: ServiceState | undefined;
          let corruptVersion: number | undefined;
          try {
            fresh = await deps.state.getService(item.serviceKey);
          } catch (readError) {
            if (!(readError instanceof CorruptStateError)) throw readError;
            corruptVersion = readError.item.version;
          }
          result = await pushOne({ ...item, previous: fresh, corruptVersion }, deps, correlationId);
        } catch (again) {
          result = emptyResult(item.serviceKey, 'failed', (again as Error).message);
        }
      } else {
        result = emptyResult(item.serviceKey, 'failed', (error as Error).message);
      }
    }
    report.results.push(result);
  }

  for (const r of report.results) {
    report.applied += r.applied;
    report.deleted += r.deleted;
    if (r.outcome === 'unchanged') report.unchanged++;
    if (r.outcome === 'failed') {
      report.failedKeys.push(r.serviceKey);
      deps.metrics.add('services_failed');
      deps.logger.error({ correlationId, serviceKey: r.serviceKey, reason: r.reason }, 'push failed; will be retried');
    }
    if (r.outcome === 'pushed') deps.metrics.add('services_pushed');
    if (r.outcome === 'removed') deps.metrics.add('services_removed');
  }
  return report;
}

/** Would removing every owned service the registry no longer lists delete too much? */
async function registryWipeVerdict(deps: PushDeps): Promise<GuardVerdict> {
  const [all, listing] = await Promise.all([deps.registry.readAll(), deps.state.listServices()]);
  const present = new Set(all.map((d) => serviceKeyOf(partsOf(d.microService))));
  let owned = 0;
  let vanished = 0;
  for (const s of listing.items) {
    owned += s.objectCount;
    if (!present.has(s.serviceKey)) vanished += s.objectCount;
  }
  return checkDeletions(vanished, owned, deps.guard);
}

/** Owned objects that pushing these services would delete. */
function plannedDeletes(prepared: readonly Prepared[]): number {
  let deletes = 0;
  for (const p of prepared) {
    const wanted = new Set(p.desired.map((o) => objectKey(o.kind, o.metadata.namespace, o.metadata.name)));
    for (const key of Object.keys(p.previous?.objects ?? {})) if (!wanted.has(key)) deletes++;
  }
  return deletes;
}

export interface GuardedDeletes {
  verdict: GuardVerdict;
  deletes: number;
  owned: number;
}

async function guardDeletions(deletes: number, deps: PushDeps): Promise<GuardedDeletes> {
  if (deletes < deps.guard.minDeletesToCheck || deps.guard.force) return { verdict: { allowed: true }, deletes, owned: 0 };
  const listing = await deps.state.listServices();
  const owned = listing.items.reduce((n, s) => n + s.objectCount, 0);
  return { verdict: checkDeletions(deletes, owned, deps.guard), deletes, owned };
}

/**
 * The mass-deletion guard over a set of services that will be pushed in several calls
 * (the serverless push works through a debounce cycle in chunks): checked per chunk, a
 * registry that lost every service would be deleted chunk by chunk, each chunk a small
 * share of what is owned. Throws when the registry cannot be read.
 */
export async function checkPushDeletions(serviceKeys: readonly string[], deps: PushDeps): Promise<GuardedDeletes> {
  const keys = [...new Set(serviceKeys)];
  const registry = await deps.registry.readServices(keys);
  const { services: states } = await deps.state.getServices(keys);
  const prepared: Prepared[] = [];
  for (const serviceKey of keys) {
    const desired = desiredFor(serviceKey, registry.get(serviceKey), deps.render);
    if (!('skipped' in desired)) prepared.push({ serviceKey, previous: states.get(serviceKey), desired: desired.objects });
  }
  return guardDeletions(plannedDeletes(prepared), deps);
}

export type { ObjectRef };
