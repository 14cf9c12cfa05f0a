// Per-service records in DynamoDB: a compact summary item (SVC) that the per-minute sync
// lists, and the object map in OBJ items beside it that only pushes and full listings read.
//
// Nothing is orphaned for good. A write puts its object items under a fresh ref that
// carries the version it is for, then writes the summary conditionally, then deletes its
// service's object items that can no longer become current (another ref, a ref version
// up to the summary's; see newObjectsRef). So whatever a crash or a lost race between the
// steps leaves is found and removed by the service's next write, and a reader never sees
// a summary pointing at half-written objects. A deletion first writes a summary that
// holds no objects (at the next version, so no write still under way can win), removes
// the service's object items, and only then deletes the summary: the summary stays, as
// the pointer to what must go, until nothing is left.
import type { Logger } from '../log.ts';
import { ValidationError } from '../model/validation.ts';
import type { Clock } from '../time/clock.ts';
import type { TableClient } from './dynamo-client.ts';
import {
  chunkFromItem,
  chunkItems,
  chunkSortKey,
  newObjectsRef,
  refVersion,
  summaryFromItem,
  summaryToItem,
  validateServiceRecord,
  type ChunkItem,
  type Item,
} from './items.ts';
import { isFullState, sameContent, sameObjects } from './record-rules.ts';
import { partitionQuery } from './dynamo-client.ts';
import { PARTITION, PK, SK } from './table.ts';
import {
  CorruptStateError,
  StaleStateError,
  type CorruptItem,
  type FullListing,
  type Listing,
  type PreviousService,
  type PutResult,
  type ServiceRecord,
  type ServiceState,
  type ServiceSummary,
  type StateStore,
} from './state-store.ts';

/**
 * The registry hash of a summary whose deletion is under way. It matches no real hash, so
 * if the deletion stops half-way the sync finds the service dirty and finishes or undoes it.
 */
export const DELETING_HASH = 'deleting';

export interface ServiceRecordsDeps {
  table: TableClient;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  report: (item: CorruptItem) => void;
}

export type ServiceRecords = Pick<
  StateStore,
  'listServices' | 'listServicesWithObjects' | 'getService' | 'getServices' | 'putService' | 'deleteService' | 'importServices'
>;

const key = (pk: string, sk: string): Item => ({ [PK]: pk, [SK]: sk });
const stale = (serviceKey: string, version: number | undefined): StaleStateError => new StaleStateError(`${PARTITION.service}/${serviceKey}`, version);

