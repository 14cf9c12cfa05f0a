// The scheduled sync: one registry listing compared with state. Services whose desired
// objects changed, and services gone from the registry, are enqueued for a push. It
// writes nothing itself, so a minute in which nothing changed costs one listing, one
// state Query and zero writes of any kind.
import { ALWAYS_EXCLUDED_SERVICES, type RenderOptions } from '../render/options.ts';
import { parseServiceKey } from '../names/service-names.ts';
import { desiredHashOf } from '../plan/object-plan.ts';
import { checkDeletions } from '../plan/deletion-guard.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { desiredState, type DesiredState } from './desired-state.ts';
import type { PipelineDeps } from './contracts.ts';
import { readGovernanceInput } from './governance-rules.ts';

/** What a sync uses: the registry, state and the queue; never the cluster. */
export interface SyncDeps extends Pick<PipelineDeps, 'registry' | 'state' | 'render' | 'guard' | 'metrics' | 'logger' | 'clock' | 'governance'> {
  queue: WorkQueue;
}

export type SyncOutcome = 'ok' | 'registry-unavailable' | 'removals-refused';

export interface SyncReport {
  outcome: SyncOutcome;
  services: number;
  dirty: string[];
  removed: string[];
  skipped: { serviceKey: string; reason: string }[];
  message?: string;
  /** the render, for callers that go on to audit the cluster */
  desired?: DesiredState;
}

const EMPTY_HASH = desiredHashOf({});

/**
 * The services this sync is about: the registry's own entries and sc2mesh's own
 * consumer services are listed by the registry but never published, so not counted.
 */
function publishableCount(desired: DesiredState, render: RenderOptions): number {
  const never = new Set([...ALWAYS_EXCLUDED_SERVICES.map((n) => n.toUpperCase())]);
  const excluded = new Set(render.excludeServices);
  let n = desired.skipped.length;
  for (const key of desired.services.keys()) {
    const name = parseServiceKey(key).serviceName;
    if (!never.has(name.toUpperCase()) && !excluded.has(name)) n++;
  }
  return n;
}

export async function syncOnce(deps: SyncDeps, correlationId: string): Promise<SyncReport> {
  const log = deps.logger.child({ correlationId, run: 'sync' });
  deps.metrics.add('syncs');
  let details;
  let governance;
  try {
    details = await deps.registry.readAll();
    // Rules unknown: every service's governance objects are, so the sync enqueues nothing
    // (a push would write them without the rules, or remove them).
    governance = await readGovernanceInput(deps, log);
  } catch (error) {
    deps.metrics.add('registry_unavailable');
    const message = `registry unavailable: ${(error as Error).message}; nothing enqueued, nothing deleted`;
    log.error({ err: error }, message);
    return { outcome: 'registry-unavailable', services: 0, dirty: [], removed: [], skipped: [], message };
  }

  const desired = desiredState(details, deps.render, governance);
  if (desired.governance !== undefined) {
    const c = desired.governance.counts;
    deps.metrics.governanceRulesNotMapped = c.notMapped + c.rejected;
    log.info({ rules: c.rules, exact: c.exact, approximate: c.approximate, notMapped: c.notMapped, rejected: c.rejected, disabled: c.disabled }, 'governance rules mapped');
  }
  const listing = await deps.state.listServices();
  for (const c of listing.corrupt) log.error({ item: c }, 'corrupt state item; that service will be pushed afresh');
  const known = new Map(listing.items.map((s) => [s.serviceKey, s]));
  const skippedKeys = new Set(desired.skipped.map((s) => s.key));

  const dirty: string[] = [];
  for (const [key, service] of desired.services) {
    const record = known.get(key);
    // An unsettled service is pushed again until a late write can no longer land.
    if ((record?.objectsHash ?? EMPTY_HASH) !== service.hash || record?.unsettledAt !== undefined) dirty.push(key);
  }
  const removed: string[] = [];
  let removedObjects = 0;
  let ownedObjects = 0;
  for (const s of listing.items) {
    ownedObjects += s.objectCount;
    if (!desired.services.has(s.serviceKey) && !skippedKeys.has(s.serviceKey)) {
      removed.push(s.serviceKey);
      removedObjects += s.objectCount;
    }
  }
  for (const c of listing.corrupt) if (desired.services.has(c.sk) && !dirty.includes(c.sk)) dirty.push(c.sk);

  const report: SyncReport = {
    outcome: 'ok',
    services: publishableCount(desired, deps.render),
    dirty,
    removed,
    skipped: desired.skipped.map((s) => ({ serviceKey: s.key, reason: s.reason })),
    desired,
  };
  for (const s of desired.skipped) log.warn({ serviceKey: s.key, reason: s.reason }, 'service skipped: bad registry data');
  deps.metrics.add('services_skipped', desired.skipped.length);

  const verdict = checkDeletions(removedObjects, ownedObjects, deps.guard);
  if (!verdict.allowed) {
    deps.metrics.add('deletions_refused');
    log.error({ removed: removed.length, removedObjects, ownedObjects }, verdict.reason);
    report.outcome = 'removals-refused';
    report.message = verdict.reason;
    report.removed = [];
  }

  const at = deps.clock.now();
  const messages = [];
  if (dirty.length > 0) messages.push({ v: 1 as const, keys: dirty.sort(), reason: 'sync' as const, at, correlationId });
  if (report.removed.length > 0) messages.push({ v: 1 as const, keys: report.removed.sort(), reason: 'removed' as const, at, correlationId });
  if (messages.length > 0) await deps.queue.send(messages);
  deps.metrics.add('sync_dirty_services', dirty.length + report.removed.length);
  log.info({ services: report.services, dirty: dirty.length, removed: report.removed.length, skipped: desired.skipped.length }, 'sync done');
  return report;
}
