// What sc2mesh remembers between runs, behind one small interface: per service, what was
// last pushed; the debounce cycle; recent runs. Every write that two invocations could
// race on is conditional on a version number (DynamoDB has transactions, dynalite does
// not, and single-item conditions are enough here). Two implementations: DynamoDB
// (dynamo-store.ts, also on dynalite) and memory (memory-store.ts, for unit tests); one
// contract suite (test/support/state-store-contract.ts) runs against both.
import type { Cycle } from '../debounce/cycle.ts';

/**
 * What a push records for one service. A plain JSON-like type: an optional field added
 * here is stored and read back by both stores without changes to them (it then also sits
 * in the summary the per-minute sync lists, so keep such fields small), and a change to it
 * alone is a change worth writing.
 */
export interface ServiceRecord {
  serviceKey: string;
  /**
   * Hash over the content hashes of the service's objects (desiredHashOf): the sync renders
   * the registry, hashes the same way and pushes the service when the two differ. Stored as
   * the DynamoDB attribute `registryHash`, its name before it was named for what it hashes.
   */
  objectsHash: string;
  /** objectKey → short content hash of every object applied for this service */
  objects: Record<string, string>;
  lastPushAt: number;
  lastPushCorrelationId?: string;
  /**
   * When a write of this service last had an unknown outcome (a timeout, a lost answer).
   * Until UNSETTLED_WINDOW_MS later, every sync pushes the service again, and the push
   * compares what the cluster then holds: a late write that landed is undone.
   */
  unsettledAt?: number;
}

/** The compact per-service item the per-minute sync lists. */
export interface ServiceSummary extends Omit<ServiceRecord, 'objects'> {
  objectCount: number;
  /** bumped by every write; the condition of the next one */
  version: number;
  /** bookkeeping: which OBJ items hold the object map ('' = none) and how many */
  objectsRef: string;
  objectsChunks: number;
}

export interface ServiceState extends ServiceSummary {
  objects: Record<string, string>;
}

/**
 * What a caller read before writing: a full state (then an unchanged record is not
 * written at all) or just a version (e.g. from a CorruptStateError, to overwrite it).
 */
export type PreviousService = ServiceState | { version: number };

export interface PutResult {
  written: boolean;
  version: number;
}

/** An item that failed validation: skipped from listings, reported, never a crash. */
export interface CorruptItem {
  pk: string;
  sk: string;
  field: string;
  value: unknown;
  message: string;
  /** the item's version, when that attribute itself is readable */
  version?: number;
}

export interface Listing<T> {
  items: T[];
  corrupt: CorruptItem[];
}

export interface FullListing extends Listing<ServiceState> {
  /**
   * Object items no summary refers to: left by a crash between the steps of a write, and
   * removed by that service's next write or deletion (never by a background sweep).
   * Always empty in memory.
   */
  orphans: { sk: string; writtenAt: number }[];
}

// The drift audit runs inside a sync and is recorded with it (the sync's counts).
export const RUN_KINDS = ['sync', 'push', 'resync'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_OUTCOMES = ['ok', 'partial', 'error', 'refused'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface RunRecord {
  /** the run's correlation id */
  id: string;
  kind: RunKind;
  startedAt: number;
  finishedAt: number;
  outcome: RunOutcome;
  /** e.g. { services: 10000, dirty: 3, applied: 5, deleted: 1, skipped: 0 } */
  counts: Record<string, number>;
  message?: string;
}

export interface StoredRunRecord extends RunRecord {
  /** epoch seconds; DynamoDB's TTL deletes the item some time after */
  expiresAt: number;
}

export interface Versioned<T> {
  value: T;
  /** 0 when the item does not exist yet */
  version: number;
}

export interface StateMetrics {
  readUnits: number;
  writeUnits: number;
  /** read requests (GetItem, Query pages, BatchGetItem calls) */
  reads: number;
  /** write requests (PutItem, DeleteItem, BatchWriteItem calls), failed conditions included */
  writes: number;
}

export interface StateStore {
  /** All service summaries: one paginated Query over the compact items. */
  listServices(): Promise<Listing<ServiceSummary>>;
  /** Summaries with their object maps (resync, drift audit): two paginated Queries. */
  listServicesWithObjects(): Promise<FullListing>;
  /** One service with its objects (strongly consistent); throws CorruptStateError. */
  getService(serviceKey: string): Promise<ServiceState | undefined>;
  /** Several services in batched reads; absent keys are simply missing from the map. */
  getServices(serviceKeys: readonly string[]): Promise<{ services: Map<string, ServiceState>; corrupt: CorruptItem[] }>;
  /**
   * Record a push. Conditional on `previous` (undefined = must not exist yet); throws
   * StaleStateError when someone else wrote first. Makes no write at all when every field
   * but lastPush* equals `previous` (lastPush* then stay).
   */
  putService(next: ServiceRecord, previous: PreviousService | undefined): Promise<PutResult>;
  /** Forget a service (conditional on its version); throws StaleStateError. */
  deleteService(serviceKey: string, previous: PreviousService): Promise<void>;
  /**
   * Seed services quickly (batch writes, no conditions, version 1): tests, benchmarks,
   * imports. Meant for keys not yet present: an existing summary is overwritten, and its
   * old object items go with that service's next write.
   */
  importServices(records: readonly ServiceRecord[]): Promise<number>;

  getCycle(name?: string): Promise<Versioned<Cycle>>;
  /** Replace the cycle if its version is still `expectedVersion` (0 = absent); false if not. */
  casCycle(next: Cycle, expectedVersion: number, name?: string): Promise<boolean>;

  recordRun(run: RunRecord): Promise<StoredRunRecord>;
  /** Newest first; expired records are left out even before DynamoDB's TTL removes them. */
  recentRuns(limit?: number): Promise<StoredRunRecord[]>;

  readonly metrics: Readonly<StateMetrics>;
  resetMetrics(): void;
}

/** A conditional write lost: the item changed since the caller read it. */
export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  readonly key: string;
  readonly expectedVersion: number | undefined;
  constructor(key: string, expectedVersion: number | undefined) {
    super(`state ${key}: changed since read (expected ${expectedVersion === undefined ? 'no item' : `version ${expectedVersion}`})`);
    this.key = key;
    this.expectedVersion = expectedVersion;
  }
}

export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
  readonly item: CorruptItem;
  constructor(item: CorruptItem) {
    super(item.message);
    this.item = item;
  }
}
