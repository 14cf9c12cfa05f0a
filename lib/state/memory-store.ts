// StateStore in memory, for fast unit tests of push, sync and reconcile. It keeps the
// DynamoDB store's semantics, not its layout: the same validation, the same version
// conditions (StaleStateError), the same "unchanged record, no write" rule, the same
// CorruptStateError paths (a test marks an item corrupt with `injectCorrupt`, as a hand
// edit of the table would make it). The contract suite test/support/state-store-contract.ts
// runs against both stores. What it does not model: capacity units (always 0) and object
// items (objectsRef/objectsChunks are computed as DynamoDB would, but nothing can be orphaned).
import type { Cycle } from '../debounce/cycle.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { ValidationError } from '../model/validation.ts';
import { chunkItems, newObjectsRef, validateRunRecord, validateServiceRecord } from './items.ts';
import { DEFAULT_RUN_RETENTION_MS, isFullState, sameContent, sameObjects, storedRun } from './record-rules.ts';
import { DEFAULT_CYCLE_NAME, PARTITION } from './table.ts';
import {
  CorruptStateError,
  StaleStateError,
  type CorruptItem,
  type PreviousService,
  type ServiceRecord,
  type ServiceState,
  type ServiceSummary,
  type StateMetrics,
  type StateStore,
  type StoredRunRecord,
  type Versioned,
} from './state-store.ts';

export interface MemoryStateStoreOptions {
  runRetentionMs?: number;
  onCorrupt?: (item: CorruptItem) => void;
  logger?: Logger;
  clock?: Pick<Clock, 'now'>;
}

export interface MemoryStateStore extends StateStore {
  /** Make a stored service or cycle unreadable, keeping `version` readable (or not, when undefined). */
  injectCorrupt(kind: 'service' | 'cycle', key: string, version: number | undefined): void;
}

type Slot<T> = { value: T; version: number } | { corrupt: CorruptItem };

