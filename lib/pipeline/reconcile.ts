// Drift repair: compare what the cluster actually holds (metadata only) with what should
// be there and what state says was written, and repair the difference. A hand-deleted
// object is missing; a hand-edited one shows a different content-hash annotation or a
// metadata.generation other than the one recorded after our write. Owned objects nothing
// wants any more are deleted (guarded). `resync` runs it over everything; the per-minute
// audit over a rotating slice of shards.
import type { Logger } from '../log.ts';
import { objectKey, type IstioObject } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, SERVICE_KEY_ANNOTATION, SHARD_LABEL } from '../model/ownership.ts';
import type { RenderOptions } from '../render/options.ts';
import { checkDeletions, type DeletionGuardConfig } from '../plan/deletion-guard.ts';
import { desiredHashOf, hashOf, refOfKey } from '../plan/object-plan.ts';
import type { ServiceState, StateStore } from '../state/state-store.ts';
import { AUDIT_SHARDS } from '../names/service-names.ts';
import { decodeApplied, encodeApplied, hashesOf } from './applied-entry.ts';
import { desiredState, type DesiredState } from './desired-state.ts';
import type { LiveObject, PipelineDeps } from './ports.ts';
import type { PipelineMetrics } from './metrics.ts';

export type ReconcileDeps = PipelineDeps;

export interface ReconcileReport {
  outcome: 'ok' | 'registry-unavailable' | 'deletions-refused' | 'partial';
  /** shards looked at (all of them for a resync) */
  shards: number[] | 'all';
  checked: number;
  missing: number;
  edited: number;
  applied: number;
  deleted: number;
  conflicts: number;
  failed: number;
  message?: string;
}

function keyOfLive(o: LiveObject): string {
  return objectKey(o.kind, o.namespace, o.name);
}

/**
 * Reconciles the given shards (or everything). `desired` may come from a sync that just
 * rendered the registry; otherwise the registry is read here.
 */
