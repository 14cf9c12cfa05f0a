// Drift repair: compare what the cluster actually holds with what should be there and
// what state says was written, and repair the difference. A hand-deleted object is
// missing; a hand-edited one shows a different content-hash annotation or a
// metadata.generation other than the one recorded after our write. Owned objects nothing
// wants any more are deleted (guarded). The per-minute audit looks at a rotating slice of
// shards, metadata only, so it trusts state's generations. A resync cannot: its state may
// be fresh or wrong, so when the cluster can be read in full it also compares each live
// object's content with the rendered one, and sees same-named foreign objects before
// writing (so a dry run reports them as conflicts, as the real run would).
import { keyOfRef, keyOfObject, type IstioObject } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, isOwnedBy, SERVICE_KEY_ANNOTATION, SHARD_LABEL } from '../model/ownership.ts';
import { checkDeletions } from '../plan/deletion-guard.ts';
import { desiredHashOf, hashOf, refOfKey } from '../plan/object-plan.ts';
import type { ServiceState } from '../state/state-store.ts';
import { AUDIT_SHARDS } from '../names/service-names.ts';
import { decodeApplied, encodeApplied, hashesOf } from './applied-entry.ts';
import { desiredState, type DesiredState } from './desired-state.ts';
import { readGovernanceInput } from './governance-rules.ts';
import type { LiveObject, PipelineDeps } from './contracts.ts';

/** An object as the cluster holds it, read in full (any owner: foreign ones are conflicts). */
export interface LiveContent {
  kind: IstioObject['kind'];
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: unknown;
}

/** Reads every object of the managed kinds in each namespace the writer writes them to, page by page. */
export interface ClusterContentReader {
  pages(): AsyncIterable<LiveContent[]>;
}

/** What a reconcile uses: every part (it reads the registry unless handed a render, and writes the cluster and state). */
export interface ReconcileDeps extends Pick<PipelineDeps, 'registry' | 'cluster' | 'state' | 'render' | 'guard' | 'metrics' | 'logger' | 'clock' | 'governance'> {
  /** a full read of the cluster, for a resync; absent: metadata and state only */
  content?: ClusterContentReader;
}

export interface ReconcileReport {
  outcome: 'ok' | 'registry-unavailable' | 'cluster-unavailable' | 'deletions-refused' | 'partial';
  /** shards looked at (all of them for a resync) */
  shards: number[] | 'all';
  checked: number;
  missing: number;
  edited: number;
  applied: number;
  deleted: number;
  conflicts: number;
  failed: number;
  /** each conflict: an object of that name exists without our ownership marks */
  conflictDetails: { key: string; reason: string }[];
  /** a resync: services the registry holds that could not be rendered (they keep what they had) */
  skipped?: { serviceKey: string; reason: string }[];
  message?: string;
}

/**
 * Whether `live` holds everything `desired` sets (arrays compared whole, as the Istio
 * schemas make them atomic). Checked both ways it is equality, fields set to undefined
 * counting as absent.
 */
export function holdsContent(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => holdsContent(live[i], d));
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => v === undefined || holdsContent(l[k], v));
  }
  return live === desired;
}

const same = (live: unknown, desired: unknown): boolean => holdsContent(live, desired) && holdsContent(desired, live);

/** Exactly what sc2mesh renders: a field someone added counts as drift too (the repair replaces the object whole). */
function contentMatches(live: LiveContent, desired: IstioObject): boolean {
  return same(live.spec, JSON.parse(JSON.stringify(desired.spec)) as unknown) && same(live.labels, desired.metadata.labels) && same(live.annotations, desired.metadata.annotations);
}

/**
 * Reconciles the given shards (or everything). `desired` may come from a sync that just
 * rendered the registry; otherwise the registry is read here.
 */