/** A copy as a DynamoDB round trip would give it: plain data, undefined fields gone. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function summaryOf(state: ServiceState): ServiceSummary {
  const { objects: _objects, ...summary } = state;
  return summary;
}

export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): MemoryStateStore {
  const clock = options.clock ?? systemClock;
  const retention = options.runRetentionMs ?? DEFAULT_RUN_RETENTION_MS;
  const logger = options.logger ?? silentLogger;
  const services = new Map<string, Slot<ServiceState>>();
  const cycles = new Map<string, Slot<Cycle>>();
  let runs: StoredRunRecord[] = [];
  const metrics: StateMetrics = { readUnits: 0, writeUnits: 0, reads: 0, writes: 0 };

  const report = (item: CorruptItem): void => {
    if (options.onCorrupt !== undefined) options.onCorrupt(item);
    else logger.warn({ pk: item.pk, sk: item.sk, field: item.field }, `corrupt state item skipped: ${item.message}`);
  };
  const versionOf = (slot: Slot<unknown> | undefined): number => (slot === undefined ? 0 : 'corrupt' in slot ? (slot.corrupt.version ?? -1) : slot.version);
  const stale = (serviceKey: string, version: number | undefined): StaleStateError => new StaleStateError(`${PARTITION.service}/${serviceKey}`, version);
  const sortedServices = (): [string, Slot<ServiceState>][] => [...services].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  /** The state a record becomes at `version`, its bookkeeping as the DynamoDB store computes it. */
  function stateOf(record: ServiceRecord, version: number, reuse: ServiceState | undefined): ServiceState {
    const objects = copy(record.objects);
    const count = Object.keys(objects).length;
    const objectsRef = reuse !== undefined ? reuse.objectsRef : count > 0 ? newObjectsRef(version) : '';
    const objectsChunks = reuse !== undefined ? reuse.objectsChunks : count > 0 ? chunkItems(record.serviceKey, objectsRef, objects, 0).length : 0;
    return { ...copy(record), objects, objectCount: count, objectsRef, objectsChunks, version };
  }

  function read(serviceKey: string, corrupt: CorruptItem[]): ServiceState | undefined {
    const slot = services.get(serviceKey);
    if (slot === undefined) return undefined;
    if ('corrupt' in slot) {
      corrupt.push(slot.corrupt);
      report(slot.corrupt);
      return undefined;
    }
    return copy(slot.value);
  }

  const store: MemoryStateStore = {
    async listServices() {
      metrics.reads++;
      const corrupt: CorruptItem[] = [];
      const items: ServiceSummary[] = [];
      for (const [k] of sortedServices()) {
        const s = read(k, corrupt);
        if (s !== undefined) items.push(summaryOf(s));
      }
      return { items, corrupt };
    },

    async listServicesWithObjects() {
      metrics.reads++;
      const corrupt: CorruptItem[] = [];
      const items: ServiceState[] = [];
      for (const [k] of sortedServices()) {
        const s = read(k, corrupt);
        if (s !== undefined) items.push(s);
      }
      return { items, corrupt, orphans: [] };
    },

    async getService(serviceKey) {
      metrics.reads++;
      const corrupt: CorruptItem[] = [];
      const s = read(serviceKey, corrupt);
      if (corrupt[0] !== undefined) throw new CorruptStateError(corrupt[0]);
      return s;
    },

    async getServices(serviceKeys) {
      metrics.reads++;
      const corrupt: CorruptItem[] = [];
      const found = new Map<string, ServiceState>();
      for (const k of new Set(serviceKeys)) {
        const s = read(k, corrupt);
        if (s !== undefined) found.set(k, s);
      }
      return { services: found, corrupt };
    },

    async putService(next, previous: PreviousService | undefined) {
      validateServiceRecord(next);
      const full = previous !== undefined && isFullState(previous) ? previous : undefined;
      if (full !== undefined && full.serviceKey !== next.serviceKey) {
        throw new ValidationError(`service.serviceKey: ${next.serviceKey} does not match the previous state's ${full.serviceKey}`, 'service.serviceKey', next.serviceKey);
      }
      if (full !== undefined && sameContent(full, next)) return { written: false, version: full.version };
      metrics.writes++;
      if (versionOf(services.get(next.serviceKey)) !== (previous?.version ?? 0)) throw stale(next.serviceKey, previous?.version);
      const version = (previous?.version ?? 0) + 1;
      const reuse = full !== undefined && sameObjects(full.objects, next.objects) ? full : undefined;
      services.set(next.serviceKey, { value: stateOf(next, version, reuse), version });
      return { written: true, version };
    },

    async deleteService(serviceKey, previous) {
      metrics.writes++;
      if (versionOf(services.get(serviceKey)) !== previous.version || !services.has(serviceKey)) throw stale(serviceKey, previous.version);
      services.delete(serviceKey);
    },

    async importServices(records) {
      for (const record of records) validateServiceRecord(record);
      metrics.writes++;
      for (const record of records) services.set(record.serviceKey, { value: stateOf(record, 1, undefined), version: 1 });
      return records.length;
    },

    async getCycle(name = DEFAULT_CYCLE_NAME): Promise<Versioned<Cycle>> {
      metrics.reads++;
      const slot = cycles.get(name);
      if (slot === undefined) return { value: null, version: 0 };
      if (!('corrupt' in slot)) return { value: copy(slot.value), version: slot.version };
      // As in DynamoDB: a corrupt cycle is started afresh over its own version.
      report(slot.corrupt);
      if (slot.corrupt.version === undefined) throw new CorruptStateError(slot.corrupt);
      return { value: null, version: slot.corrupt.version };
    },

    async casCycle(next, expectedVersion, name = DEFAULT_CYCLE_NAME) {
      metrics.writes++;
      if (versionOf(cycles.get(name)) !== expectedVersion) return false;
      cycles.set(name, { value: copy(next), version: expectedVersion + 1 });
      return true;
    },

    async recordRun(run) {
      validateRunRecord(run);
      metrics.writes++;
      const stored = storedRun(copy(run), retention);
      // What DynamoDB's TTL would have removed by now, so memory stays bounded.
      const nowSeconds = Math.floor(clock.now() / 1000);
      runs = runs.filter((r) => r.expiresAt > nowSeconds && !(r.startedAt === stored.startedAt && r.id === stored.id));
      runs.push(stored);
      return copy(stored);
    },

    async recentRuns(limit = 20) {
      metrics.reads++;
      const nowSeconds = Math.floor(clock.now() / 1000);
      // The DynamoDB sort key is `<startedAt>#<id>`: newest first, ties by id descending.
      const order = (r: StoredRunRecord): string => `${String(r.startedAt).padStart(13, '0')}#${r.id}`;
      return runs
        .filter((r) => r.expiresAt > nowSeconds)
        .sort((a, b) => (order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : 0))
        .slice(0, limit)
        .map(copy);
    },

    metrics,
    resetMetrics() {
      metrics.readUnits = 0;
      metrics.writeUnits = 0;
      metrics.reads = 0;
      metrics.writes = 0;
    },

    injectCorrupt(kind, key, version) {
      const pk = kind === 'service' ? PARTITION.service : PARTITION.cycle;
      const item: CorruptItem = { pk, sk: key, field: `item ${pk}/${key}`, value: undefined, message: `item ${pk}/${key}: made corrupt by a test` };
      if (version !== undefined) item.version = version;
      if (kind === 'service') services.set(key, { corrupt: item });
      else cycles.set(key, { corrupt: item });
    },
  };
  return store;
}
