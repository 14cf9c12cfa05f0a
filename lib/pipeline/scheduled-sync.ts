// What runs every minute (the sync function, the local runner's timer): the sync, then a
// drift audit of the shards due this minute, reusing the sync's render. A run record is
// written only when the run found something, so a quiet minute writes nothing at all.
import { reconcile, auditShardsAt, type ReconcileReport } from './reconcile.ts';
import { syncOnce, type SyncDeps, type SyncReport } from './sync.ts';
import type { ClusterTarget, RegistrySource } from './contracts.ts';
import { syncSidecars, type SidecarReport, type SidecarSwitch } from './sidecars.ts';

export interface ScheduledSyncDeps extends SyncDeps {
  /** absent: no audit (e.g. a manifests folder nobody edits) */
  cluster?: ClusterTarget;
  auditPeriodMinutes: number;
  /** absent or not enabled: no Sidecar step */
  sidecars?: SidecarSwitch;
  registry: SyncDeps['registry'] & Pick<RegistrySource, 'readDependencies'>;
}

export interface ScheduledSyncReport {
  sync: Omit<SyncReport, 'desired'>;
  audit?: ReconcileReport;
  sidecars?: SidecarReport;
}

/** What `status` shows of a sync run: its message, the services it skipped and why, the audit's conflicts. */
function runMessage(sync: ScheduledSyncReport['sync'], audit: ReconcileReport | undefined, sidecars: SidecarReport | undefined): string | undefined {
  const parts: string[] = [];
  if (sync.message !== undefined) parts.push(sync.message);
  if (sync.skipped.length > 0) {
    const shown = sync.skipped.slice(0, 5).map((s) => `${s.serviceKey} (${s.reason})`);
    parts.push(`skipped ${shown.join('; ')}${sync.skipped.length > shown.length ? `; and ${sync.skipped.length - shown.length} more` : ''}`);
  }
  if (audit?.message !== undefined) parts.push(`audit: ${audit.message}`);
  if (audit !== undefined && audit.conflictDetails.length > 0) parts.push(`audit conflicts: ${audit.conflictDetails.slice(0, 5).map((c) => c.key).join(', ')}`);
  if (sidecars?.message !== undefined) parts.push(sidecars.message);
  return parts.length === 0 ? undefined : parts.join('; ');
}

export async function runScheduledSync(deps: ScheduledSyncDeps, correlationId: string): Promise<ScheduledSyncReport> {
  const startedAt = deps.clock.now();
  const { desired, ...sync } = await syncOnce(deps, correlationId);
  const report: ScheduledSyncReport = { sync };
  // The audit trusts the render as much as the sync does: when the sync refused the
  // removals (the registry lost too much at once to be believed), an audit of one slice
  // would otherwise delete that slice's objects, a slice a minute, past the guard.
  if (deps.cluster !== undefined && desired !== undefined && sync.outcome === 'ok') {
    const shards = auditShardsAt(startedAt, deps.auditPeriodMinutes);
    // What the sync just enqueued is about to be pushed: the push converges it, and an
    // object not there yet (a fresh cluster, a new instance) is not drift.
    const leave = new Set([...sync.dirty, ...sync.removed]);
    report.audit = await reconcile({ ...deps, cluster: deps.cluster }, correlationId, { shards, desired, leave });
  }
  // The Sidecars follow the dependency records, not the render: they are kept in step
  // whatever the sync found.
  if (deps.cluster !== undefined && deps.sidecars?.enabled === true) {
    report.sidecars = await syncSidecars({ ...deps, cluster: deps.cluster, sidecars: deps.sidecars }, correlationId);
  }
  const audit = report.audit;
  const sidecars = report.sidecars;
  const eventful =
    sync.outcome !== 'ok' ||
    sync.dirty.length + sync.removed.length + sync.skipped.length > 0 ||
    (audit !== undefined && (audit.applied + audit.deleted + audit.conflicts + audit.failed > 0 || audit.outcome !== 'ok')) ||
    (sidecars !== undefined && (sidecars.applied.length + sidecars.deleted.length + sidecars.conflicts.length + sidecars.failed.length > 0 || sidecars.outcome !== 'ok'));
  if (eventful) {
    await deps.state.recordRun({
      id: correlationId,
      kind: 'sync',
      startedAt,
      finishedAt: deps.clock.now(),
      outcome: sync.outcome === 'ok' ? (audit?.outcome === 'partial' || (sidecars !== undefined && sidecars.outcome !== 'ok') ? 'partial' : 'ok') : sync.outcome === 'registry-unavailable' ? 'error' : 'refused',
      counts: {
        services: sync.services,
        dirty: sync.dirty.length,
        removed: sync.removed.length,
        skipped: sync.skipped.length,
        auditChecked: audit?.checked ?? 0,
        repaired: audit?.applied ?? 0,
        auditDeleted: audit?.deleted ?? 0,
        conflicts: audit?.conflicts ?? 0,
        // Status shows it with the run; a sync is not recorded for it alone (quiet minutes write nothing).
        ...(desired?.governance === undefined ? {} : { governanceNotMapped: desired.governance.counts.notMapped + desired.governance.counts.rejected }),
        ...(sidecars === undefined ? {} : { sidecars: sidecars.desired, sidecarsApplied: sidecars.applied.length, sidecarsDeleted: sidecars.deleted.length, sidecarConflicts: sidecars.conflicts.length }),
      },
      ...(runMessage(sync, audit, sidecars) === undefined ? {} : { message: runMessage(sync, audit, sidecars) }),
    });
  }
  return report;
}
