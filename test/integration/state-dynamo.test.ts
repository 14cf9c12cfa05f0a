// The DynamoDB state store on dynalite, in process, through the real AWS SDK client.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { chunkSortKey } from '../../lib/state/items.ts';
import { CorruptStateError, StaleStateError, type CorruptItem, type ServiceRecord, type StateStore } from '../../lib/state/state-store.ts';
import { PARTITION, TTL_ATTRIBUTE } from '../../lib/state/table.ts';

const TABLE = 'sc2mesh-state-test';
const NOW = 1_750_000_000_000;
let db: EmbeddedDynalite;
let doc: DynamoDBDocumentClient;
let store: StateStore;
let clock = NOW;
const corrupt: CorruptItem[] = [];

beforeAll(async () => {
  db = await startEmbeddedDynalite({ tableName: TABLE });
  doc = DynamoDBDocumentClient.from(db.client);
  store = createDynamoStateStore({ client: db.client, tableName: TABLE, now: () => clock, onCorrupt: (c) => corrupt.push(c) });
});

afterAll(async () => {
  await db.close();
});

beforeEach(() => {
  corrupt.length = 0;
  clock = NOW;
  store.resetMetrics();
});

function record(serviceKey: string, objects: Record<string, string>, registryHash = 'aaaaaaaaaaaaaaaa'): ServiceRecord {
  return { serviceKey, registryHash, registryRevision: '7', objects, lastPushAt: clock, lastPushCorrelationId: 'corr-1' };
}

