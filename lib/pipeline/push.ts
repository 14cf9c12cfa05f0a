// A push converges the cluster to the registry for some services, and is the one push path
// of both hosts (the local runner's debouncer and the serverless push function): one
// registry read for the whole batch (only the services pushed, and each one's host rival:
// push-render.ts renders them with the full render's check of hosts that differ only in
// case), one state read, one metadata list of those services' objects in the cluster, then
// the deletion guard over the whole batch, then every service pushed on its own, several at
// a time. Level-triggered: the event that marked a service dirty is not trusted, the
// registry and the cluster are. Safe to run any number of times; one failing service never
// stops the others.
import type { IstioObject } from '../model/istio.ts';
import { objectNameFor, parseServiceKey } from '../names/service-names.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import { checkDeletions, type GuardVerdict } from '../plan/deletion-guard.ts';
import { forEachLimit } from '../kube/concurrency.ts';
import type { ServiceState } from '../state/state-store.ts';
import { CorruptStateError, StaleStateError } from '../state/state-store.ts';
import { PARTITION } from '../state/table.ts';
import type { PipelineDeps, RegistryRead } from './contracts.ts';
import { readLiveObjects } from './live-objects.ts';
import { planService, type ServicePlan } from './service-plan.ts';
import { executeServicePlan, type ServicePushResult } from './execute-plan.ts';
import type { GovernanceInput } from '../governance/index.ts';
import { readGovernanceInput } from './governance-rules.ts';
import { keysToRead, renderPushed } from './push-render.ts';

/** What a push uses: every part (it reads the registry and state, writes the cluster and state). */
export type PushDeps = Pick<PipelineDeps, 'registry' | 'cluster' | 'state' | 'render' | 'guard' | 'metrics' | 'logger' | 'clock' | 'governance'>;
/** The deletion guard over a batch: the share of what state owns, the registry's wipe check. */
type GuardDeps = Pick<PushDeps, 'registry' | 'state' | 'guard' | 'metrics' | 'logger'>;
export type { ServiceOutcome, ServicePushResult } from './execute-plan.ts';

export interface PushOptions {
  /** services pushed at once (config kube.concurrency); requests are also bounded by the client rate limit */
  concurrency?: number;
  /** ms left before the host must return (Lambda's getRemainingTimeInMillis); unlimited if absent */
  remainingMs?: () => number;
  /** start no service when less than this is left; default 10 s */
  reserveMs?: number;
}

export const DEFAULT_PUSH_CONCURRENCY = 16;

export interface PushReport {
  results: ServicePushResult[];
  applied: number;
  deleted: number;
  unchanged: number;
  /** keys whose push failed and must be retried */
  failedKeys: string[];
  /** keys not started before the time budget ran out: to be pushed again, never dropped */
  notStarted: string[];
  /** deletions the guard withheld (kept in state, tried again by the next sync) */
  refusedDeletes: number;
  /** where the push's time went, ms per phase, in the order they run: what to look at when pushes are slow */
  phasesMs: Partial<Record<PushPhase, number>>;
}

export type PushPhase = 'registry' | 'governance' | 'state' | 'render' | 'live' | 'guard' | 'write';

export function emptyPushReport(): PushReport {
  return { results: [], applied: 0, deleted: 0, unchanged: 0, failedKeys: [], notStarted: [], refusedDeletes: 0, phasesMs: {} };
}

function emptyResult(serviceKey: string, outcome: ServicePushResult['outcome'], reason?: string): ServicePushResult {
  return { serviceKey, outcome, applied: 0, deleted: 0, conflicts: 0, refusedDeletes: 0, ...(reason === undefined ? {} : { reason }) };
}

interface Candidate {
  serviceKey: string;
  /** ServiceEntry name: the SERVICE_LABEL value of every object of the service */
  name: string;
  previous: ServiceState | undefined;
  /** version of a corrupt state item: written over (its objects unknown, so all re-applied) */
  corruptVersion: number | undefined;
  desired: IstioObject[];
  /** the registry says the service does not exist */
  gone: boolean;
}

