// StateStore on DynamoDB (and on dynalite, through the very same client code). Layout and
// reasons: see table.ts. A service's object map is written to fresh OBJ items first and
// only then made current by the conditional write of its summary, so a crash or a lost
// race between the two leaves at worst unreferenced OBJ items (swept later), never a
// summary pointing at half-written objects. Every request asks for its consumed capacity,
// which `metrics` adds up.
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient, ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { Cycle } from '../debounce/cycle.ts';
import { ValidationError } from '../model/validation.ts';
import {
  auditFromItem,
  chunkFromItem,
  chunkItems,
  chunkSortKey,
  cycleFromItem,
  runFromItem,
  runSortKey,
  runToItem,
  summaryFromItem,
  summaryToItem,
  validateRunRecord,
  validateServiceRecord,
  type ChunkItem,
  type Item,
} from './items.ts';
import { AUDIT_CURSOR_SK, DEFAULT_CYCLE_NAME, PARTITION, PK, SK, TTL_ATTRIBUTE } from './table.ts';
import {
  CorruptStateError,
  StaleStateError,
  type AuditCursor,
  type CorruptItem,
  type FullListing,
  type Listing,
  type PreviousService,
  type PutResult,
  type RunRecord,
  type ServiceRecord,
  type ServiceState,
  type ServiceSummary,
  type StateMetrics,
  type StateStore,
  type StoredRunRecord,
  type Versioned,
} from './state-store.ts';

export interface DynamoStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** how long run records live (TTL); default 7 days */
  runRetentionMs?: number;
  /** strongly consistent listings (twice the read units); default false */
  consistentListing?: boolean;
  /** where corrupt items are reported (besides being returned); default: a warning on `logger` */
  onCorrupt?: (item: CorruptItem) => void;
  logger?: Logger;
  now?: () => number;
}

const DAY_MS = 86_400_000;
const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_CONCURRENCY = 4;

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

