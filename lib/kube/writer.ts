// The Kubernetes writer: creates and whole replacements (field manager `sc2mesh`) of
// desired Istio objects, deletion of owned ones, and listing of owned ones — touching
// nothing that lacks this source's ownership marks. It implements the pipeline's ClusterTarget.
//
// Namespaces, least privilege: every kind is written to the target namespace only,
// unless namespacesByKind gives it a list of its own (Sidecars: their consumers'
// namespaces; EnvoyFilters: the mesh root). An object anywhere else is refused before any
// request, and listings read exactly those (kind, namespace) pairs (namespace-scope.ts).
//
// Safety without extra reads: an object known to be ours (from listOwned, or from our own
// last write) is replaced (PUT) with its resourceVersion as a precondition, so if anyone
// replaced or re-labelled it meanwhile the server answers 409 and we re-read before
// deciding. A name we know nothing about is created (POST), which the server refuses with
// AlreadyExists if anyone holds it: only then a GET decides (ours: replace; foreign: a
// conflict). Server-side apply is not used: an apply to a name someone else holds would
// merge into their object, so it would need a GET before every create, and mixing it with
// creates would leave fields behind. Deletes carry uid and resourceVersion preconditions.
//
// One file past 350 lines on purpose: apply, replace, delete and list share one ownership
// index, one retried and rate-limited call path and one set of counters; split up, the
// precondition protocol above would be spread over files that must change together.
import type { KubeConfig } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../log.ts';
import { keyOfRef, keyOfObject, objectKey, PER_CONSUMER_KINDS, type IstioKind, type IstioObject } from '../model/istio.ts';
import { CONSUMER_LABEL, CONTENT_HASH_ANNOTATION, isOwnedBy, ownedSelector, SERVICE_LABEL, SHARD_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { claimedHostReason, hostClaimsOf, ROUTING_KINDS, type HostClaims } from '../plan/routing-claims.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { ApplyOutcome, ClusterTarget, DeleteOutcome, LiveObject } from '../pipeline/contracts.ts';
import { describeError, isAlreadyExists, isNetworkError, isNotFound, isOptimisticConflict, isTimeout, statusOf, type StatusCause } from './api-errors.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { forEachLimit } from './concurrency.ts';
import { createIstioObjectsClient, type IstioObjectsClient, type ListedObject, type ObjectMeta } from './istio-client.ts';
import { namespaceScope, type NamespacesByKind, type NamespaceScope } from './namespace-scope.ts';
import { createRateLimiter, type RateLimiter, type RateLimitSettings } from './rate-limiter.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import { emptyWriterMetrics, type WriterMetrics } from './writer-metrics.ts';

export const FIELD_MANAGER = 'sc2mesh';
export const DEFAULT_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry'];
export const DEFAULT_RATE_LIMIT: RateLimitSettings = { qps: 20, burst: 40 };

/** An owned object as listed: what the pipeline's LiveObject has, plus what preconditions need. */
export interface OwnedObjectMeta extends LiveObject {
  uid: string;
  resourceVersion: string;
}

export interface KubeWriterOptions {
  kubeConfig: KubeConfig;
  /** the namespace sc2mesh writes every kind to that namespacesByKind does not name */
  namespace: string;
  /**
   * Where a kind may be written instead, e.g. `{ Sidecar: ['shop', 'billing'], EnvoyFilter:
   * ['istio-system'] }`; a kind absent here goes to `namespace` only. Listing reads the
   * same namespaces.
   */
  namespacesByKind?: NamespacesByKind;
  /** this deployment's source label value (see lib/model/ownership.ts) */
  source: string;
  /** kinds listed and pruned; default ServiceEntry and WorkloadEntry (the runtime passes managedKinds(config)) */
  kinds?: readonly IstioKind[];
  fieldManager?: string;
  /** client-side token bucket; `false` or qps 0: off */
  rateLimit?: RateLimitSettings | false;
  /**
   * VirtualServices and DestinationRules are not written for a host that a foreign one (any
   * other owner, in the target namespace) routes; the foreign ones are listed at most once
   * per `ttlMs` (default 10 s). `false`: not checked.
   */
  hostClaims?: { ttlMs: number } | false;
  retry?: Partial<RetryPolicy>;
  /** per request; default 15 s */
  timeoutMs?: number;
  /** objects written in parallel; default 8 */
  concurrency?: number;
  /** list page size (limit/continue); default 500 */
  pageSize?: number;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  random?: () => number;
  logger?: Logger;
  /** replaces the client-node adapter (tests) */
  client?: IstioObjectsClient;
}

/** unowned: a same-named object is someone else's; host: someone else's object routes the same host */
export type ConflictType = 'unowned' | 'host';

export interface ApplyOptions {
  /** true: report what would change without writing; 'server': the same, also validated by the server (dryRun=All) */
  dryRun?: boolean | 'server';
  /**
   * The owned objects from a listOwned just before: names in it need no GET, names not in
   * it are checked with one. Without it the writer uses what it learnt itself so far.
   */
  owned?: Iterable<OwnedObjectMeta>;
  /** skip objects whose content-hash annotation equals the owned object's (default false: apply repairs hand edits) */
  skipUnchanged?: boolean;
  /** Accepted for ClusterTarget: this writer always replaces an owned object whole (PUT with its resourceVersion). */
  replace?: boolean;
  /** read the foreign objects' host claims afresh instead of from the last `hostClaims.ttlMs` (resync and audit: what the cluster holds now) */
  fresh?: boolean;
}

export interface ObjectFailure {
  key: string;
  error: string;
  code?: number;
  causes?: StatusCause[];
}

export interface ApplyReport extends ApplyOutcome {
  dryRun: boolean;
  created: string[];
  updated: string[];
  unchanged: string[];
  conflicts: { key: string; reason: string; type: ConflictType }[];
  failed: ObjectFailure[];
  /** Warning headers the server sent (e.g. unknown fields it pruned) */
  warnings: { key: string; warning: string }[];
}

export interface DeleteOptions {
  dryRun?: boolean;
  owned?: Iterable<OwnedObjectMeta>;
}

export interface DeleteReport extends DeleteOutcome {
  /** in a dry run, `deleted` lists what would be deleted */
  dryRun: boolean;
  failed: ObjectFailure[];
}

export interface ListOwnedOptions {
  /** only these audit shards (SHARD_LABEL) */
  shards?: readonly number[];
  /** only the objects of these services (SERVICE_LABEL values; Sidecars have none) */
  services?: readonly string[];
  /** only the Sidecars of these consumers (CONSUMER_LABEL values) */
  consumers?: readonly string[];
  /** default: the writer's kinds but PER_CONSUMER_KINDS */
  kinds?: readonly IstioKind[];
  /** PartialObjectMetadataList (default true): names, labels, annotations, generation only */
  metadataOnly?: boolean;
  pageSize?: number;
}

export interface ListObjectsOptions {
  /** default: every object */
  labelSelector?: string;
  pageSize?: number;
}

function toOwned(kind: IstioKind, m: ObjectMeta): OwnedObjectMeta {
  return {
    kind,
    namespace: m.namespace,
    name: m.name,
    labels: m.labels,
    annotations: m.annotations,
    ...(m.generation === undefined ? {} : { generation: m.generation }),
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
}

/** Failures about one object (bad content, precondition); anything else is about the cluster. */
function isObjectSpecific(error: unknown): boolean {
  const s = statusOf(error);
  if (s === undefined) return false;
  return [400, 404, 409, 413, 422].includes(s.code) || /request is too large/i.test(s.message);
}

function failureOf(key: string, error: unknown): ObjectFailure {
  const s = statusOf(error);
  return { key, error: describeError(error), ...(s === undefined ? {} : { code: s.code, ...(s.causes.length > 0 ? { causes: s.causes } : {}) }) };
}

/** How often an object may change under us in one apply before we give up on it. */
const MAX_REFRESHES = 3;

/** An attempt on `key` may still land later (see ApplyOutcome.uncertain). */
function markUncertain(report: { uncertain?: string[] }, key: string): void {
  const list = (report.uncertain ??= []);
  if (!list.includes(key)) list.push(key);
}

export class KubeClusterWriter implements ClusterTarget {
  readonly namespace: string;
  readonly source: string;
  readonly kinds: readonly IstioKind[];
  readonly #scope: NamespaceScope;
  readonly metrics: WriterMetrics = emptyWriterMetrics();
  readonly #client: IstioObjectsClient;
  readonly #limiter: RateLimiter;
  readonly #fieldManager: string;
  readonly #retry: Partial<RetryPolicy>;
  readonly #concurrency: number;
  readonly #pageSize: number;
  readonly #clock: Pick<Clock, 'now' | 'sleep'>;
  readonly #random: () => number;
  readonly #log: Logger;
  /** owned objects as last seen: from listings and from our own writes */
  readonly #known = new Map<string, OwnedObjectMeta>();
  readonly #hostClaimsTtlMs: number | undefined;
  #hostClaims: { at: number; claims: Promise<HostClaims> } | undefined;

  constructor(options: KubeWriterOptions) {
    if (options.namespace === '') throw new Error('kube writer: namespace is required');
    if (options.source === '') throw new Error('kube writer: source is required');
    this.namespace = options.namespace;
    this.source = options.source;
    this.kinds = options.kinds ?? DEFAULT_KINDS;
    this.#scope = namespaceScope(options.namespace, options.namespacesByKind);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#client = options.client ?? createIstioObjectsClient({ kubeConfig: options.kubeConfig, timeoutMs: options.timeoutMs ?? 15_000 });
    this.#limiter = createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, this.#clock);
    this.#fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.#retry = options.retry ?? {};
    this.#concurrency = options.concurrency ?? 8;
    this.#pageSize = options.pageSize ?? 500;
    this.#hostClaimsTtlMs = options.hostClaims === false ? undefined : (options.hostClaims?.ttlMs ?? 10_000);
    this.#log = (options.logger ?? silentLogger).child({ component: 'kube-writer', namespace: options.namespace });
  }

  /** The namespaces `kind` may be written to (and is listed in). */
  allowedNamespaces(kind: IstioKind): readonly string[] {
    return this.#scope.allowed(kind);
  }

  /** One API call: rate limited, retried, counted. */
  async #call<T>(fn: () => Promise<T>, options: { retryConflicts: boolean; onUncertain?: () => void }): Promise<T> {
    try {
      return await withRetry(
        async () => {
          await this.#limiter.acquire();
          return await fn();
        },
        {
          policy: this.#retry,
          clock: this.#clock,
          random: this.#random,
          retryConflicts: options.retryConflicts,
          onRetry: (e) => {
            if (e.reason === 'timeout' || e.reason === 'network') options.onUncertain?.();
            this.metrics.retries++;
            this.metrics.retriesByReason[e.reason] = (this.metrics.retriesByReason[e.reason] ?? 0) + 1;
            this.#log.debug({ attempt: e.attempt, delayMs: e.delayMs, reason: e.reason }, 'retrying API call');
          },
        },
      );
    } catch (error) {
      if (options.onUncertain !== undefined && (isTimeout(error) || isNetworkError(error))) options.onUncertain();
      throw error;
    } finally {
      this.#syncCounters();
    }
  }

  #syncCounters(): void {
    this.metrics.requests = this.#client.stats.requests;
    this.metrics.bytesSent = this.#client.stats.bytesSent;
    this.metrics.throttledWaits = this.#limiter.stats.throttled;
    this.metrics.throttledMs = Math.round(this.#limiter.stats.throttledMs);
  }

  #index(owned: Iterable<OwnedObjectMeta> | undefined): Map<string, OwnedObjectMeta> {
    if (owned === undefined) return this.#known;
    const index = new Map<string, OwnedObjectMeta>();
    for (const o of owned) index.set(keyOfRef(o), o);
    return index;
  }

  #remember(key: string, meta: OwnedObjectMeta | undefined): void {
    if (meta === undefined) this.#known.delete(key);
    else this.#known.set(key, meta);
  }

  /** Reads one object: ours (with fresh metadata), absent, or someone else's. */
  async #inspect(kind: IstioKind, namespace: string, name: string, key: string): Promise<OwnedObjectMeta | 'absent' | 'foreign'> {
    this.metrics.gets++;
    const live = await this.#call(() => this.#client.get(kind, namespace, name), { retryConflicts: true });
    if (live === undefined) {
      this.#remember(key, undefined);
      return 'absent';
    }
    if (!isOwnedBy(live.labels, this.source)) {
      this.#remember(key, undefined);
      return 'foreign';
    }
    const owned = toOwned(kind, live);
    this.#remember(key, owned);
    return owned;
  }

  async listOwned(options: ListOwnedOptions = {}): Promise<OwnedObjectMeta[]> {
    let selector = ownedSelector(this.source);
    if (options.shards !== undefined) {
      if (options.shards.length === 0) return [];
      selector += `,${SHARD_LABEL} in (${options.shards.join(',')})`;
    }
    if (options.services !== undefined) {
      if (options.services.length === 0) return [];
      selector += `,${SERVICE_LABEL} in (${options.services.join(',')})`;
    }
    if (options.consumers !== undefined) {
      if (options.consumers.length === 0) return [];
      selector += `,${CONSUMER_LABEL} in (${options.consumers.join(',')})`;
    }
    const kinds = options.kinds ?? this.kinds.filter((k) => !PER_CONSUMER_KINDS.includes(k));
    // One list per (kind, namespace), side by side: a retried answer for one does not hold up the others.
    const pairs = this.#scope.pairs(kinds);
    const perPair = await Promise.all(pairs.map(({ kind, namespace }) => this.#listKind(kind, namespace, selector, options)));
    const listed = perPair.flat();
    // What we remembered in the listed slice and the server no longer holds is gone (deleted
    // by hand, say): forgotten, so a write of it creates instead of replacing a ghost.
    // This runs over every remembered object (the whole owned set after a sync) on every
    // push: set lookups, the most selective first, not a scan of the slice's lists per object.
    const seen = new Set(listed.map((o) => keyOfRef(o)));
    const services = options.services === undefined ? undefined : new Set(options.services);
    const shards = options.shards === undefined ? undefined : new Set(options.shards.map(String));
    const consumers = options.consumers === undefined ? undefined : new Set(options.consumers);
    const listedPairs = new Set(pairs.map((p) => `${p.kind}/${p.namespace}`));
    const inSlice = (o: OwnedObjectMeta): boolean =>
      (services === undefined || services.has(o.labels[SERVICE_LABEL] ?? '')) &&
      (shards === undefined || shards.has(o.labels[SHARD_LABEL] ?? '')) &&
      (consumers === undefined || consumers.has(o.labels[CONSUMER_LABEL] ?? '')) &&
      listedPairs.has(`${o.kind}/${o.namespace}`);
    for (const [key, o] of this.#known) if (inSlice(o) && !seen.has(key)) this.#known.delete(key);
    return listed;
  }

  /**
   * Every object of `kind` in `namespace`, whoever owns it, with its spec (paginated full
   * lists): to see foreign objects sc2mesh's must not clash with, e.g. a Sidecar selecting
   * the same workloads. Any namespace may be read; RBAC decides whether it can be.
   */
  async listObjects(kind: IstioKind, namespace: string, options: ListObjectsOptions = {}): Promise<ListedObject[]> {
    const items = await this.#listAllPages((continueToken) =>
      this.#client.listFullPage(kind, namespace, { labelSelector: options.labelSelector ?? '', limit: options.pageSize ?? this.#pageSize, continueToken }),
    );
    // What is ours is now known afresh: a later apply needs no GET for it.
    for (const { meta } of items) if (isOwnedBy(meta.labels, this.source)) this.#remember(objectKey(kind, meta.namespace, meta.name), toOwned(kind, meta));
    return items;
  }

  /**
   * Every page of one list, retried. A 410 Expired (the continue token outlived the
   * server's history) lists again from the first page, twice at most: a pass cut short
   * is never returned as the whole list.
   */
  async #listAllPages<T>(fetchPage: (continueToken: string | undefined) => Promise<{ items: T[]; continueToken?: string | undefined }>): Promise<T[]> {
    let restarts = 0;
    for (;;) {
      const items: T[] = [];
      let continueToken: string | undefined;
      try {
        do {
          this.metrics.listPages++;
          const page = await this.#call(() => fetchPage(continueToken), { retryConflicts: true });
          items.push(...page.items);
          continueToken = page.continueToken;
        } while (continueToken !== undefined);
        return items;
      } catch (error) {
        if (statusOf(error)?.code !== 410 || restarts++ >= 2) throw error;
      }
    }
  }

  /** The hosts foreign VirtualServices and DestinationRules route: one selector list per kind, shared by concurrent applies, kept `hostClaims.ttlMs`. */
  #routingClaims(): Promise<HostClaims> {
    const now = this.#clock.now();
    const cached = this.#hostClaims;
    if (cached !== undefined && now - cached.at < (this.#hostClaimsTtlMs ?? 0)) return cached.claims;
    const notOurs = `${SOURCE_LABEL}!=${this.source}`;
    const kinds = ROUTING_KINDS.filter((k) => this.kinds.includes(k));
    const claims = Promise.all(kinds.map(async (kind) => (await this.listObjects(kind, this.namespace, { labelSelector: notOurs })).map((o) => ({ kind, namespace: o.meta.namespace, name: o.meta.name, spec: o.spec })))).then((lists) =>
      hostClaimsOf(lists.flat()),
    );
    this.#hostClaims = { at: now, claims };
    // A failed listing is not kept: the next apply lists again.
    claims.catch(() => {
      if (this.#hostClaims?.claims === claims) this.#hostClaims = undefined;
    });
    return claims;
  }

  async #listKind(kind: IstioKind, namespace: string, selector: string, options: ListOwnedOptions): Promise<OwnedObjectMeta[]> {
    const listed = await this.#listAllPages((continueToken) =>
      this.#client.listPage(kind, namespace, { labelSelector: selector, limit: options.pageSize ?? this.#pageSize, continueToken, metadataOnly: options.metadataOnly ?? true }),
    );
    // The selector already filters; the labels are checked again because deleting
    // rests on them.
    const items: OwnedObjectMeta[] = [];
    for (const m of listed) if (isOwnedBy(m.labels, this.source)) items.push(toOwned(kind, m));
    for (const o of items) this.#remember(objectKey(kind, o.namespace, o.name), o);
    return items;
  }

  #rejectDesired(o: IstioObject): string | undefined {
    const outside = this.#scope.refusal(o.kind, o.metadata.namespace);
    if (outside !== undefined) return outside;
    if (!this.kinds.includes(o.kind)) return `${o.kind} is not a kind this writer manages (${this.kinds.join(', ')})`;
    if (!isOwnedBy(o.metadata.labels, this.source)) return `lacks the ownership labels of source ${JSON.stringify(this.source)}`;
    return undefined;
  }

  async apply(objects: readonly IstioObject[], options: ApplyOptions = {}): Promise<ApplyReport> {
    const dryRun = options.dryRun ?? false;
    const report: ApplyReport = { dryRun: dryRun !== false, applied: [], created: [], updated: [], unchanged: [], conflicts: [], failed: [], warnings: [] };
    const index = this.#index(options.owned);
    if (options.fresh === true) this.#hostClaims = undefined;
    let outage: string | undefined;
    await forEachLimit(objects, this.#concurrency, async (object) => {
      const key = keyOfObject(object);
      if (outage !== undefined) {
        report.failed.push({ key, error: `not attempted: ${outage}` });
        return;
      }
      try {
        await this.#applyOne(object, key, index.get(key), options, report);
      } catch (error) {
        report.failed.push(failureOf(key, error));
        this.metrics.failures++;
        if (!isObjectSpecific(error)) outage ??= describeError(error);
      }
    });
    this.#log.info(
      { created: report.created.length, updated: report.updated.length, unchanged: report.unchanged.length, conflicts: report.conflicts.length, failed: report.failed.length, dryRun: report.dryRun },
      'apply done',
    );
    for (const c of report.conflicts) this.#log.warn({ key: c.key, type: c.type }, c.reason);
    return report;
  }

  /** #inspect, reporting a foreign object as the conflict it is. */
  async #inspectOrConflict(kind: IstioKind, metadata: IstioObject['metadata'], key: string, report: ApplyReport): Promise<OwnedObjectMeta | 'absent' | 'foreign'> {
    const seen = await this.#inspect(kind, metadata.namespace, metadata.name, key);
    if (seen === 'foreign') {
      report.conflicts.push({ key, type: 'unowned', reason: `${key} exists without the ownership labels of source ${JSON.stringify(this.source)}; left untouched` });
      this.metrics.conflicts++;
    }
    return seen;
  }

  async #applyOne(object: IstioObject, key: string, indexed: OwnedObjectMeta | undefined, options: ApplyOptions, report: ApplyReport): Promise<void> {
    const rejected = this.#rejectDesired(object);
    if (rejected !== undefined) {
      report.failed.push({ key, error: `not applied: ${rejected}` });
      this.metrics.failures++;
      return;
    }
    const { kind, metadata } = object;
    if (this.#hostClaimsTtlMs !== undefined && (ROUTING_KINDS as readonly IstioKind[]).includes(kind)) {
      const taken = claimedHostReason(object, await this.#routingClaims());
      if (taken !== undefined) {
        report.conflicts.push({ key, type: 'host', reason: taken });
        this.metrics.conflicts++;
        return;
      }
    }
    const desiredHash = metadata.annotations[CONTENT_HASH_ANNOTATION];
    const isDryRun = options.dryRun === true || options.dryRun === 'server';
    const serverDryRun = options.dryRun === 'server';
    let known: OwnedObjectMeta | 'absent' | 'foreign' | undefined = indexed;
    for (let round = 0; round <= MAX_REFRESHES; round++) {
      // A client-side dry run must tell created from updated from someone else's without
      // writing; a real write of a name we know nothing about is a create that fails if the
      // name is taken, which answers the same question without the GET.
      if (known === undefined && options.dryRun === true) known = await this.#inspectOrConflict(kind, metadata, key, report);
      if (known === 'foreign') return;
      const owned = known === 'absent' || known === undefined ? undefined : known;
      const sameHash = owned !== undefined && desiredHash !== undefined && owned.annotations[CONTENT_HASH_ANNOTATION] === desiredHash;
      if (sameHash && (options.skipUnchanged === true || isDryRun)) {
        report.unchanged.push(key);
        if (!isDryRun) {
          this.metrics.unchanged++;
          report.applied.push({ key, ...(owned.generation === undefined ? {} : { generation: owned.generation }) });
        }
        return;
      }
      if (options.dryRun === true) {
        (owned === undefined ? report.created : report.updated).push(key);
        return;
      }
      try {
        this.metrics.applies++;
        // Our own object is replaced whole, its resourceVersion the precondition: a field
        // someone edited or added by hand goes, and if anyone replaced or re-labelled it
        // meanwhile the server answers 409 and we look again. A new name is created, never
        // merged into: if it exists (anyone's, or our own earlier attempt whose answer was
        // lost) the server answers AlreadyExists and we look before deciding.
        const result = await this.#call(
          () =>
            owned === undefined
              ? this.#client.create(kind, metadata.namespace, object, { fieldManager: this.#fieldManager, dryRun: serverDryRun })
              : this.#client.replace(kind, metadata.namespace, metadata.name, { ...object, metadata: { ...metadata, resourceVersion: owned.resourceVersion } }, { fieldManager: this.#fieldManager, dryRun: serverDryRun }),
          { retryConflicts: false, onUncertain: () => markUncertain(report, key) },
        );
        for (const warning of result.warnings) report.warnings.push({ key, warning });
        if (serverDryRun) {
          (owned === undefined ? report.created : report.updated).push(key);
          return;
        }
        this.#remember(key, toOwned(kind, result.meta));
        if (owned === undefined) {
          report.created.push(key);
          this.metrics.created++;
        } else if (result.meta.resourceVersion === owned.resourceVersion) {
          report.unchanged.push(key);
          this.metrics.unchanged++;
        } else {
          report.updated.push(key);
          this.metrics.updated++;
        }
        report.applied.push({ key, ...(result.meta.generation === undefined ? {} : { generation: result.meta.generation }) });
        return;
      } catch (error) {
        const status = statusOf(error);
        const taken = owned === undefined && isAlreadyExists(status);
        const stale = owned !== undefined && (isOptimisticConflict(status) || isNotFound(status));
        if (!taken && !stale) throw error;
        // Taken, changed or gone since we last saw it: maybe not (or no longer) ours. Look again before writing.
        this.metrics.refreshes++;
        this.#remember(key, undefined);
        known = await this.#inspectOrConflict(kind, metadata, key, report);
      }
    }
    report.failed.push({ key, error: `kept changing while being applied (${MAX_REFRESHES} re-reads)` });
    this.metrics.failures++;
  }

  async delete(refs: readonly ObjectRef[], options: DeleteOptions = {}): Promise<DeleteReport> {
    const report: DeleteReport = { dryRun: options.dryRun === true, deleted: [], absent: [], conflicts: [], failed: [] };
    const index = this.#index(options.owned);
    let outage: string | undefined;
    await forEachLimit(refs, this.#concurrency, async (ref) => {
      const key = keyOfRef(ref);
      if (outage !== undefined) {
        report.failed.push({ key, error: `not attempted: ${outage}` });
        return;
      }
      try {
        await this.#deleteOne(ref, key, index.get(key), options, report);
      } catch (error) {
        report.failed.push(failureOf(key, error));
        this.metrics.failures++;
        if (!isObjectSpecific(error)) outage ??= describeError(error);
      }
    });
    this.#log.info({ deleted: report.deleted.length, absent: report.absent.length, conflicts: report.conflicts.length, failed: report.failed.length, dryRun: report.dryRun }, 'delete done');
    return report;
  }

  async #deleteOne(ref: ObjectRef, key: string, indexed: OwnedObjectMeta | undefined, options: DeleteOptions, report: DeleteReport): Promise<void> {
    const outside = this.#scope.refusal(ref.kind, ref.namespace);
    if (outside !== undefined) {
      report.failed.push({ key, error: `not deleted: ${outside}` });
      return;
    }
    let known: OwnedObjectMeta | undefined = indexed;
    for (let round = 0; round <= MAX_REFRESHES; round++) {
      if (known === undefined) {
        const seen = await this.#inspect(ref.kind, ref.namespace, ref.name, key);
        if (seen === 'absent') {
          report.absent.push(key);
          return;
        }
        if (seen === 'foreign') {
          report.conflicts.push({ key, reason: `${key} exists without the ownership labels of source ${JSON.stringify(this.source)}; not deleted` });
          this.metrics.conflicts++;
          return;
        }
        known = seen;
      }
      if (options.dryRun === true) {
        report.deleted.push(key);
        return;
      }
      const target = known;
      try {
        await this.#call(() => this.#client.delete(ref.kind, ref.namespace, ref.name, { uid: target.uid, resourceVersion: target.resourceVersion, dryRun: false }), { retryConflicts: false, onUncertain: () => markUncertain(report, key) });
        this.#remember(key, undefined);
        report.deleted.push(key);
        this.metrics.deletes++;
        return;
      } catch (error) {
        const status = statusOf(error);
        if (isNotFound(status)) {
          this.#remember(key, undefined);
          report.absent.push(key);
          return;
        }
        if (isOptimisticConflict(status)) {
          this.metrics.refreshes++;
          this.#remember(key, undefined);
          known = undefined;
          continue;
        }
        throw error;
      }
    }
    report.failed.push({ key, error: `kept changing while being deleted (${MAX_REFRESHES} re-reads)` });
  }
}

export function createKubeClusterWriter(options: KubeWriterOptions): KubeClusterWriter {
  return new KubeClusterWriter(options);
}