export async function reconcile(
  deps: ReconcileDeps,
  correlationId: string,
  options: {
    shards?: readonly number[];
    desired?: DesiredState;
    /** services left alone: e.g. the ones the sync just enqueued, which their push converges */
    leave?: ReadonlySet<string>;
  } = {},
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
    conflictDetails: [],
  };
  let desired = options.desired;
  if (desired === undefined) {
    try {
      const details = await deps.registry.readAll();
      // Without the rules a resync would take every governance object for unwanted.
      desired = desiredState(details, deps.render, await readGovernanceInput(deps, log));
    } catch (error) {
      deps.metrics.add('registry_unavailable');
      report.outcome = 'registry-unavailable';
      report.message = `registry unavailable: ${causeOf(error, 'registry unavailable')}; nothing repaired, nothing deleted`;
      log.error(report.message);
      log.debug({ err: error }, 'registry read failed');
      return report;
    }
  }
  if (options.shards === undefined) report.skipped = desired.skipped.map((s) => ({ serviceKey: s.key, reason: s.reason }));
  const leave = options.leave ?? new Set<string>();
  const inScope = (o: IstioObject): boolean => options.shards === undefined || options.shards.includes(Number(o.metadata.labels[SHARD_LABEL]));

  const wanted = new Map<string, { object: IstioObject; serviceKey: string }>();
  for (const service of desired.services.values()) {
    if (leave.has(service.serviceKey)) continue;
    for (const o of service.objects) if (inScope(o)) wanted.set(keyOfObject(o), { object: o, serviceKey: service.serviceKey });
  }
  let live: LiveObject[];
  /** wanted keys whose live content differs (owned) or that a foreign object holds */
  const contentDiffers = new Set<string>();
  const foreign = new Map<string, string>();
  try {
    live = (await deps.cluster.listOwned(options.shards === undefined ? {} : { shards: options.shards })).filter((o) => !leave.has(o.annotations[SERVICE_KEY_ANNOTATION] ?? ''));
    if (deps.content !== undefined && options.shards === undefined) {
      for await (const page of deps.content.pages()) {
        for (const o of page) {
          const key = keyOfRef(o);
          const w = wanted.get(key);
          if (w === undefined) continue;
          if (!isOwnedBy(o.labels, deps.render.source)) foreign.set(key, `${key} exists without the ownership labels of source ${JSON.stringify(deps.render.source)}; left untouched`);
          else if (!contentMatches(o, w.object)) contentDiffers.add(key);
        }
      }
    }
  } catch (error) {
    report.outcome = 'cluster-unavailable';
    report.message = `cluster unreadable: ${causeOf(error)}; nothing repaired, nothing deleted`;
    log.error(report.message);
    log.debug({ err: error }, 'cluster read failed');
    return report;
  }
  const liveByKey = new Map(live.map((o) => [keyOfRef(o), o]));
  // Services that own something in scope: their state tells which generation we wrote.
  const serviceKeys = new Set<string>([...wanted.values()].map((w) => w.serviceKey));
  for (const o of live) {
    const key = o.annotations[SERVICE_KEY_ANNOTATION];
    if (key !== undefined) serviceKeys.add(key);
  }
  const { services: states } = await deps.state.getServices([...serviceKeys]);

  const repairs: IstioObject[] = [];
  /** owned objects edited by hand: replaced whole, so fields someone added go too */
  const replacements: IstioObject[] = [];
  for (const [key, { object, serviceKey }] of wanted) {
    report.checked++;
    const taken = foreign.get(key);
    if (taken !== undefined) {
      report.conflicts++;
      report.conflictDetails.push({ key, reason: taken });
      continue;
    }
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
    if (hashDiffers || specEdited || contentDiffers.has(key)) {
      report.edited++;
      replacements.push(object);
    }
  }
  // A skipped service keeps what it last published: its objects are not strays.
  const skipped = new Set(desired.skipped.map((s) => s.key));
  const orphans = live.filter((o) => !wanted.has(keyOfRef(o)) && !skipped.has(o.annotations[SERVICE_KEY_ANNOTATION] ?? '') && !leave.has(o.annotations[SERVICE_KEY_ANNOTATION] ?? ''));

  const verdict = checkDeletions(orphans.length, Math.max(live.length, 1), deps.guard);
  if (!verdict.allowed) {
    deps.metrics.add('deletions_refused');
    report.outcome = 'deletions-refused';
    report.message = verdict.reason;
    log.error({ orphans: orphans.length, live: live.length }, verdict.reason);
  }

  const appliedGen = new Map<string, number | undefined>();
  const serviceOf = (o: IstioObject): string => wanted.get(keyOfObject(o))?.serviceKey ?? '';
  // As the push does: a WorkloadEntry, DestinationRule or VirtualService without its ServiceEntry serves no
  // caller, so a service whose ServiceEntry name someone else holds gets nothing at all.
  const blocked = new Set<string>();
  for (const key of foreign.keys()) if (key.startsWith('ServiceEntry/')) blocked.add(wanted.get(key)?.serviceKey ?? '');
  const write = async (objects: readonly IstioObject[], replace: boolean): Promise<void> => {
    const allowed = objects.filter((o) => !blocked.has(serviceOf(o)));
    if (allowed.length === 0) return;
    // What the cluster holds now, not what a push saw seconds ago: a foreign object may just have gone.
    const outcome = await deps.cluster.apply(allowed, { replace, fresh: true });
    for (const a of outcome.applied) appliedGen.set(a.key, a.generation);
    for (const c of outcome.conflicts) if (c.key.startsWith('ServiceEntry/')) blocked.add(wanted.get(c.key)?.serviceKey ?? '');
    report.applied += outcome.applied.length;
    report.conflicts += outcome.conflicts.length;
    report.conflictDetails.push(...outcome.conflicts);
    report.failed += outcome.failed.length;
  };
  const isEntry = (o: IstioObject): boolean => o.kind === 'ServiceEntry';
  await write(repairs.filter(isEntry), false);
  await write(replacements.filter(isEntry), true);
  await write(repairs.filter((o) => !isEntry(o)), false);
  await write(replacements.filter((o) => !isEntry(o)), true);
  const deletedKeys = new Set<string>();
  if (orphans.length > 0 && verdict.allowed) {
    const outcome = await deps.cluster.delete(orphans.map((o) => refOfKey(keyOfRef(o))));
    for (const k of [...outcome.deleted, ...outcome.absent]) deletedKeys.add(k);
    report.deleted = outcome.deleted.length;
    report.conflicts += outcome.conflicts.length;
    report.conflictDetails.push(...outcome.conflicts);
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
  for (const o of orphans) if (deletedKeys.has(keyOfRef(o))) touched.add(o.annotations[SERVICE_KEY_ANNOTATION] ?? '');
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
        // A repair settles nothing: a late write may still land, so the mark stays for the sync.
        const unsettled = previous?.unsettledAt === undefined ? {} : { unsettledAt: previous.unsettledAt };
        await deps.state.putService({ serviceKey, objectsHash: desiredHashOf(hashesOf(objects)), objects, lastPushAt: deps.clock.now(), lastPushCorrelationId: correlationId, ...unsettled }, previous);
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
 * An error's own message without the prefix its callers add again ("registry
 * unavailable: registry unavailable: …"): the line an operator reads names the cause once.
 */
export function causeOf(error: unknown, prefix?: string): string {
  let text = error instanceof Error ? error.message : String(error);
  if (prefix !== undefined) while (text.toLowerCase().startsWith(`${prefix.toLowerCase()}: `)) text = text.slice(prefix.length + 2);
  return text;
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