describe('service records', () => {
  it('round-trips a record and lists its compact summary', async () => {
    const r = record('prod/shop/cart', { 'ServiceEntry/mesh/cart': '1111111111111111', 'WorkloadEntry/mesh/cart-1': '2222222222222222' });
    expect(await store.putService(r, undefined)).toEqual({ written: true, version: 1 });
    const back = await store.getService('prod/shop/cart');
    expect(back).toMatchObject({ ...r, version: 1, objectCount: 2, objectsChunks: 1 });
    expect(back?.objects).toEqual(r.objects);
    const listed = (await store.listServices()).items.find((s) => s.serviceKey === 'prod/shop/cart');
    expect(listed).toMatchObject({ registryHash: r.registryHash, objectCount: 2, version: 1 });
    expect(listed).not.toHaveProperty('objects');
    expect(await store.getService('prod/shop/none')).toBeUndefined();
  });

  it('makes no write for a record that did not change', async () => {
    const r = record('prod/shop/noop', { 'ServiceEntry/mesh/noop': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    store.resetMetrics();
    const result = await store.putService({ ...r, lastPushAt: clock + 60_000, lastPushCorrelationId: 'corr-2' }, prev);
    expect(result).toEqual({ written: false, version: 1 });
    expect(store.metrics.writes).toBe(0);
    expect(store.metrics.writeUnits).toBe(0);
  });

  it('writes only the summary when the objects did not change', async () => {
    const r = record('prod/shop/hash-only', { 'ServiceEntry/mesh/h': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    store.resetMetrics();
    expect(await store.putService({ ...r, registryHash: 'bbbbbbbbbbbbbbbb' }, prev)).toEqual({ written: true, version: 2 });
    expect(store.metrics.writes).toBe(1);
    expect(store.metrics.writeUnits).toBe(1);
    const back = await store.getService(r.serviceKey);
    expect(back).toMatchObject({ registryHash: 'bbbbbbbbbbbbbbbb', objectsRef: prev?.objectsRef, objects: r.objects });
  });

  it('replaces the object items on change and leaves no orphans', async () => {
    const r = record('prod/shop/changes', { 'ServiceEntry/mesh/c': '1111111111111111', 'WorkloadEntry/mesh/c-1': '2222222222222222' });
    await store.putService(r, undefined);
    const v1 = await store.getService(r.serviceKey);
    const next = { ...r, objects: { 'ServiceEntry/mesh/c': '1111111111111111', 'WorkloadEntry/mesh/c-2': '3333333333333333' } };
    expect(await store.putService(next, v1)).toEqual({ written: true, version: 2 });
    const v2 = await store.getService(r.serviceKey);
    expect(v2?.objects).toEqual(next.objects);
    expect(v2?.objectsRef).not.toBe(v1?.objectsRef);
    const full = await store.listServicesWithObjects();
    expect(full.orphans).toEqual([]);
    expect(full.items.find((s) => s.serviceKey === r.serviceKey)?.objects).toEqual(next.objects);
    // emptying the map drops the object items
    expect(await store.putService({ ...next, objects: {} }, v2)).toEqual({ written: true, version: 3 });
    expect(await store.getService(r.serviceKey)).toMatchObject({ objects: {}, objectCount: 0, objectsChunks: 0, objectsRef: '' });
    expect((await store.listServicesWithObjects()).orphans).toEqual([]);
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
  });

  it('fails a conditional write on a version mismatch with StaleStateError, cleaning up', async () => {
    const r = record('prod/shop/race', { 'ServiceEntry/mesh/r': '1111111111111111' });
    await store.putService(r, undefined);
    const seenByA = await store.getService(r.serviceKey);
    const seenByB = await store.getService(r.serviceKey);
    await store.putService({ ...r, objects: { 'ServiceEntry/mesh/r': 'aaaaaaaaaaaaaaaa' } }, seenByA);
    const error = await store.putService({ ...r, objects: { 'ServiceEntry/mesh/r': 'bbbbbbbbbbbbbbbb' } }, seenByB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleStateError);
    expect((error as StaleStateError).message).toContain('SVC/prod/shop/race');
    expect((error as StaleStateError).expectedVersion).toBe(1);
    expect((await store.getService(r.serviceKey))?.objects).toEqual({ 'ServiceEntry/mesh/r': 'aaaaaaaaaaaaaaaa' });
    expect((await store.listServicesWithObjects()).orphans).toEqual([]);
    // creating what already exists is stale too
    await expect(store.putService(r, undefined)).rejects.toThrow(StaleStateError);
  });

  it('lets exactly one of two concurrent creators win', async () => {
    const results = await Promise.allSettled([
      store.putService(record('prod/shop/twin', { 'ServiceEntry/mesh/t': '1111111111111111' }), undefined),
      store.putService(record('prod/shop/twin', { 'ServiceEntry/mesh/t': '2222222222222222' }), undefined),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(StaleStateError);
  });

  it('deletes conditionally, with its object items', async () => {
    const r = record('prod/shop/gone', { 'ServiceEntry/mesh/g': '1111111111111111' });
    await store.putService(r, undefined);
    const prev = await store.getService(r.serviceKey);
    if (prev === undefined) throw new Error('missing');
    await expect(store.deleteService(r.serviceKey, { version: 7 })).rejects.toThrow(StaleStateError);
    await store.deleteService(r.serviceKey, prev);
    expect(await store.getService(r.serviceKey)).toBeUndefined();
    const chunk = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: PARTITION.objects, sk: chunkSortKey(r.serviceKey, prev.objectsRef, 0) } }));
    expect(chunk.Item).toBeUndefined();
  });

  it('validates a record before writing, naming the field', async () => {
    await expect(store.putService({ ...record('prod/x/y', {}), registryHash: '' }, undefined)).rejects.toThrow(/service\.registryHash/);
    await expect(store.putService(record('prod/x/y', { 'ServiceEntry/mesh/y': '' }), undefined)).rejects.toThrow(/service\.objects/);
    await expect(store.putService(record('k'.repeat(901), {}), undefined)).rejects.toThrow(/service\.serviceKey.*900 bytes/);
  });

  it('reports a corrupt item and skips it instead of failing the listing', async () => {
    await store.putService(record('prod/ok/fine', {}), undefined);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'SVC', sk: 'prod/bad/hand-edited', registryHash: 42, lastPushAt: 1, objectCount: 0, objectsRef: '', objectsChunks: 0, version: 3 } }));
    const listing = await store.listServices();
    expect(listing.items.map((s) => s.serviceKey)).toContain('prod/ok/fine');
    expect(listing.items.map((s) => s.serviceKey)).not.toContain('prod/bad/hand-edited');
    expect(listing.corrupt).toEqual([expect.objectContaining({ pk: 'SVC', sk: 'prod/bad/hand-edited', field: 'item SVC/prod/bad/hand-edited.registryHash', value: 42, version: 3 })]);
    expect(corrupt.map((c) => c.sk)).toContain('prod/bad/hand-edited');
    const error = await store.getService('prod/bad/hand-edited').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as CorruptStateError).message).toMatch(/registryHash.*got 42/);
    // the push can overwrite it using the version the error reports
    const version = (error as CorruptStateError).item.version;
    expect(version).toBe(3);
    await store.putService(record('prod/bad/hand-edited', {}), { version: 3 });
    expect(await store.getService('prod/bad/hand-edited')).toMatchObject({ version: 4, registryHash: 'aaaaaaaaaaaaaaaa' });
  });

  it('sweeps object items no summary refers to once they are old enough', async () => {
    const sk = chunkSortKey('prod/crashed/push', '00000000deadbeef', 0);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'OBJ', sk, serviceKey: 'prod/crashed/push', ref: '00000000deadbeef', chunk: 0, objects: { a: 'b' }, writtenAt: NOW - 3_600_000 } }));
    expect((await store.listServicesWithObjects()).orphans).toEqual([{ sk, writtenAt: NOW - 3_600_000 }]);
    expect(await store.sweepOrphans(NOW - 7_200_000)).toBe(0);
    expect(await store.sweepOrphans(NOW - 900_000)).toBe(1);
    expect((await store.listServicesWithObjects()).orphans).toEqual([]);
  });
});

