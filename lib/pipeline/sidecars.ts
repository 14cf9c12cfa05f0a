// The Sidecar step (sidecars.enabled): after each sync and in every resync, the Sidecars
// the registry's dependency records call for are compared with the ones sc2mesh owns, and
// only the difference is written. Level-triggered like the rest: it reads the records
// whole each time, so a run that was missed or failed is made good by the next one.
//
// Safety: a Sidecar that would select the workloads of a Sidecar sc2mesh does not own is
// not written (and an earlier one of ours is removed: the other owner's stands); records
// that cannot be read change nothing. Deleting a Sidecar is the safe direction (its pods
// see every host again), so deletions have no share guard; narrowing one is what a
// Sidecar is for, and follows the records as service-center keeps them.
import type { Logger } from '../log.ts';
import { keyOfObject, keyOfRef, type Sidecar } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION } from '../model/ownership.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { RenderOptions } from '../render/options.ts';
import { renderSidecar } from '../render/sidecar.ts';
import { sidecarClashes } from '../render/sidecar-clash.ts';
import { planSidecarEgress, type SidecarEgressSettings } from '../render/sidecar-egress.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { RegistryReadError, type ClusterTarget, type RegistrySource } from './contracts.ts';
import type { PipelineMetrics } from './metrics.ts';

export interface SidecarSwitch extends SidecarEgressSettings {
  enabled: boolean;
}

export interface SidecarDeps {
  registry: Pick<RegistrySource, 'readDependencies'>;
  cluster: Pick<ClusterTarget, 'listOwned' | 'listObjects' | 'apply' | 'delete'>;
  render: Pick<RenderOptions, 'namespace' | 'source' | 'hostTemplate' | 'nameTemplate' | 'excludeServices' | 'extraLabels'>;
  sidecars: SidecarSwitch;
  metrics: PipelineMetrics;
  logger: Logger;
}

export interface SidecarOptions {
  /** resync: write every desired Sidecar whole (PUT), whatever its hash, so a hand edit goes */
  repair?: boolean;
}

export interface SidecarReport {
  outcome: 'ok' | 'partial' | 'registry-unavailable';
  /** Sidecars the records call for (clashes and skips left out) */
  desired: number;
  applied: string[];
  deleted: string[];
  unchanged: number;
  conflicts: { key: string; reason: string }[];
  /** consumers given no Sidecar, and why; consumers of unmapped apps only counted */
  skipped: { consumer: string; reason: string }[];
  unmapped: number;
  failed: { key: string; error: string }[];
  message?: string;
}

function emptyReport(): SidecarReport {
  return { outcome: 'ok', desired: 0, applied: [], deleted: [], unchanged: 0, conflicts: [], skipped: [], unmapped: 0, failed: [] };
}

export async function syncSidecars(deps: SidecarDeps, correlationId: string, options: SidecarOptions = {}): Promise<SidecarReport> {
  const log = deps.logger.child({ correlationId, step: 'sidecars' });
  const report = emptyReport();
  if (deps.registry.readDependencies === undefined) throw new RegistryReadError('sidecars.enabled, but this registry source cannot read dependency records');
  let reading;
  try {
    reading = await deps.registry.readDependencies();
  } catch (error) {
    if (!(error instanceof RegistryReadError)) throw error;
    deps.metrics.add('registry_unavailable');
    log.warn({ err: error }, 'dependency records unreadable; no Sidecar written or deleted');
    return { ...report, outcome: 'registry-unavailable', message: error.message };
  }

  const plan = planSidecarEgress(reading.records, deps.render, deps.sidecars);
  report.skipped.push(...plan.skipped);
  report.unmapped = plan.unmapped;
  const rendered: Sidecar[] = [];
  for (const egress of plan.sidecars) {
    const result = renderSidecar({ consumer: egress.consumer, namespace: egress.namespace, workloadLabels: egress.selector, providerHosts: egress.hosts, alwaysHosts: [] }, deps.render);
    for (const s of result.skippedHosts) log.warn({ consumer: serviceKeyOf(egress.consumer), field: s.field }, s.reason);
    if (result.ok) rendered.push(result.sidecar);
    else report.skipped.push({ consumer: serviceKeyOf(egress.consumer), reason: result.reason });
  }

  const owned = await deps.cluster.listOwned({ kinds: ['Sidecar'] });
  const live = deps.cluster.listObjects === undefined ? [] : (await Promise.all([...new Set(rendered.map((s) => s.metadata.namespace))].map((ns) => deps.cluster.listObjects?.('Sidecar', ns) ?? []))).flat();
  const clashes = sidecarClashes(rendered, live, deps.render.source);
  const clashed = new Set(clashes.map((c) => c.key));
  report.conflicts.push(...clashes.map((c) => ({ key: c.key, reason: c.reason })));
  const desired = rendered.filter((s) => !clashed.has(keyOfObject(s)));
  report.desired = desired.length;

  const ownedByKey = new Map(owned.map((o) => [keyOfRef(o), o]));
  const toApply = options.repair === true ? desired : desired.filter((s) => ownedByKey.get(keyOfObject(s))?.annotations[CONTENT_HASH_ANNOTATION] !== s.metadata.annotations[CONTENT_HASH_ANNOTATION]);
  report.unchanged = desired.length - toApply.length;
  if (toApply.length > 0) {
    const outcome = await deps.cluster.apply(toApply, options.repair === true ? { replace: true } : {});
    report.applied.push(...outcome.applied.map((a) => a.key));
    report.conflicts.push(...outcome.conflicts);
    report.failed.push(...outcome.failed);
  }
  const wanted = new Set(desired.map((s) => keyOfObject(s)));
  const toDelete: ObjectRef[] = owned.filter((o) => !wanted.has(keyOfRef(o))).map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name }));
  if (toDelete.length > 0) {
    const outcome = await deps.cluster.delete(toDelete);
    report.deleted.push(...outcome.deleted);
    report.conflicts.push(...outcome.conflicts);
    report.failed.push(...outcome.failed);
  }

  deps.metrics.add('objects_applied', report.applied.length);
  deps.metrics.add('objects_deleted', report.deleted.length);
  deps.metrics.add('objects_unchanged', report.unchanged);
  deps.metrics.add('conflicts', report.conflicts.length);
  for (const c of report.conflicts) log.warn({ object: c.key }, c.reason);
  for (const s of report.skipped) log.warn({ consumer: s.consumer }, `no Sidecar: ${s.reason}`);
  if (report.failed.length > 0 || report.conflicts.length > 0) report.outcome = 'partial';
  const parts: string[] = [];
  if (report.conflicts.length > 0) parts.push(`sidecar conflicts: ${report.conflicts.slice(0, 5).map((c) => c.key).join(', ')}`);
  if (report.failed.length > 0) parts.push(`sidecars failed: ${report.failed.slice(0, 5).map((f) => `${f.key} (${f.error})`).join('; ')}`);
  if (parts.length > 0) report.message = parts.join('; ');
  log.info({ desired: report.desired, applied: report.applied.length, deleted: report.deleted.length, unchanged: report.unchanged, conflicts: report.conflicts.length, skipped: report.skipped.length, unmapped: report.unmapped, failed: report.failed.length }, 'sidecars done');
  return report;
}