export function createServiceRecords({ table, clock, logger, report }: ServiceRecordsDeps): ServiceRecords {
  const chunkKeys = (s: ServiceSummary): Item[] =>
    Array.from({ length: s.objectsChunks }, (_, c) => key(PARTITION.objects, chunkSortKey(s.serviceKey, s.objectsRef, c)));

  /** Validated items of `raw`; the bad ones are reported into `corrupt`. */
  function valid<T>(raw: readonly Item[], parse: (i: Item) => { ok: true; value: T } | { ok: false; corrupt: CorruptItem }, corrupt: CorruptItem[]): T[] {
    const out: T[] = [];
    for (const item of raw) {
      const r = parse(item);
      if (r.ok) out.push(r.value);
      else {
        corrupt.push(r.corrupt);
        report(r.corrupt);
      }
    }
    return out;
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

  async function readChunks(summaries: readonly ServiceSummary[], corrupt: CorruptItem[]): Promise<ChunkItem[]> {
    return valid(await table.batchGet(summaries.flatMap(chunkKeys), true), chunkFromItem, corrupt);
  }

  /** Keys and refs of every object item of one service (strongly consistent). */
  async function objectItemsOf(serviceKey: string): Promise<{ key: Item; ref: string }[]> {
    const items = await table.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#svc': 'serviceKey', '#ref': 'ref' },
      ExpressionAttributeValues: { ':pk': PARTITION.objects, ':prefix': `${serviceKey}#` },
      ProjectionExpression: '#pk, #sk, #svc, #ref',
      ConsistentRead: true,
    });
    // The prefix also matches a longer key that happens to continue with '#'.
    return items.filter((i) => i['serviceKey'] === serviceKey && typeof i['ref'] === 'string').map((i) => ({ key: key(PARTITION.objects, String(i[SK])), ref: i['ref'] as string }));
  }

  /** Delete the service's object items other than `keep` written for versions up to `upTo`. */
  async function removeSuperseded(serviceKey: string, keep: string, upTo: number): Promise<void> {
    const doomed = (await objectItemsOf(serviceKey)).filter((i) => i.ref !== keep && refVersion(i.ref) <= upTo);
    if (doomed.length > 0) await table.batchWrite(doomed.map((i) => ({ DeleteRequest: { Key: i.key } })));
  }

  /** After a write: a failure here leaves items for the service's next write, never a wrong state. */
  async function removeSupersededAfterWrite(serviceKey: string, keep: string, upTo: number): Promise<void> {
    try {
      await removeSuperseded(serviceKey, keep, upTo);
    } catch (error) {
      logger.warn({ err: error, serviceKey }, "could not delete superseded object items; the service's next write will");
    }
  }

  async function listServices(): Promise<Listing<ServiceSummary>> {
    const out: Listing<ServiceSummary> = { items: [], corrupt: [] };
    out.items = valid(await table.queryAll(partitionQuery(PARTITION.service)), summaryFromItem, out.corrupt);
    return out;
  }

  async function listServicesWithObjects(): Promise<FullListing> {
    const summaries = await listServices();
    const corrupt = [...summaries.corrupt];
    const chunks = valid(await table.queryAll(partitionQuery(PARTITION.objects)), chunkFromItem, corrupt);
    const current = new Set(summaries.items.filter((s) => s.objectsChunks > 0).map((s) => `${s.serviceKey}#${s.objectsRef}`));
    const orphans = chunks.filter((c) => !current.has(`${c.serviceKey}#${c.ref}`)).map((c) => ({ sk: chunkSortKey(c.serviceKey, c.ref, c.chunk), writtenAt: c.writtenAt }));
    return { items: assemble(summaries.items, chunks, corrupt), corrupt, orphans };
  }

  async function getService(serviceKey: string): Promise<ServiceState | undefined> {
    const item = await table.get(PARTITION.service, serviceKey);
    if (item === undefined) return undefined;
    const r = summaryFromItem(item);
    if (!r.ok) {
      report(r.corrupt);
      throw new CorruptStateError(r.corrupt);
    }
    const corrupt: CorruptItem[] = [];
    const state = assemble([r.value], await readChunks([r.value], corrupt), corrupt)[0];
    if (state === undefined) throw new CorruptStateError(corrupt[0] as CorruptItem);
    return state;
  }

  async function getServices(serviceKeys: readonly string[]): Promise<{ services: Map<string, ServiceState>; corrupt: CorruptItem[] }> {
    const unique = [...new Set(serviceKeys)];
    const corrupt: CorruptItem[] = [];
    const summaries = valid(await table.batchGet(unique.map((k) => key(PARTITION.service, k)), true), summaryFromItem, corrupt);
    const states = assemble(summaries, await readChunks(summaries, corrupt), corrupt);
    return { services: new Map(states.map((s) => [s.serviceKey, s])), corrupt };
  }

  async function putService(next: ServiceRecord, previous: PreviousService | undefined): Promise<PutResult> {
    validateServiceRecord(next);
    const full = previous !== undefined && isFullState(previous) ? previous : undefined;
    if (full !== undefined && full.serviceKey !== next.serviceKey) {
      throw new ValidationError(`service.serviceKey: ${next.serviceKey} does not match the previous state's ${full.serviceKey}`, 'service.serviceKey', next.serviceKey);
    }
    if (full !== undefined && sameContent(full, next)) return { written: false, version: full.version };
    const version = (previous?.version ?? 0) + 1;
    const reuse = full !== undefined && sameObjects(full.objects, next.objects);
    let objectsRef = reuse ? full.objectsRef : '';
    let newChunks: Item[] = [];
    if (!reuse && Object.keys(next.objects).length > 0) {
      objectsRef = newObjectsRef(version);
      newChunks = chunkItems(next.serviceKey, objectsRef, next.objects, clock.now());
      await table.batchWrite(newChunks.map((Item) => ({ PutRequest: { Item } })));
    }
    const objectsChunks = reuse ? full.objectsChunks : newChunks.length;
    let ok = await table.conditionalPut(summaryToItem(next, { version, objectsRef, objectsChunks }), previous?.version);
    if (!ok && newChunks.length > 0) {
      // A write whose answer was lost (timeout, 500) is retried by the SDK and then fails
      // its own condition. If the summary now names our fresh ref, the write took effect
      // and its object items are live. If that cannot be read, they are left for the
      // service's next write rather than risk deleting live ones.
      const current = await table.get(PARTITION.service, next.serviceKey).then(
        (item) => ({ item }),
        () => undefined,
      );
      if (current !== undefined && current.item?.['objectsRef'] === objectsRef) ok = true;
      else if (current !== undefined) {
        await table.batchWrite(newChunks.map((c) => ({ DeleteRequest: { Key: key(PARTITION.objects, String(c[SK])) } }))).catch((error: unknown) => {
          logger.warn({ err: error, serviceKey: next.serviceKey }, "could not delete the object items of a lost write; the service's next write will");
        });
      }
    }
    if (!ok) throw stale(next.serviceKey, previous?.version);
    await removeSupersededAfterWrite(next.serviceKey, objectsRef, version);
    return { written: true, version };
  }

  async function deleteService(serviceKey: string, previous: PreviousService): Promise<void> {
    let version = previous.version;
    const holdsObjects = !isFullState(previous) || previous.objectsChunks > 0 || (await objectItemsOf(serviceKey)).length > 0;
    if (holdsObjects) {
      const lastPushAt = isFullState(previous) ? previous.lastPushAt : clock.now();
      const release = summaryToItem({ serviceKey, objectsHash: DELETING_HASH, objects: {}, lastPushAt }, { version: version + 1, objectsRef: '', objectsChunks: 0 });
      if (!(await table.conditionalPut(release, version))) throw stale(serviceKey, previous.version);
      version++;
      // Not best effort: if this fails the summary stays (holding no objects) and the
      // service's next write or deletion removes what is left.
      await removeSuperseded(serviceKey, '', version);
    }
    if (!(await table.conditionalDelete(PARTITION.service, serviceKey, version))) throw stale(serviceKey, previous.version);
  }

  async function importServices(records: readonly ServiceRecord[]): Promise<number> {
    const writtenAt = clock.now();
    const requests: { PutRequest: { Item: Item } }[] = [];
    for (const record of records) {
      validateServiceRecord(record);
      const hasObjects = Object.keys(record.objects).length > 0;
      const objectsRef = hasObjects ? newObjectsRef(1) : '';
      const chunks = hasObjects ? chunkItems(record.serviceKey, objectsRef, record.objects, writtenAt) : [];
      for (const Item of chunks) requests.push({ PutRequest: { Item } });
      requests.push({ PutRequest: { Item: summaryToItem(record, { version: 1, objectsRef, objectsChunks: chunks.length }) } });
    }
    await table.batchWrite(requests);
    return records.length;
  }

  return { listServices, listServicesWithObjects, getService, getServices, putService, deleteService, importServices };
}