export async function reconcile(
  deps: ReconcileDeps,
  correlationId: string,
  options: { shards?: readonly number[]; desired?: DesiredState } = {},
): Promise<ReconcileReport> {
  const log = deps.logger.child({ correlationId, run: options.shards === undefined ? 'resync' : 'audit' });
  const report: ReconcileReport = {
    outcome: 'ok',
    shards: options.shards === undefined ? 'all' : [...options.shards],
    checked: 0,
    missing: 0,
    edited: 0,
    applied: 0,
    deleted: 0,
    conflicts: 0,
    failed: 0,
  };
  let desired = options.desired;
  if (desired === undefined) {
    try {
      desired = desiredState(await deps.registry.readAll(), deps.render);
    } catch (error) {
      deps.metrics.add('registry_unavailable');
      report.outcome = 'registry-unavailable';
      report.message = `registry unavailable: ${(error as Error).message}; nothing repaired, nothing deleted`;
      log.error({ err: error }, report.message);
      return report;
    }
  }
  const inScope = (o: IstioObject): boolean => options.shards === undefined || options.shards.includes(Number(o.metadata.labels[SHARD_LABEL]));

  const live = await deps.cluster.listOwned(options.shards === undefined ? {} : { shards: options.shards });
  const liveByKey = new Map(live.map((o) => [keyOfLive(o), o]));
  const wanted = new Map<string, { object: IstioObject; serviceKey: string }>();
  for (const service of desired.services.values()) {
    for (const o of service.objects) if (inScope(o)) wanted.set(objectKey(o.kind, o.metadata.namespace, o.metadata.name), { object: o, serviceKey: service.serviceKey });
  }
  // Services that own something in scope: their state tells which generation we wrote.
  const serviceKeys = new Set<string>([...wanted.values()].map((w) => w.serviceKey));
  for (const o of live) {
    const key = o.annotations[SERVICE_KEY_ANNOTATION];
    if (key !== undefined) serviceKeys.add(key);
  }
  const { services: states } = await deps.state.getServices([...serviceKeys]);

  const repairs: IstioObject[] = [];
  for (const [key, { object, serviceKey }] of wanted) {
    report.checked++;
    const current = liveByKey.get(key);
    if (current === undefined) {
      report.missing++;
      repairs.push(object);
      continue;
    }
    const recorded = states.get(serviceKey)?.objects[key];
    const generation = recorded === undefined ? undefined : decodeApplied(recorded).generation;
    const hashDiffers = current.annotations[CONTENT_HASH_ANNOTATION] !== hashOf(object);
    const specEdited = generation !== undefined && current.generation !== undefined && current.generation !== generation;
    if (hashDiffers || specEdited) {
      report.edited++;
      repairs.push(object);
    }
  }
  // A skipped service keeps what it last published: its objects are not strays.
  const skipped = new Set(desired.skipped.map((s) => s.key));
  const orphans = live.filter((o) => !wanted.has(keyOfLive(o)) && !skipped.has(o.annotations[SERVICE_KEY_ANNOTATION] ?? ''));

  const verdict = checkDeletions(orphans.length, Math.max(live.length, 1), deps.guard);
  if (!verdict.allowed) {
    deps.metrics.add('deletions_refused');
    report.outcome = 'deletions-refused';
    report.message = verdict.reason;
    log.error({ orphans: orphans.length, live: live.length }, verdict.reason);
  }

  const appliedGen = new Map<string, number | undefined>();
  if (repairs.length > 0) {
    const outcome = await deps.cluster.apply(repairs);
    for (const a of outcome.applied) appliedGen.set(a.key, a.generation);
    report.applied = outcome.applied.length;
    report.conflicts += outcome.conflicts.length;
    report.failed += outcome.failed.length;
  }
  const deletedKeys = new Set<string>();
  if (orphans.length > 0 && verdict.allowed) {
    const outcome = await deps.cluster.delete(orphans.map((o) => refOfKey(keyOfLive(o))));
    for (const k of [...outcome.deleted, ...outcome.absent]) deletedKeys.add(k);
    report.deleted = outcome.deleted.length;
    report.conflicts += outcome.conflicts.length;
    report.failed += outcome.failed.length;
  }
  deps.metrics.add('drift_repaired', report.applied);
  deps.metrics.add('objects_applied', report.applied);
  deps.metrics.add('objects_deleted', report.deleted);
  deps.metrics.add('conflicts', report.conflicts);

  // Record what is now in the cluster for every service touched, so the sync and the
  // next audit agree with it. Only changed records are written.
  const touched = new Set<string>();
  for (const key of appliedGen.keys()) touched.add((wanted.get(key) as { serviceKey: string }).serviceKey);
  for (const o of orphans) if (deletedKeys.has(keyOfLive(o))) touched.add(o.annotations[SERVICE_KEY_ANNOTATION] ?? '');
  for (const serviceKey of touched) {
    if (serviceKey === '') continue;
    const previous: ServiceState | undefined = states.get(serviceKey);
    const objects: Record<string, string> = { ...(previous?.objects ?? {}) };
    for (const [key, generation] of appliedGen) {
      const w = wanted.get(key);
      if (w?.serviceKey === serviceKey) objects[key] = encodeApplied(hashOf(w.object), generation);
    }
    for (const key of deletedKeys) delete objects[key];
    try {
      if (Object.keys(objects).length === 0) {
        if (previous !== undefined) await deps.state.deleteService(serviceKey, previous);
      } else {
        await deps.state.putService({ serviceKey, registryHash: desiredHashOf(hashesOf(objects)), objects, lastPushAt: deps.now(), lastPushCorrelationId: correlationId }, previous);
      }
    } catch (error) {
      // A push recorded this service meanwhile; it converged it too, so nothing is lost.
      log.warn({ serviceKey, err: error }, 'state changed during reconcile; left to the push that changed it');
    }
  }
  if (report.outcome === 'ok' && report.failed + report.conflicts > 0) report.outcome = 'partial';
  log.info({ ...report }, 'reconcile done');
  return report;
}

/**
 * The shards the audit looks at in the run of minute `nowMs`: the slice comes from the
 * clock, not from a stored cursor, so the audit adds no state write to a quiet minute,
 * and every shard is seen once per `periodMinutes` when the sync runs every minute.
 */
export function auditShardsAt(nowMs: number, periodMinutes: number, shards = AUDIT_SHARDS): number[] {
  const perRun = Math.max(1, Math.ceil(shards / Math.max(1, periodMinutes)));
  const slices = Math.ceil(shards / perRun);
  const slice = Math.floor(nowMs / 60_000) % slices;
  const out: number[] = [];
  for (let s = slice * perRun; s < Math.min(shards, (slice + 1) * perRun); s++) out.push(s);
  return out;
}
