// The DynamoDB state store on dynalite, in process, through the real AWS SDK client.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// What every StateStore does is in the shared contract (state-contract.test.ts); this file
// holds what only the DynamoDB layout has: object items, capacity, TTL, persistence.
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { localDynamoClient, startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { chunkSortKey } from '../../lib/state/items.ts';
import { DELETING_HASH } from '../../lib/state/service-records.ts';
import { CorruptStateError, type CorruptItem, type FullListing, type ServiceRecord, type StateStore } from '../../lib/state/state-store.ts';
import { PARTITION, TTL_ATTRIBUTE } from '../../lib/state/table.ts';

const TABLE = 'sc2mesh-state-test';
const NOW = 1_750_000_000_000;
let db: EmbeddedDynalite;
let doc: DynamoDBDocumentClient;
let store: StateStore;
let nowMs = NOW;
const corrupt: CorruptItem[] = [];


/**
 * A second store on the same table whose client fails one request, as a process killed
 * there would: by default the summary's PutItem, or what `arm` names. A Query of object
 * items is the first step after a summary was written.
 */
interface CrashingStore {
  store: StateStore;
  arm(step: 'PutItem SVC' | 'Query OBJ'): void;
  crashed(): string | undefined;
  close(): void;
}

function crashingStore(endpoint: string): CrashingStore {
  const client = localDynamoClient(endpoint);
  let armed: string | undefined = 'PutItem SVC';
  let crashed: string | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      const step = context.commandName === 'PutItemCommand' && input.includes('"Item":{"pk":"SVC"') ? 'PutItem SVC' : context.commandName === 'QueryCommand' && input.includes('":pk":"OBJ"') ? 'Query OBJ' : undefined;
      if (step !== undefined && step === armed) {
        armed = undefined;
        crashed = step;
        throw new Error(`crash at ${step}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'crashOnce' },
  );
  return {
    store: createDynamoStateStore({ client, tableName: TABLE, clock: { now: () => nowMs }, onCorrupt: () => {} }),
    arm: (step) => {
      armed = step;
      crashed = undefined;
    },
    crashed: () => crashed,
    close: () => client.destroy(),
  };
}
let crashing: CrashingStore;

beforeAll(async () => {
  db = await startEmbeddedDynalite({ tableName: TABLE });
  doc = DynamoDBDocumentClient.from(db.client);
  store = createDynamoStateStore({ client: db.client, tableName: TABLE, clock: { now: () => nowMs }, onCorrupt: (c) => corrupt.push(c) });
});

afterAll(async () => {
  await db.close();
});

beforeEach(() => {
  corrupt.length = 0;
  nowMs = NOW;
  store.resetMetrics();
  crashing?.close();
  crashing = crashingStore(db.endpoint);
});

function record(serviceKey: string, objects: Record<string, string>, objectsHash = 'aaaaaaaaaaaaaaaa'): ServiceRecord {
  return { serviceKey, objectsHash, objects, lastPushAt: nowMs, lastPushCorrelationId: 'corr-1' };
}

function orphansOf(serviceKey: string, listing: FullListing): FullListing['orphans'] {
  return listing.orphans.filter((o) => o.sk.startsWith(`${serviceKey}#`));
}

describe('object items (what only DynamoDB has)', () => {
  it('writes only the summary, one unit, when the objects did not change', async () => {
    const r = record('prod/shop/hash-only', { 'ServiceEntry/mesh/h': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    store.resetMetrics();
    expect(await store.putService({ ...r, objectsHash: 'bbbbbbbbbbbbbbbb' }, prev)).toEqual({ written: true, version: 2 });
    expect(store.metrics.writes).toBe(1);
    expect(store.metrics.writeUnits).toBe(1);
  });

  it('splits a very large object map over several items and reads it back whole', async () => {
    const objects: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) objects[`WorkloadEntry/mesh/a-rather-long-service-name-for-size-${String(i).padStart(5, '0')}`] = i.toString(16).padStart(16, '0');
    await store.putService(record('prod/big/fleet', objects), undefined);
    const back = await store.getService('prod/big/fleet');
    expect(back?.objectsChunks).toBeGreaterThan(1);
    expect(back?.objects).toEqual(objects);
    const { services } = await store.getServices(['prod/big/fleet']);
    expect(services.get('prod/big/fleet')?.objects).toEqual(objects);
    // shrinking it to one item removes every item of the old ref
    await store.putService(record('prod/big/fleet', { 'ServiceEntry/mesh/fleet': '1111111111111111' }), back);
    expect(orphansOf('prod/big/fleet', await store.listServicesWithObjects())).toEqual([]);
  });

  it('deletes a service with its object items', async () => {
    const r = record('prod/shop/gone', { 'ServiceEntry/mesh/g': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    if (prev === undefined) throw new Error('missing');
    await store.deleteService(r.serviceKey, prev);
    const chunk = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: PARTITION.objects, sk: chunkSortKey(r.serviceKey, prev.objectsRef, 0) } }));
    expect(chunk.Item).toBeUndefined();
    expect(orphansOf(r.serviceKey, await store.listServicesWithObjects())).toEqual([]);
  });

  it('names the field and value of a hand-edited item', async () => {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'SVC', sk: 'prod/bad/hand-edited', registryHash: 42, lastPushAt: 1, objectCount: 0, objectsRef: '', objectsChunks: 0, version: 3 } }));
    const listing = await store.listServices();
    expect(listing.corrupt).toEqual([expect.objectContaining({ pk: 'SVC', sk: 'prod/bad/hand-edited', field: 'item SVC/prod/bad/hand-edited.registryHash', value: 42, version: 3 })]);
    const error = await store.getService('prod/bad/hand-edited').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as CorruptStateError).message).toMatch(/registryHash.*got 42/);
  });

  it('reports a summary whose object items are missing as corrupt', async () => {
    const r = record('prod/bad/no-items', { 'ServiceEntry/mesh/n': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    await doc.send(new DeleteCommand({ TableName: TABLE, Key: { pk: PARTITION.objects, sk: chunkSortKey(r.serviceKey, prev?.objectsRef ?? '', 0) } }));
    const error = await store.getService(r.serviceKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as CorruptStateError).item).toMatchObject({ sk: r.serviceKey, field: 'objectsRef', version: 1 });
  });

  it('reads back a summary written by an older release (registryRevision, a plain hex ref) and cleans up after it', async () => {
    const key = 'prod/old/release';
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'SVC', sk: key, registryHash: 'aaaaaaaaaaaaaaaa', registryRevision: '7', lastPushAt: 1, objectCount: 1, objectsRef: '00000000deadbeef', objectsChunks: 1, version: 4 } }));
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'OBJ', sk: chunkSortKey(key, '00000000deadbeef', 0), serviceKey: key, ref: '00000000deadbeef', chunk: 0, objects: { 'ServiceEntry/mesh/o': '1111111111111111' }, writtenAt: 1 } }));
    const old = await store.getService(key);
    expect(old).not.toHaveProperty('registryRevision');
    expect(old?.objects).toEqual({ 'ServiceEntry/mesh/o': '1111111111111111' });
    if (old === undefined) throw new Error('missing');
    expect(await store.putService({ serviceKey: key, objectsHash: 'aaaaaaaaaaaaaaaa', objects: old.objects, lastPushAt: 2 }, old)).toEqual({ written: false, version: 4 });
    await store.putService({ serviceKey: key, objectsHash: 'aaaaaaaaaaaaaaaa', objects: { 'ServiceEntry/mesh/o': '2222222222222222' }, lastPushAt: 2 }, old);
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });
});