describe('run records and the audit cursor', () => {
  it('stores runs with a TTL in epoch seconds and lists the newest live ones first', async () => {
    const day = 86_400_000;
    for (let i = 0; i < 5; i++) {
      const startedAt = NOW - 10 * day + i * 3 * day; // -10d, -7d, -4d, -1d, +2d
      const stored = await store.recordRun({ id: `run-${i}`, kind: i % 2 === 0 ? 'sync' : 'push', startedAt, finishedAt: startedAt + 150, outcome: 'ok', counts: { services: i } });
      expect(stored.expiresAt).toBe(Math.floor((startedAt + 7 * day) / 1000));
    }
    const raw = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'RUN', sk: `${String(NOW - day).padStart(13, '0')}#run-3` } }));
    expect(typeof raw.Item?.[TTL_ATTRIBUTE]).toBe('number');
    expect(raw.Item?.[TTL_ATTRIBUTE]).toBe(Math.floor((NOW + 6 * day) / 1000));
    const recent = await store.recentRuns(10);
    expect(recent.map((r) => r.id)).toEqual(['run-4', 'run-3', 'run-2']);
    expect(await store.recentRuns(2)).toHaveLength(2);
    expect(await store.deleteExpiredRuns()).toBe(2);
    expect((await store.recentRuns(10)).map((r) => r.id)).toEqual(['run-4', 'run-3', 'run-2']);
    await expect(store.recordRun({ id: 'x', kind: 'nap' as 'sync', startedAt: 1, finishedAt: 2, outcome: 'ok', counts: {} })).rejects.toThrow(/run\.kind/);
  });

  it('moves the audit cursor with compare-and-set', async () => {
    expect(await store.getAuditCursor()).toEqual({ value: null, version: 0 });
    const c1 = { after: 'prod/a/b', roundStartedAt: NOW, updatedAt: NOW };
    expect(await store.setAuditCursor(c1, 0)).toBe(true);
    expect(await store.setAuditCursor({ ...c1, after: 'prod/z' }, 0)).toBe(false);
    expect(await store.getAuditCursor()).toEqual({ value: c1, version: 1 });
    expect(await store.setAuditCursor({ ...c1, after: null }, 1)).toBe(true);
    expect((await store.getAuditCursor()).value?.after).toBeNull();
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
