// What runs every minute (the sync function, the local runner's timer): the sync, then a
// drift audit of the shards due this minute, reusing the sync's render. A run record is
// written only when the run found something, so a quiet minute writes nothing at all.
import { reconcile, auditShardsAt, type ReconcileReport } from './reconcile.ts';
import { syncOnce, type SyncDeps, type SyncReport } from './sync.ts';
import type { ClusterTarget } from './ports.ts';

export interface ScheduledSyncDeps extends SyncDeps {
  /** absent: no audit (e.g. a manifests folder nobody edits) */
  cluster?: ClusterTarget;
  auditPeriodMinutes: number;
}

export interface ScheduledSyncReport {
  sync: Omit<SyncReport, 'desired'>;
  audit?: ReconcileReport;
}

export async function runScheduledSync(deps: ScheduledSyncDeps, correlationId: string): Promise<ScheduledSyncReport> {
  const startedAt = deps.now();
  const { desired, ...sync } = await syncOnce(deps, correlationId);
  const report: ScheduledSyncReport = { sync };
  // The audit trusts the render as much as the sync does: when the sync refused the
  // removals (the registry lost too much at once to be believed), an audit of one slice
  // would otherwise delete that slice's objects, a slice a minute, past the guard.
  if (deps.cluster !== undefined && desired !== undefined && sync.outcome === 'ok') {
    const shards = auditShardsAt(startedAt, deps.auditPeriodMinutes);
    report.audit = await reconcile({ ...deps, cluster: deps.cluster }, correlationId, { shards, desired });
  }
  const audit = report.audit;
  const eventful =
    sync.outcome !== 'ok' || sync.dirty.length + sync.removed.length + sync.skipped.length > 0 || (audit !== undefined && (audit.applied + audit.deleted + audit.conflicts + audit.failed > 0 || audit.outcome !== 'ok'));
  if (eventful) {
    await deps.state.recordRun({
      id: correlationId,
      kind: 'sync',
      startedAt,
      finishedAt: deps.now(),
      outcome: sync.outcome === 'ok' ? (audit?.outcome === 'partial' ? 'partial' : 'ok') : sync.outcome === 'registry-unavailable' ? 'error' : 'refused',
      counts: {
        services: sync.services,
        dirty: sync.dirty.length,
        removed: sync.removed.length,
        skipped: sync.skipped.length,
        auditChecked: audit?.checked ?? 0,
        repaired: audit?.applied ?? 0,
        auditDeleted: audit?.deleted ?? 0,
      },
      ...(sync.message === undefined ? {} : { message: sync.message }),
    });
  }
  return report;
}