/** Pushes the given services. Throws only when the registry cannot be read at all. */
export async function pushServices(serviceKeys: readonly string[], deps: PushDeps, correlationId: string, options: PushOptions = {}): Promise<PushReport> {
  const keys = [...new Set(serviceKeys)].sort();
  const report = emptyPushReport();
  if (keys.length === 0) return report;
  for (const key of keys) parseServiceKey(key); // a malformed key is a caller bug: fail loudly
  let mark = deps.clock.now();
  const lap = (phase: PushPhase): void => {
    const now = deps.clock.now();
    report.phasesMs[phase] = now - mark;
    mark = now;
  };

  const read: RegistryRead = await deps.registry.readServices(keysToRead(keys, deps.render.hostTemplate));
  lap('registry');
  // One rules read per batch. Rules unknown: no service of the batch is pushed (what is
  // published stays, governance objects included), and each is retried.
  let governance: GovernanceInput | undefined;
  try {
    governance = await readGovernanceInput(deps, deps.logger.child({ correlationId }));
    lap('governance');
  } catch (error) {
    const reason = `governance rules: ${(error as Error).message}`;
    deps.logger.error({ correlationId, services: keys.length }, `${reason}; nothing pushed, retried later`);
    for (const serviceKey of keys) report.results.push(emptyResult(serviceKey, 'failed', reason));
    report.failedKeys.push(...keys);
    deps.metrics.add('services_failed', keys.length);
    return report;
  }
  const { services: states, corrupt } = await deps.state.getServices(keys);
  lap('state');
  const corruptVersions = new Map<string, number | undefined>();
  for (const c of corrupt) {
    if (c.pk === PARTITION.service) corruptVersions.set(c.sk, c.version);
    deps.logger.error({ correlationId, item: c }, 'corrupt state item; the service is pushed as if new and its record written over');
  }

  const candidates: Candidate[] = [];
  const rendered = renderPushed(keys, read, deps.render, governance);
  lap('render');
  for (const serviceKey of keys) {
    const unreadable = read.unreadable.get(serviceKey);
    if (unreadable !== undefined) {
      report.results.push(emptyResult(serviceKey, 'failed', `registry: ${unreadable}`));
      continue;
    }
    const desired = rendered.get(serviceKey) ?? { objects: [], warnings: [] };
    if ('failed' in desired) {
      report.results.push(emptyResult(serviceKey, 'failed', desired.failed));
      continue;
    }
    if ('skipped' in desired) {
      deps.metrics.add('services_skipped');
      deps.logger.warn({ correlationId, serviceKey, reason: desired.skipped }, 'service skipped: bad registry data; its published objects are kept');
      report.results.push(emptyResult(serviceKey, 'skipped', desired.skipped));
      continue;
    }
    for (const warning of desired.warnings) deps.logger.warn({ correlationId, serviceKey, warning }, 'registry data not published as registered');
    deps.metrics.add('instances_skipped', desired.warnings.filter((w) => w.includes(' not published: ')).length);
    candidates.push({
      serviceKey,
      name: objectNameFor(deps.render.nameTemplate, parseServiceKey(serviceKey)),
      previous: states.get(serviceKey),
      corruptVersion: corruptVersions.get(serviceKey),
      desired: desired.objects,
      gone: read.missing.has(serviceKey),
    });
  }

  // What the cluster holds for these services, so a hand-deleted or edited object is
  // restored by the next push of its service, not only by the audit.
  const live = await readLiveObjects(
    deps.cluster,
    candidates.map((c) => c.name),
  );
  const plans = candidates.map((c) => ({ candidate: c, plan: planService(c.desired, c.previous, live.get(c.name), deps.cluster.kinds) }));
  lap('live');

  await guardBatch(plans, deps, correlationId);
  lap('guard');

  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_PUSH_CONCURRENCY);
  const reserve = options.reserveMs ?? 10_000;
  const results: (ServicePushResult | undefined)[] = new Array(plans.length);
  await forEachLimit(plans, concurrency, async ({ candidate, plan }, index) => {
    if (options.remainingMs !== undefined && options.remainingMs() < reserve) {
      report.notStarted.push(candidate.serviceKey);
      return;
    }
    results[index] = await pushOne(candidate, plan, deps, correlationId, governance);
  });
  lap('write');
  for (const r of results) if (r !== undefined) report.results.push(r);
  report.notStarted.sort();
  report.results.sort((a, b) => (a.serviceKey < b.serviceKey ? -1 : a.serviceKey > b.serviceKey ? 1 : 0));

  for (const r of report.results) {
    report.applied += r.applied;
    report.deleted += r.deleted;
    report.refusedDeletes += r.refusedDeletes;
    if (r.outcome === 'unchanged') report.unchanged++;
    if (r.outcome === 'failed') {
      report.failedKeys.push(r.serviceKey);
      deps.metrics.add('services_failed');
      deps.logger.error({ correlationId, serviceKey: r.serviceKey, reason: r.reason }, 'push failed; will be retried');
    }
    if (r.outcome === 'pushed' || r.outcome === 'refused' || r.outcome === 'conflict') {
      if (r.applied + r.deleted > 0) deps.metrics.add('services_pushed');
    }
    if (r.outcome === 'removed') deps.metrics.add('services_removed');
  }
  return report;
}