describe('nothing is orphaned for good: a crash between the steps of a write', () => {
  it('between the object items and the summary: the service\'s next write removes them', async () => {
    const key = 'prod/crash/before-summary';
    const first = record(key, { 'ServiceEntry/mesh/c': '1111111111111111' });
    await store.putService(first, undefined);
    const v1 = await store.getService(key);
    await expect(crashing.store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '2222222222222222' } }, v1)).rejects.toThrow(/crash/);
    expect(crashing.crashed()).toBe('PutItem SVC');
    expect(orphansOf(key, await store.listServicesWithObjects())).toHaveLength(1);
    // readers still see the old state, whole
    expect(await store.getService(key)).toMatchObject({ version: 1, objects: first.objects });
    // the retried push (same version) and its items
    await store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '3333333333333333' } }, v1);
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
    expect(await store.getService(key)).toMatchObject({ version: 2, objects: { 'ServiceEntry/mesh/c': '3333333333333333' } });
  });

  it('of a creation: the next creation removes them', async () => {
    const key = 'prod/crash/creation';
    await expect(crashing.store.putService(record(key, { 'ServiceEntry/mesh/c': '1111111111111111' }), undefined)).rejects.toThrow(/crash/);
    expect(orphansOf(key, await store.listServicesWithObjects())).toHaveLength(1);
    await store.putService(record(key, { 'ServiceEntry/mesh/c': '2222222222222222' }), undefined);
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });

  it('between the summary and removing the old items: the write still counts, and the next write removes them', async () => {
    const key = 'prod/crash/after-summary';
    const first = record(key, { 'ServiceEntry/mesh/c': '1111111111111111' });
    await store.putService(first, undefined);
    const v1 = await store.getService(key);
    crashing.arm('Query OBJ');
    expect(await crashing.store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '2222222222222222' } }, v1)).toEqual({ written: true, version: 2 });
    expect(crashing.crashed()).toBe('Query OBJ');
    expect(orphansOf(key, await store.listServicesWithObjects())).toHaveLength(1);
    const v2 = await store.getService(key);
    // even a write that keeps the object map cleans up
    await store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '2222222222222222' }, objectsHash: 'bbbbbbbbbbbbbbbb' }, v2);
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });

  it('in a deletion, after the summary let go of its objects: it stays, dirty, until a deletion finishes', async () => {
    const key = 'prod/crash/deletion';
    await store.putService(record(key, { 'ServiceEntry/mesh/c': '1111111111111111' }), undefined);
    const v1 = await store.getService(key);
    if (v1 === undefined) throw new Error('missing');
    crashing.arm('Query OBJ');
    await expect(crashing.store.deleteService(key, v1)).rejects.toThrow(/crash/);
    const left = await store.getService(key);
    // a hash no registry state has: the sync sees it and the push finishes the deletion
    expect(left).toMatchObject({ version: 2, objectsHash: DELETING_HASH, objects: {}, objectCount: 0 });
    expect(orphansOf(key, await store.listServicesWithObjects())).toHaveLength(1);
    if (left === undefined) throw new Error('missing');
    await store.deleteService(key, left);
    expect(await store.getService(key)).toBeUndefined();
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });

  it('leaves alone the items of a write under way for a later version', async () => {
    const key = 'prod/crash/in-flight';
    const first = record(key, { 'ServiceEntry/mesh/c': '1111111111111111' });
    await store.putService(first, undefined);
    const v1 = await store.getService(key);
    // a slow writer put its items for version 3, having read version 2...
    const slowRef = '3.00000000cafef00d';
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'OBJ', sk: chunkSortKey(key, slowRef, 0), serviceKey: key, ref: slowRef, chunk: 0, objects: { a: 'b' }, writtenAt: NOW } }));
    // ...while version 2 is being written: its clean-up must not take them
    await store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '2222222222222222' } }, v1);
    expect(orphansOf(key, await store.listServicesWithObjects()).map((o) => o.sk)).toEqual([chunkSortKey(key, slowRef, 0)]);
    // once version 3 is written by someone else, they can never become current
    await store.putService({ ...first, objects: { 'ServiceEntry/mesh/c': '3333333333333333' } }, await store.getService(key));
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });

  it('an import over an existing service: its next write removes the old items', async () => {
    const key = 'prod/import/twice';
    await store.importServices([record(key, { 'ServiceEntry/mesh/i': '1111111111111111' })]);
    await store.importServices([record(key, { 'ServiceEntry/mesh/i': '2222222222222222' })]);
    expect(orphansOf(key, await store.listServicesWithObjects())).toHaveLength(1);
    await store.putService({ ...record(key, {}), objectsHash: 'bbbbbbbbbbbbbbbb' }, await store.getService(key));
    expect(orphansOf(key, await store.listServicesWithObjects())).toEqual([]);
  });
});

