// A full resync (the manual function, `sc2mesh resync`): reconcile everything against what
// the cluster actually holds, optionally as a dry run or past the deletion guard.
import { reconcile, type ReconcileDeps, type ReconcileReport } from './reconcile.ts';
import { dryRunCluster, readOnlyState, type DryRunLog } from './dry-run.ts';
import { keyOfRef, keyOfObject } from '../model/istio.ts';
import type { RegistrySource } from './contracts.ts';
import { syncSidecars, type SidecarReport, type SidecarSwitch } from './sidecars.ts';

export interface ResyncOptions {
  dryRun?: boolean;
  force?: boolean;
}

export interface ResyncResult extends ReconcileReport {
  dryRun: boolean;
  /** dry run: object keys that would be written / deleted */
  wouldApply?: string[];
  wouldDelete?: string[];
  /** with sidecars.enabled: the Sidecar step, every desired Sidecar rewritten whole */
  sidecars?: SidecarReport;
}

/** What `status` shows of a resync: its own message, then the conflicts it met. */
function runMessage(report: ReconcileReport, sidecars: SidecarReport | undefined): string | undefined {
  const parts: string[] = [];
  if (report.message !== undefined) parts.push(report.message);
  if (sidecars?.message !== undefined) parts.push(sidecars.message);
  if (report.conflictDetails.length > 0) {
    const shown = report.conflictDetails.slice(0, 5).map((c) => c.key);
    parts.push(`conflicts: ${shown.join(', ')}${report.conflictDetails.length > shown.length ? ` and ${report.conflictDetails.length - shown.length} more` : ''}`);
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

/** A resync uses what the reconcile it runs does, and the Sidecar step's settings. */
export type ResyncDeps = ReconcileDeps & { sidecars?: SidecarSwitch; registry: ReconcileDeps['registry'] & Pick<RegistrySource, 'readDependencies'> };

export async function runResync(deps: ResyncDeps, correlationId: string, options: ResyncOptions = {}): Promise<ResyncResult> {
  const startedAt = deps.clock.now();
  const guard = { ...deps.guard, force: deps.guard.force || options.force === true };
  if (options.dryRun === true) {
    const log: DryRunLog = { applies: [], deletes: [] };
    const cluster = dryRunCluster(deps.cluster, log);
    const report = await reconcile({ ...deps, guard, cluster, state: readOnlyState(deps.state) }, correlationId);
    const sidecars = deps.sidecars?.enabled === true ? await syncSidecars({ ...deps, cluster, sidecars: deps.sidecars }, correlationId, { repair: true }) : undefined;
    return {
      ...report,
      ...(sidecars === undefined ? {} : { sidecars }),
      dryRun: true,
      wouldApply: log.applies.map((o) => keyOfObject(o)),
      wouldDelete: log.deletes.map((r) => keyOfRef(r)),
    };
  }
  const report = await reconcile({ ...deps, guard }, correlationId);
  const sidecars = deps.sidecars?.enabled === true ? await syncSidecars({ ...deps, sidecars: deps.sidecars }, correlationId, { repair: true }) : undefined;
  if (sidecars !== undefined && sidecars.outcome !== 'ok' && report.outcome === 'ok') report.outcome = 'partial';
  await deps.state.recordRun({
    id: correlationId,
    kind: 'resync',
    startedAt,
    finishedAt: deps.clock.now(),
    outcome: report.outcome === 'ok' ? 'ok' : report.outcome === 'partial' ? 'partial' : report.outcome === 'deletions-refused' ? 'refused' : 'error',
    counts: {
      checked: report.checked,
      missing: report.missing,
      edited: report.edited,
      applied: report.applied,
      deleted: report.deleted,
      conflicts: report.conflicts,
      failed: report.failed,
      ...(sidecars === undefined ? {} : { sidecars: sidecars.desired, sidecarsApplied: sidecars.applied.length, sidecarsDeleted: sidecars.deleted.length, sidecarConflicts: sidecars.conflicts.length }),
    },
    ...(runMessage(report, sidecars) === undefined ? {} : { message: runMessage(report, sidecars) }),
  });
  return { ...report, ...(sidecars === undefined ? {} : { sidecars }), dryRun: false };
}