async function pushOne(
  candidate: Candidate,
  plan: ServicePlan,
  deps: Pick<PushDeps, 'registry' | 'cluster' | 'state' | 'render' | 'metrics' | 'logger' | 'clock'>,
  correlationId: string,
  governance: GovernanceInput | undefined,
): Promise<ServicePushResult> {
  const condition = candidate.previous ?? (candidate.corruptVersion === undefined ? undefined : { version: candidate.corruptVersion });
  try {
    return await executeServicePlan({ serviceKey: candidate.serviceKey, plan, previous: candidate.previous, condition, removal: candidate.gone }, deps, correlationId);
  } catch (error) {
    if (!(error instanceof StaleStateError)) return emptyResult(candidate.serviceKey, 'failed', (error as Error).message);
  }
  // Another push (another replica, or a resync) recorded this service meanwhile, from a
  // newer registry read maybe: converge again from fresh state, a fresh read of the service
  // and what the cluster now holds, so this push does not put back what that one removed.
  try {
    let fresh: ServiceState | undefined;
    let corruptVersion: number | undefined;
    try {
      fresh = await deps.state.getService(candidate.serviceKey);
    } catch (readError) {
      if (!(readError instanceof CorruptStateError)) throw readError;
      corruptVersion = readError.item.version;
    }
    const read = await deps.registry.readServices(keysToRead([candidate.serviceKey], deps.render.hostTemplate));
    const unreadable = read.unreadable.get(candidate.serviceKey);
    if (unreadable !== undefined) return emptyResult(candidate.serviceKey, 'failed', `registry: ${unreadable}`);
    const desired = renderPushed([candidate.serviceKey], read, deps.render, governance).get(candidate.serviceKey) ?? { objects: [], warnings: [] };
    if ('failed' in desired) return emptyResult(candidate.serviceKey, 'failed', desired.failed);
    if ('skipped' in desired) {
      deps.metrics.add('services_skipped');
      return emptyResult(candidate.serviceKey, 'skipped', desired.skipped);
    }
    const gone = read.missing.has(candidate.serviceKey);
    const live = (await readLiveObjects(deps.cluster, [candidate.name])).get(candidate.name);
    const again = planService(desired.objects, fresh, live, deps.cluster.kinds);
    // The batch's guard verdict still holds: without a refusal every deletion goes; with one,
    // only deletions offset by creations. A service that vanished since the batch's wipe
    // check keeps its objects until the next push checks the registry as a whole.
    const refused = plan.refusal !== undefined || (gone && !candidate.gone);
    again.allowedDeletes = refused ? Math.min(again.delete.length, again.creates) : again.delete.length;
    if (refused) again.refusal = plan.refusal ?? 'the service vanished from the registry during its push; kept until the next push';
    const condition = fresh ?? (corruptVersion === undefined ? undefined : { version: corruptVersion });
    return await executeServicePlan({ serviceKey: candidate.serviceKey, plan: again, previous: fresh, condition, removal: gone }, deps, correlationId);
  } catch (again) {
    return emptyResult(candidate.serviceKey, 'failed', (again as Error).message);
  }
}

/**
 * The deletion guard over the whole batch: it refuses *deletions*, never creations or
 * updates. A deletion offset by a creation in the same service (instances re-registered
 * under new ids after a registry restart) is a replacement, not a loss, so only net losses
 * count against the share, and when the guard refuses, the offset deletions still go.
 * A service gone from the registry altogether is removed only while the registry as a
 * whole still looks like itself: a wipe arrives as many small debounce cycles, each under
 * the batch guard, and must not empty the mesh cycle by cycle (the sync applies the same rule).
 */
async function guardBatch(plans: { candidate: Candidate; plan: ServicePlan }[], deps: GuardDeps, correlationId: string): Promise<void> {
  if (deps.guard.force) return;
  let netLoss = 0;
  for (const { plan } of plans) netLoss += Math.max(0, plan.delete.length - plan.creates);
  if (netLoss >= deps.guard.minDeletesToCheck && netLoss > 0) {
    const listing = await deps.state.listServices();
    const owned = listing.items.reduce((n, s) => n + s.objectCount, 0);
    const verdict = checkDeletions(netLoss, owned, deps.guard);
    if (!verdict.allowed) {
      deps.metrics.add('deletions_refused');
      deps.logger.error({ correlationId, netDeletes: netLoss, owned }, `${verdict.reason}; creations, updates and replaced objects still go through`);
      for (const { plan } of plans) {
        plan.allowedDeletes = Math.min(plan.delete.length, plan.creates);
        plan.refusal = verdict.reason;
      }
    }
  }
  const removals = plans.filter(({ candidate, plan }) => candidate.gone && plan.allowedDeletes > 0);
  if (removals.length === 0) return;
  const wipe = await registryWipeVerdict(deps);
  if (wipe.allowed) return;
  deps.metrics.add('deletions_refused');
  deps.logger.error({ correlationId, services: removals.length }, `${wipe.reason}; services gone from the registry are kept`);
  for (const { plan } of removals) {
    plan.allowedDeletes = 0;
    plan.refusal = wipe.reason;
  }
}

/** Would removing every owned service the registry no longer lists delete too much? */
async function registryWipeVerdict(deps: Pick<GuardDeps, 'registry' | 'state' | 'guard'>): Promise<GuardVerdict> {
  const [present, listing] = await Promise.all([deps.registry.listServiceKeys(), deps.state.listServices()]);
  let owned = 0;
  let vanished = 0;
  for (const s of listing.items) {
    owned += s.objectCount;
    if (!present.has(s.serviceKey)) vanished += s.objectCount;
  }
  return checkDeletions(vanished, owned, deps.guard);
}

export type { ObjectRef };
