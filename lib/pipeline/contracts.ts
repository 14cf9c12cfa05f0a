// What the pipeline needs from the outside world, as small interfaces. Adapters
// (lib/servicecenter, lib/kube, lib/output, lib/state, lib/queue) implement them; tests and
// the local runner swap them freely.
import type { ServiceDetail } from '../model/registry.ts';
import type { IstioKind, IstioObject } from '../model/istio.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { GovernanceKind } from '../governance/kinds.ts';
import type { Clock } from '../time/clock.ts';

/** The governance rules as listed, one answer per kind (lib/servicecenter/governance-reader.ts). */
export interface GovernanceListing {
  lists: Partial<Record<GovernanceKind, unknown>>;
  /** kinds the registry does not serve (404) */
  unavailable: { kind: GovernanceKind; status: number; message: string }[];
}

/** The registry could not be read: "unknown", never "empty" — callers delete nothing. (The registry client's own RegistryUnavailableError is one cause.) */
export class RegistryReadError extends Error {
  override readonly name = 'RegistryReadError';
}

/** What a push read of some services found: every key is in exactly one of the three. */
export interface RegistryRead {
  /** every version's registrations of each service found (a service with no instance maps to []) */
  services: Map<string, ServiceDetail[]>;
  /** services the registry says do not exist */
  missing: Set<string>;
  /** services that could not be read, with why: retried later, never taken for gone */
  unreadable: Map<string, string>;
}

/** The registry's consumer→provider records (lib/runtime/dependency-source.ts). */
export interface DependencyReading {
  records: import('../render/sidecar-egress.ts').DependencyRecord[];
  /** graph entries the registry sent malformed, or that name a service no longer listed */
  rejected: string[];
}

export interface RegistrySource {
  /** Every service (each version) with its instances: the sync and the resync. */
  readAll(): Promise<ServiceDetail[]>;
  /** The current registrations of some service groups (every version): the push. */
  readServices(serviceKeys: readonly string[]): Promise<RegistryRead>;
  /** The key of every service the registry lists, without instances: the wipe check. */
  listServiceKeys(): Promise<Set<string>>;
  /** Every governance rule, each kind once; throws RegistryReadError when they cannot be read. Only with governance.enabled. */
  readGovernance?(): Promise<GovernanceListing>;
  /** The consumer→provider records, by service key; throws RegistryReadError when they cannot be read. Only with sidecars.enabled. */
  readDependencies?(): Promise<DependencyReading>;
}

/** An owned object as the cluster holds it, metadata only. */
export interface LiveObject {
  kind: IstioKind;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** bumped by the API server on every spec change; absent for a manifests folder */
  generation?: number;
}

export interface AppliedObject {
  key: string;
  generation?: number;
}

export interface ApplyOutcome {
  applied: AppliedObject[];
  /** a same-named object without sc2mesh's ownership marks: never touched */
  conflicts: { key: string; reason: string }[];
  failed: { key: string; error: string }[];
  /**
   * Objects with an attempt whose outcome is unknown (timed out, connection lost): the API
   * server may still carry it out later, after a newer write of the same object.
   */
  uncertain?: string[];
}

export interface DeleteOutcome {
  deleted: string[];
  /** already gone: fine */
  absent: string[];
  /** exists without our marks: never deleted */
  conflicts: { key: string; reason: string }[];
  failed: { key: string; error: string }[];
  /** as ApplyOutcome.uncertain */
  uncertain?: string[];
}

export interface ClusterTarget {
  /**
   * The kinds this target lists and writes (the writer's: managedKinds(config)); absent:
   * every kind. An object state recorded of a kind not named here is one the cluster can
   * no longer show (its feature was turned off): the push deletes it by state's word
   * rather than take it for gone (lib/pipeline/service-plan.ts).
   */
  readonly kinds?: readonly IstioKind[];
  /**
   * Owned objects of this deployment's source, metadata only; optionally only some audit
   * shards (SHARD_LABEL) or only the objects of some services (SERVICE_LABEL values).
   */
  listOwned(options?: { shards?: readonly number[]; services?: readonly string[]; kinds?: readonly IstioKind[] }): Promise<LiveObject[]>;
  /**
   * Every object of a kind in a namespace, whoever owns it, with its spec: to see the
   * foreign objects sc2mesh's must not clash with. Absent where nobody else writes (a manifests folder).
   */
  listObjects?(kind: IstioKind, namespace: string): Promise<{ meta: { name: string; namespace: string; labels: Record<string, string> }; spec: unknown }[]>;
  /**
   * Write the objects, taking back fields someone else changed on ours; with `replace`, an
   * existing owned object is replaced whole (fields added by hand go; the kube writer always
   * replaces whole);
   * with `fresh`, nothing the target cached about foreign objects is trusted (resync, audit).
   */
  apply(objects: readonly IstioObject[], options?: { replace?: boolean; fresh?: boolean }): Promise<ApplyOutcome>;
  delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome>;
}

/**
 * Every part a pipeline step may use, as the runtime holds them. Each entry point names the
 * part it uses (PushDeps, SyncDeps, ReconcileDeps, ExecuteDeps, GovernanceReadDeps), so a
 * caller, a test in particular, builds only that.
 */
export interface PipelineDeps {
  registry: RegistrySource;
  cluster: ClusterTarget;
  state: import('../state/state-store.ts').StateStore;
  render: import('../render/options.ts').RenderOptions;
  guard: import('../plan/deletion-guard.ts').DeletionGuardConfig;
  metrics: import('./metrics.ts').PipelineMetrics;
  logger: import('../log.ts').Logger;
  clock: Pick<Clock, 'now'>;
  /** config governance; absent or not enabled: no rule is read and no governance object written */
  governance?: GovernanceSwitch;
}

export interface GovernanceSwitch {
  enabled: boolean;
  rateLimiting: boolean;
  /** where the rate-limit EnvoyFilters go (config governance.rateLimitNamespace); absent: istio-system, its default */
  rateLimitNamespace?: string;
}