describe('run records', () => {
  it('stores the TTL attribute DynamoDB expires them by, in epoch seconds', async () => {
    const day = 86_400_000;
    await store.recordRun({ id: 'run-ttl', kind: 'sync', startedAt: NOW - day, finishedAt: NOW - day + 150, outcome: 'ok', counts: { services: 3 } });
    const raw = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'RUN', sk: `${String(NOW - day).padStart(13, '0')}#run-ttl` } }));
    expect(typeof raw.Item?.[TTL_ATTRIBUTE]).toBe('number');
    expect(raw.Item?.[TTL_ATTRIBUTE]).toBe(Math.floor((NOW + 6 * day) / 1000));
  });
});

describe('the per-minute listing at 10,000 services', () => {
  it('is one paginated Query whose cost does not grow with the object maps', async () => {
    // 200 services with one object each against the same 200 with 50 objects each.
    const own = await startEmbeddedDynalite({ tableName: 'size' });
    try {
      const s = createDynamoStateStore({ client: own.client, tableName: 'size' });
      const objects: Record<string, string> = {};
      for (let j = 0; j < 50; j++) objects[`WorkloadEntry/mesh/instance-${j}`] = '0123456789abcdef';
      await s.importServices(Array.from({ length: 200 }, (_, i) => record(`bare/svc-${i}`, { 'ServiceEntry/mesh/one': '0123456789abcdef' })));
      s.resetMetrics();
      await s.listServices();
      const bare = s.metrics.readUnits;
      await s.importServices(Array.from({ length: 200 }, (_, i) => record(`bare/svc-${i}`, objects)));
      s.resetMetrics();
      expect((await s.listServices()).items.every((x) => x.objectCount === 50)).toBe(true);
      expect(s.metrics.readUnits).toBe(bare);
      // while the full listing does read the maps
      s.resetMetrics();
      await s.listServicesWithObjects();
      expect(s.metrics.readUnits).toBeGreaterThan(bare * 5);
    } finally {
      await own.close();
    }
  });

  it('lists 10,000 compact items in a few pages', async () => {
    const own = await startEmbeddedDynalite({ tableName: 'scale' });
    try {
      const s = createDynamoStateStore({ client: own.client, tableName: 'scale' });
      const records = Array.from({ length: 10_000 }, (_, i) => ({
        ...record(`production/app-${i % 50}/service-${i}`, {}, 'abcdef0123456789'),
        lastPushCorrelationId: '6f1c2f4e-3b7a-4d55-9d0e-1a2b3c4d5e6f',
      }));
      expect(await s.importServices(records)).toBe(10_000);
      s.resetMetrics();
      const listing = await s.listServices();
      expect(listing.items).toHaveLength(10_000);
      expect(listing.corrupt).toEqual([]);
      // one request per 1 MB page, not one per service
      expect(s.metrics.reads).toBeLessThanOrEqual(4);
      // eventually consistent: 0.5 unit per 4 KB read; ~250 B a summary
      expect(s.metrics.readUnits).toBeGreaterThan(0);
      expect(s.metrics.readUnits).toBeLessThan(400);
      expect(s.metrics.writes).toBe(0);
    } finally {
      await own.close();
    }
  }, 30_000); // ~2 s alone; seeding 10,000 items is CPU-bound when the machine is busy
});

describe('embedded dynalite', () => {
  it('persists to a directory and finds its table again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sc2mesh-dynalite-'));
    try {
      const first = await startEmbeddedDynalite({ tableName: 'persist', path: dir });
      expect(first.created).toBe(true);
      await createDynamoStateStore({ client: first.client, tableName: 'persist' }).putService(record('prod/keep/me', { 'ServiceEntry/mesh/k': '1111111111111111' }), undefined);
      await first.close();
      const second = await startEmbeddedDynalite({ tableName: 'persist', path: dir });
      try {
        expect(second.created).toBe(false);
        expect(second.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const back = await createDynamoStateStore({ client: second.client, tableName: 'persist' }).getService('prod/keep/me');
        expect(back?.objects).toEqual({ 'ServiceEntry/mesh/k': '1111111111111111' });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