function newRef(): string {
  return randomBytes(8).toString('hex');
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function sameObjects(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function isFullState(previous: PreviousService): previous is ServiceState {
  return 'registryHash' in previous;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  const TableName = options.tableName;
  const now = options.now ?? Date.now;
  const retention = options.runRetentionMs ?? 7 * DAY_MS;
  const logger = options.logger ?? silentLogger;
  const consistentListing = options.consistentListing ?? false;
  const metrics: StateMetrics = { readUnits: 0, writeUnits: 0, reads: 0, writes: 0 };

  const report = (item: CorruptItem): void => {
    if (options.onCorrupt !== undefined) options.onCorrupt(item);
    else logger.warn({ pk: item.pk, sk: item.sk, field: item.field }, `corrupt state item skipped: ${item.message}`);
  };

  const count = (kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void => {
    const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
    let units = 0;
    for (const c of list) units += c.CapacityUnits ?? 0;
    if (kind === 'read') {
      metrics.reads++;
      metrics.readUnits += units;
    } else {
      metrics.writes++;
      metrics.writeUnits += units;
    }
  };

  // ---- small helpers over the document client -------------------------------------------

  async function get(pk: string, sk: string, consistent = true): Promise<Item | undefined> {
    const out = await doc.send(new GetCommand({ TableName, Key: { [PK]: pk, [SK]: sk }, ConsistentRead: consistent, ReturnConsumedCapacity: 'TOTAL' }));
    count('read', out.ConsumedCapacity);
    return out.Item;
  }

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit = Infinity): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(new QueryCommand({ ...input, TableName, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }));
      count('read', out.ConsumedCapacity);
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined && items.length < limit);
    return items;
  }

  const partition = (pk: string, extra: Partial<QueryCommandInput> = {}): Omit<QueryCommandInput, 'TableName'> => ({
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': PK },
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: consistentListing,
    ...extra,
  });

  /** Put with a version condition: `expected` undefined or 0 = the item must not exist. */
  async function conditionalPut(item: Item, expected: number | undefined): Promise<boolean> {
    const absent = expected === undefined || expected === 0;
    try {
      const out = await doc.send(
        new PutCommand({
          TableName,
          Item: item,
          ConditionExpression: absent ? 'attribute_not_exists(#pk)' : '#v = :v',
          ExpressionAttributeNames: absent ? { '#pk': PK } : { '#v': 'version' },
          ...(absent ? {} : { ExpressionAttributeValues: { ':v': expected } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      count('write', out.ConsumedCapacity);
      return true;
    } catch (error) {
      metrics.writes++;
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function batchGet(keys: readonly Item[], consistent: boolean): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let pending: Item[] = keys.slice(i, i + BATCH_GET_MAX);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        const out = await doc.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: pending, ConsistentRead: consistent } }, ReturnConsumedCapacity: 'TOTAL' }));
        count('read', out.ConsumedCapacity);
        found.push(...(out.Responses?.[TableName] ?? []));
        pending = (out.UnprocessedKeys?.[TableName]?.Keys ?? []) as Item[];
        if (attempt > 10 && pending.length > 0) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} attempts`);
      }
    }
    return found;
  }

  async function batchWriteGroup(group: readonly WriteRequest[]): Promise<void> {
    let pending = group;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: [...pending] }, ReturnConsumedCapacity: 'TOTAL' }));
      count('write', out.ConsumedCapacity);
      pending = (out.UnprocessedItems?.[TableName] ?? []) as WriteRequest[];
      if (attempt > 10 && pending.length > 0) throw new Error(`BatchWriteItem: ${pending.length} requests still unprocessed after ${attempt} attempts`);
    }
  }

  /** Batches of 25, a few in flight at once. */
  async function batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    const groups: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) groups.push(requests.slice(i, i + BATCH_WRITE_MAX));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) await batchWriteGroup(groups[next++] as WriteRequest[]);
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_WRITE_CONCURRENCY, groups.length) }, worker));
  }

  const chunkKeys = (s: ServiceSummary): Item[] =>
    Array.from({ length: s.objectsChunks }, (_, c) => ({ [PK]: PARTITION.objects, [SK]: chunkSortKey(s.serviceKey, s.objectsRef, c) }));

  /** Best effort: a failure leaves orphans for sweepOrphans, never a wrong state. */
  async function deleteChunks(keys: readonly Item[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
    } catch (error) {
      logger.warn({ err: error, items: keys.length }, 'could not delete superseded object items; sweepOrphans will');
    }
  }

  /** Join summaries with their chunks; a summary whose chunks are incomplete is corrupt. */
  function assemble(summaries: readonly ServiceSummary[], chunks: readonly ChunkItem[], corrupt: CorruptItem[]): ServiceState[] {
    const byRef = new Map<string, ChunkItem[]>();
    for (const c of chunks) {
      const k = `${c.serviceKey}#${c.ref}`;
      const list = byRef.get(k) ?? [];
      list.push(c);
      byRef.set(k, list);
    }
    const out: ServiceState[] = [];
    for (const s of summaries) {
      const objects: Record<string, string> = {};
      const list = s.objectsChunks === 0 ? [] : (byRef.get(`${s.serviceKey}#${s.objectsRef}`) ?? []);
      for (const c of list) Object.assign(objects, c.objects);
      if (list.length !== s.objectsChunks || Object.keys(objects).length !== s.objectCount) {
        const item: CorruptItem = {
          pk: PARTITION.service,
          sk: s.serviceKey,
          field: 'objectsRef',
          value: s.objectsRef,
          message: `service ${s.serviceKey}: object items of ref ${s.objectsRef} incomplete (${list.length} of ${s.objectsChunks} items, ${Object.keys(objects).length} of ${s.objectCount} objects)`,
          version: s.version,
        };
        corrupt.push(item);
        report(item);
        continue;
      }
      out.push({ ...s, objects });
    }
    return out;
  }

  async function readChunks(summaries: readonly ServiceSummary[], consistent: boolean, corrupt: CorruptItem[]): Promise<ChunkItem[]> {
    const raw = await batchGet(summaries.flatMap(chunkKeys), consistent);
    const chunks: ChunkItem[] = [];
    for (const item of raw) {
      const r = chunkFromItem(item);
      if (r.ok) chunks.push(r.value);
      else {
        corrupt.push(r.corrupt);
        report(r.corrupt);
      }
    }
    return chunks;
  }

  // ---- services --------------------------------------------------------------------------

  async function listServices(): Promise<Listing<ServiceSummary>> {
    const items = await queryAll(partition(PARTITION.service));
    const out: Listing<ServiceSummary> = { items: [], corrupt: [] };
    for (const item of items) {
      const r = summaryFromItem(item);
      if (r.ok) out.items.push(r.value);
      else {
        out.corrupt.push(r.corrupt);
        report(r.corrupt);
      }
    }
    return out;
  }

  async function listServicesWithObjects(): Promise<FullListing> {
    const summaries = await listServices();
    const corrupt = [...summaries.corrupt];
    const rawChunks = await queryAll(partition(PARTITION.objects));
    const chunks: ChunkItem[] = [];
    for (const item of rawChunks) {
      const r = chunkFromItem(item);
      if (r.ok) chunks.push(r.value);
      else {
        corrupt.push(r.corrupt);
        report(r.corrupt);
      }
    }
    const current = new Set(summaries.items.filter((s) => s.objectsChunks > 0).map((s) => `${s.serviceKey}#${s.objectsRef}`));
    const orphans = chunks.filter((c) => !current.has(`${c.serviceKey}#${c.ref}`)).map((c) => ({ sk: chunkSortKey(c.serviceKey, c.ref, c.chunk), writtenAt: c.writtenAt }));
    return { items: assemble(summaries.items, chunks, corrupt), corrupt, orphans };
  }

  async function getService(serviceKey: string): Promise<ServiceState | undefined> {
    const item = await get(PARTITION.service, serviceKey);
    if (item === undefined) return undefined;
    const r = summaryFromItem(item);
    if (!r.ok) {
      report(r.corrupt);
      throw new CorruptStateError(r.corrupt);
    }
    const corrupt: CorruptItem[] = [];
    const states = assemble([r.value], await readChunks([r.value], true, corrupt), corrupt);
    const state = states[0];
    if (state === undefined) throw new CorruptStateError(corrupt[0] as CorruptItem);
    return state;
  }

  async function getServices(serviceKeys: readonly string[]): Promise<{ services: Map<string, ServiceState>; corrupt: CorruptItem[] }> {
    const unique = [...new Set(serviceKeys)];
    const raw = await batchGet(unique.map((k) => ({ [PK]: PARTITION.service, [SK]: k })), true);
    const corrupt: CorruptItem[] = [];
    const summaries: ServiceSummary[] = [];
    for (const item of raw) {
      const r = summaryFromItem(item);
      if (r.ok) summaries.push(r.value);
      else {
        corrupt.push(r.corrupt);
        report(r.corrupt);
      }
    }
    const states = assemble(summaries, await readChunks(summaries, true, corrupt), corrupt);
    return { services: new Map(states.map((s) => [s.serviceKey, s])), corrupt };
  }

  async function putService(next: ServiceRecord, previous: PreviousService | undefined): Promise<PutResult> {
    validateServiceRecord(next);
    const full = previous !== undefined && isFullState(previous) ? previous : undefined;
    if (full !== undefined && full.serviceKey !== next.serviceKey) {
      throw new ValidationError(`service.serviceKey: ${next.serviceKey} does not match the previous state's ${full.serviceKey}`, 'service.serviceKey', next.serviceKey);
    }
    const objectsSame = full !== undefined && sameObjects(full.objects, next.objects);
    if (full !== undefined && objectsSame && full.registryHash === next.registryHash && full.registryRevision === next.registryRevision) {
      return { written: false, version: full.version };
    }
    const version = (previous?.version ?? 0) + 1;
    let objectsRef = '';
    let newChunks: Item[] = [];
    if (objectsSame && full !== undefined) {
      objectsRef = full.objectsRef;
    } else if (Object.keys(next.objects).length > 0) {
      objectsRef = newRef();
      newChunks = chunkItems(next.serviceKey, objectsRef, next.objects, now());
      await batchWrite(newChunks.map((Item) => ({ PutRequest: { Item } })));
    }
    const objectsChunks = objectsSame && full !== undefined ? full.objectsChunks : newChunks.length;
    let ok = await conditionalPut(summaryToItem(next, { version, objectsRef, objectsChunks }), previous?.version);
    if (!ok && newChunks.length > 0) {
      // A write whose answer was lost (timeout, 500) is retried by the SDK and then fails
      // its own condition. If the summary now names our fresh ref, the write took effect
      // and its object items are live. If that cannot be read, they are left for
      // sweepOrphans rather than risk deleting live ones.
      const current = await get(PARTITION.service, next.serviceKey).then(
        (item) => ({ item }),
        () => undefined,
      );
      if (current !== undefined && current.item?.['objectsRef'] === objectsRef) ok = true;
      else if (current !== undefined) await deleteChunks(newChunks.map((c) => ({ [PK]: c[PK], [SK]: c[SK] })));
    }
    if (!ok) throw new StaleStateError(`${PARTITION.service}/${next.serviceKey}`, previous?.version);
    if (full !== undefined && !objectsSame) await deleteChunks(chunkKeys(full));
    return { written: true, version };
  }

  async function deleteService(serviceKey: string, previous: PreviousService): Promise<void> {
    try {
      const out = await doc.send(
        new DeleteCommand({
          TableName,
          Key: { [PK]: PARTITION.service, [SK]: serviceKey },
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': previous.version },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      count('write', out.ConsumedCapacity);
    } catch (error) {
      metrics.writes++;
      if (isConditionFailure(error)) throw new StaleStateError(`${PARTITION.service}/${serviceKey}`, previous.version);
      throw error;
    }
    if (isFullState(previous)) await deleteChunks(chunkKeys(previous));
  }

  async function importServices(records: readonly ServiceRecord[]): Promise<number> {
    const writtenAt = now();
    const requests: { PutRequest: { Item: Item } }[] = [];
    for (const record of records) {
      validateServiceRecord(record);
      const hasObjects = Object.keys(record.objects).length > 0;
      const objectsRef = hasObjects ? newRef() : '';
      const chunks = hasObjects ? chunkItems(record.serviceKey, objectsRef, record.objects, writtenAt) : [];
      for (const Item of chunks) requests.push({ PutRequest: { Item } });
      requests.push({ PutRequest: { Item: summaryToItem(record, { version: 1, objectsRef, objectsChunks: chunks.length }) } });
    }
    await batchWrite(requests);
    return records.length;
  }

  async function sweepOrphans(olderThan: number): Promise<number> {
    const listing = await listServicesWithObjects();
    const doomed = listing.orphans.filter((o) => o.writtenAt < olderThan).map((o) => ({ [PK]: PARTITION.objects, [SK]: o.sk }));
    if (doomed.length > 0) await batchWrite(doomed.map((Key) => ({ DeleteRequest: { Key } })));
    return doomed.length;
  }

  // ---- debounce cycle ----------------------------------------------------------------------

  async function getCycle(name = DEFAULT_CYCLE_NAME): Promise<Versioned<Cycle>> {
    const item = await get(PARTITION.cycle, name);
    if (item === undefined) return { value: null, version: 0 };
    const r = cycleFromItem(item);
    if (r.ok) return { value: r.value.state, version: r.value.version };
    // A corrupt cycle only held dirty markers (the sync re-finds them): start afresh,
    // overwriting it under its own version, rather than wedging every push.
    report(r.corrupt);
    if (r.corrupt.version === undefined) throw new CorruptStateError(r.corrupt);
    return { value: null, version: r.corrupt.version };
  }

  async function casCycle(next: Cycle, expectedVersion: number, name = DEFAULT_CYCLE_NAME): Promise<boolean> {
    return conditionalPut({ [PK]: PARTITION.cycle, [SK]: name, state: next, version: expectedVersion + 1, updatedAt: now() }, expectedVersion);
  }

  // ---- runs ------------------------------------------------------------------------------

  async function recordRun(run: RunRecord): Promise<StoredRunRecord> {
    validateRunRecord(run);
    const stored: StoredRunRecord = { ...run, expiresAt: Math.floor((run.startedAt + retention) / 1000) };
    const out = await doc.send(new PutCommand({ TableName, Item: runToItem(stored), ReturnConsumedCapacity: 'TOTAL' }));
    count('write', out.ConsumedCapacity);
    return stored;
  }

  async function recentRuns(limit = 20): Promise<StoredRunRecord[]> {
    const nowSeconds = Math.floor(now() / 1000);
    const runs: StoredRunRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new QueryCommand({
          ...partition(PARTITION.run),
          TableName,
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      count('read', out.ConsumedCapacity);
      for (const item of out.Items ?? []) {
        const r = runFromItem(item);
        if (!r.ok) report(r.corrupt);
        else if (r.value.expiresAt > nowSeconds && runs.length < limit) runs.push(r.value);
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined && runs.length < limit);
    return runs;
  }

  async function deleteExpiredRuns(): Promise<number> {
    // Runs are sorted by start time and all live equally long, so the expired ones are a
    // prefix of the partition; the bound is a second generous, the TTL check exact.
    const nowSeconds = Math.floor(now() / 1000);
    const items = await queryAll(
      partition(PARTITION.run, {
        KeyConditionExpression: '#pk = :pk AND #sk < :bound',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':pk': PARTITION.run, ':bound': runSortKey(now() - retention + 1000, '') },
        ProjectionExpression: '#pk, #sk, #ttl',
      }),
    );
    const expired = items.filter((i) => typeof i[TTL_ATTRIBUTE] !== 'number' || i[TTL_ATTRIBUTE] <= nowSeconds);
    await batchWrite(expired.map((i) => ({ DeleteRequest: { Key: { [PK]: i[PK], [SK]: i[SK] } } })));
    return expired.length;
  }

  // ---- drift-audit cursor ------------------------------------------------------------------

  async function getAuditCursor(): Promise<Versioned<AuditCursor | null>> {
    const item = await get(PARTITION.audit, AUDIT_CURSOR_SK);
    if (item === undefined) return { value: null, version: 0 };
    const r = auditFromItem(item);
    if (r.ok) return { value: r.value.cursor, version: r.value.version };
    // A lost cursor only restarts the audit round.
    report(r.corrupt);
    if (r.corrupt.version === undefined) throw new CorruptStateError(r.corrupt);
    return { value: null, version: r.corrupt.version };
  }

  async function setAuditCursor(next: AuditCursor, expectedVersion: number): Promise<boolean> {
    return conditionalPut({ [PK]: PARTITION.audit, [SK]: AUDIT_CURSOR_SK, ...next, version: expectedVersion + 1 }, expectedVersion);
  }

  return {
    listServices,
    listServicesWithObjects,
    getService,
    getServices,
    putService,
    deleteService,
    importServices,
    sweepOrphans,
    getCycle,
    casCycle,
    recordRun,
    recentRuns,
    deleteExpiredRuns,
    getAuditCursor,
    setAuditCursor,
    metrics,
    resetMetrics() {
      metrics.readUnits = 0;
      metrics.writeUnits = 0;
      metrics.reads = 0;
      metrics.writes = 0;
    },
  };
}

