// The kube writer against the test API server through the real client: it writes as
// little as possible, never changes or deletes what is not its own, and rides out
// throttling and server errors.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Clock } from '../../lib/time/clock.ts';
import { createIstioObjectsClient } from '../../lib/kube/istio-client.ts';
import { KubeClusterWriter, type KubeWriterOptions } from '../../lib/kube/writer.ts';
import type { IstioObject, ServiceEntry } from '../../lib/model/istio.ts';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL } from '../../lib/model/ownership.ts';
import { startKubeApiServer, type JsonObject, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { desiredSet, serviceEntry, withContentHash, workloadEntry } from '../support/kube-api-server/istio-fixtures.ts';
import { syncDesired } from '../support/sync-desired.ts';

const SOURCE = 'registry-a';
let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
});
afterAll(async () => {
  await server.close();
});

function writer(namespace: string, extra: Partial<KubeWriterOptions> = {}): KubeClusterWriter {
  return new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace, source: SOURCE, rateLimit: false, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
}

const metaOf = (o: JsonObject | undefined) => (o?.['metadata'] ?? {}) as { resourceVersion: string; generation: number; labels?: Record<string, string>; managedFields?: JsonObject[] };

/** The stored object shows exactly what was desired: spec, labels and annotations. */
function expectStored(desired: IstioObject): void {
  const stored = server.store.get(desired.kind, desired.metadata.namespace, desired.metadata.name);
  expect(stored).toBeDefined();
  expect(stored?.['spec']).toEqual(desired.spec);
  expect((stored?.['metadata'] as JsonObject)['labels']).toEqual(desired.metadata.labels);
  expect((stored?.['metadata'] as JsonObject)['annotations']).toEqual(desired.metadata.annotations);
}

function respec(se: ServiceEntry, port: number): ServiceEntry {
  return withContentHash({ ...se, spec: { ...se.spec, ports: [{ number: port, protocol: 'HTTP', name: `http-${port}` }] } });
}

describe('applying', () => {
  const ns = 'w-apply';
  const desired = desiredSet(40, { namespace: ns });

  it('creates with one POST each as field manager sc2mesh, no GET before', async () => {
    const w = writer(ns);
    const report = await syncDesired(w, desired);
    expect(report.apply.created).toHaveLength(40);
    expect(report.apply.failed).toEqual([]);
    for (const o of desired) expectStored(o);
    const se = server.store.get('ServiceEntry', ns, 'svc-0');
    expect(metaOf(se).managedFields?.map((m) => [m['manager'], m['operation']])).toEqual([['sc2mesh', 'Update']]);
    const creates = server.requestLog.entries.filter((e) => e.path === `/apis/networking.istio.io/v1/namespaces/${ns}/serviceentries` && e.method === 'POST');
    expect(creates).toHaveLength(desired.filter((o) => o.kind === 'ServiceEntry').length);
    expect(server.requestLog.entries.filter((e) => e.method === 'GET' && !e.path.endsWith('serviceentries') && !e.path.endsWith('workloadentries'))).toEqual([]);
  });

  it('makes zero mutating requests when the same desired set is applied again', async () => {
    server.requestLog.clear();
    const w = writer(ns);
    const report = await syncDesired(w, desired);
    expect(server.requestLog.summary().mutating).toBe(0);
    expect(report.apply.unchanged).toHaveLength(40);
    expect(report.apply.applied).toHaveLength(40);
    expect(report.delete.deleted).toEqual([]);
    // Only the owned listing was read: one page per kind.
    expect(server.requestLog.entries.map((e) => e.method)).toEqual(['GET', 'GET']);
    expect(w.metrics).toMatchObject({ applies: 0, created: 0, updated: 0, unchanged: 40, deletes: 0 });
  });

  it('writes only what changed, and reports the new generation', async () => {
    server.requestLog.clear();
    const changed = respec(desired[0] as ServiceEntry, 9090);
    const report = await syncDesired(writer(ns), [changed, ...desired.slice(1)]);
    expect(report.apply.updated).toEqual([`ServiceEntry/${ns}/svc-0`]);
    expect(report.apply.applied.find((a) => a.key === `ServiceEntry/${ns}/svc-0`)?.generation).toBe(2);
    expect(server.requestLog.summary().mutating).toBe(1);
    expectStored(changed);
  });

  it('takes back an owned object a person edited, even with an unchanged hash', async () => {
    const se = server.store.get('ServiceEntry', ns, 'svc-1') as JsonObject;
    server.store.put({ ...se, spec: { ...(se['spec'] as JsonObject), location: 'MESH_EXTERNAL' } }, { manager: 'kubectl-edit' });
    const w = writer(ns);
    await w.listOwned();
    const report = await w.apply([desired[10] as IstioObject]);
    expect(report.updated).toEqual([`ServiceEntry/${ns}/svc-1`]);
    expectStored(desired[10] as IstioObject);
    expect(metaOf(server.store.get('ServiceEntry', ns, 'svc-1')).managedFields?.map((m) => m['manager'])).toEqual(['sc2mesh']);
    expect(w.metrics.gets).toBe(0);
  });

  it('reports objects the server refuses (422) and still applies the rest', async () => {
    const bad = withContentHash({ ...serviceEntry('bad-one', { namespace: ns }), spec: { ...serviceEntry('bad-one').spec, location: 'NOWHERE' } } as unknown as ServiceEntry);
    const good = serviceEntry('good-one', { namespace: ns });
    const report = await writer(ns).apply([bad, good]);
    expect(report.created).toEqual([`ServiceEntry/${ns}/good-one`]);
    expect(report.failed).toEqual([
      expect.objectContaining({ key: `ServiceEntry/${ns}/bad-one`, code: 422, error: expect.stringContaining('Unsupported value: "NOWHERE"'), causes: expect.arrayContaining([expect.objectContaining({ field: 'spec.location', reason: 'FieldValueNotSupported' })]) }),
    ]);
  });

  it('passes on the Warning headers of fields the server pruned', async () => {
    const se = serviceEntry('with-extra', { namespace: ns });
    const odd = { ...se, spec: { ...se.spec, notAField: true } } as unknown as IstioObject;
    const report = await writer(ns).apply([odd]);
    expect(report.created).toEqual([`ServiceEntry/${ns}/with-extra`]);
    expect(report.warnings).toEqual([{ key: `ServiceEntry/${ns}/with-extra`, warning: 'unknown field "spec.notAField"' }]);
    expect(server.store.get('ServiceEntry', ns, 'with-extra')?.['spec']).toEqual(se.spec);
  });

  it('refuses desired objects outside its namespace, kinds or ownership marks', async () => {
    const elsewhere = serviceEntry('x', { namespace: 'other' });
    const foreignMarks = serviceEntry('y', { namespace: ns, source: 'registry-b' });
    const report = await writer(ns).apply([elsewhere, foreignMarks]);
    expect(report.failed.map((f) => f.error)).toEqual([
      'not applied: namespace "other" is not the target namespace "w-apply"',
      'not applied: lacks the ownership labels of source "registry-a"',
    ]);
    expect(server.store.get('ServiceEntry', ns, 'y')).toBeUndefined();
  });
});

describe('ownership', () => {
  const ns = 'w-owner';

  it('never changes an unowned object of the same name: it reports a conflict', async () => {
    const theirs = { ...serviceEntry('shared-name', { namespace: ns }), metadata: { name: 'shared-name', namespace: ns, labels: { team: 'payments' }, annotations: {} } };
    server.store.put(theirs as unknown as JsonObject, { manager: 'helm' });
    const other = serviceEntry('other-source', { namespace: ns, source: 'registry-b' });
    server.store.put(other as unknown as JsonObject, { manager: 'sc2mesh' });
    const before = [server.store.get('ServiceEntry', ns, 'shared-name'), server.store.get('ServiceEntry', ns, 'other-source')];
    server.requestLog.clear();
    const report = await writer(ns).apply([serviceEntry('shared-name', { namespace: ns, port: 7070 }), serviceEntry('other-source', { namespace: ns, port: 7070 })]);
    expect(report.conflicts.map((c) => [c.key, c.type]).sort()).toEqual([
      [`ServiceEntry/${ns}/other-source`, 'unowned'],
      [`ServiceEntry/${ns}/shared-name`, 'unowned'],
    ]);
    expect([server.store.get('ServiceEntry', ns, 'shared-name'), server.store.get('ServiceEntry', ns, 'other-source')]).toEqual(before);
    // A create of a taken name is refused by the server (AlreadyExists), then a GET shows whose it is: nothing else is sent.
    expect(server.requestLog.entries.map((e) => [e.method, e.status]).sort()).toEqual([
      ['GET', 200],
      ['GET', 200],
      ['POST', 409],
      ['POST', 409],
    ]);
  });

  it('never deletes an unowned object, and prunes only its own source', async () => {
    const w = writer(ns);
    await syncDesired(w, [serviceEntry('mine-1', { namespace: ns }), serviceEntry('mine-2', { namespace: ns })]);
    const report = await syncDesired(w, [serviceEntry('mine-1', { namespace: ns })]);
    expect(report.delete.deleted).toEqual([`ServiceEntry/${ns}/mine-2`]);
    expect(report.plannedDeletes).toEqual([`ServiceEntry/${ns}/mine-2`]);
    expect(server.store.get('ServiceEntry', ns, 'shared-name')).toBeDefined();
    expect(server.store.get('ServiceEntry', ns, 'other-source')).toBeDefined();
    const direct = await w.delete([{ kind: 'ServiceEntry', namespace: ns, name: 'shared-name' }, { kind: 'ServiceEntry', namespace: ns, name: 'gone' }]);
    expect(direct.conflicts.map((c) => c.key)).toEqual([`ServiceEntry/${ns}/shared-name`]);
    expect(direct.absent).toEqual([`ServiceEntry/${ns}/gone`]);
    expect(server.store.get('ServiceEntry', ns, 'shared-name')).toBeDefined();
  });

  it('re-reads an object that changed since it was listed, and leaves it if it is no longer ours', async () => {
    const w = writer(ns);
    await syncDesired(w, [serviceEntry('mine-1', { namespace: ns }), serviceEntry('mine-3', { namespace: ns })]);
    const owned = await w.listOwned();
    // A person edits one (still ours) and takes the other over (removes our marks).
    const edited = server.store.get('ServiceEntry', ns, 'mine-1') as JsonObject;
    server.store.put({ ...edited, spec: { ...(edited['spec'] as JsonObject), location: 'MESH_EXTERNAL' } }, { manager: 'kubectl-edit' });
    const adopted = server.store.get('ServiceEntry', ns, 'mine-3') as JsonObject;
    const labels = { ...metaOf(adopted).labels };
    delete labels[MANAGED_BY_LABEL];
    server.store.put({ ...adopted, metadata: { ...(adopted['metadata'] as JsonObject), labels } }, { manager: 'kubectl-edit' });
    const adoptedBefore = server.store.get('ServiceEntry', ns, 'mine-3');

    const report = await w.apply([serviceEntry('mine-1', { namespace: ns, port: 6060 }), serviceEntry('mine-3', { namespace: ns, port: 6060 })], { owned });
    expect(report.updated).toEqual([`ServiceEntry/${ns}/mine-1`]);
    expect(report.conflicts.map((c) => c.key)).toEqual([`ServiceEntry/${ns}/mine-3`]);
    expect(server.store.get('ServiceEntry', ns, 'mine-3')).toEqual(adoptedBefore);
    expect(w.metrics.refreshes).toBe(2);
    const del = await w.delete([{ kind: 'ServiceEntry', namespace: ns, name: 'mine-3' }], { owned });
    expect(del.conflicts).toHaveLength(1);
    expect(server.store.get('ServiceEntry', ns, 'mine-3')).toBeDefined();
  });

  it('reports an unowned conflict when another writer created the name just before our create, and never merges into it', async () => {
    const client = createIstioObjectsClient({ kubeConfig: server.kubeConfig, namespace: ns, timeoutMs: 5000 });
    const racing = {
      ...client,
      stats: client.stats,
      async create(...args: Parameters<typeof client.create>) {
        // Just before our create, someone else creates the same name.
        const theirs = serviceEntry('raced', { namespace: ns });
        server.store.put({ ...theirs, metadata: { name: 'raced', namespace: ns, labels: { team: 'x' }, annotations: {} }, spec: { ...theirs.spec, location: 'MESH_EXTERNAL' } } as unknown as JsonObject, { manager: 'helm' });
        return client.create(...args);
      },
    };
    server.requestLog.clear();
    const report = await writer(ns, { client: racing }).apply([serviceEntry('raced', { namespace: ns })]);
    expect(report.conflicts).toEqual([expect.objectContaining({ key: `ServiceEntry/${ns}/raced`, type: 'unowned' })]);
    // One create (AlreadyExists), one GET to see whose it is, nothing else.
    expect(server.requestLog.entries.map((e) => [e.method, e.status])).toEqual([
      ['POST', 409],
      ['GET', 200],
    ]);
    expect(metaOf(server.store.get('ServiceEntry', ns, 'raced')).labels).toEqual({ team: 'x' });
  });
});

describe('mass-deletion guard and dry run', () => {
  const ns = 'w-guard';
  const desired = desiredSet(40, { namespace: ns });

  it('refuses to delete more than the allowed share of owned objects unless forced', async () => {
    const w = writer(ns);
    await syncDesired(w, desired);
    server.requestLog.clear();
    const refused = await syncDesired(w, desired.slice(0, 5));
    expect(refused.deletionsRefused).toBe('refusing to delete 35 of 40 owned objects (88 % > 50 %); run with force to allow');
    expect(refused.plannedDeletes).toHaveLength(35);
    expect(refused.delete.deleted).toEqual([]);
    expect(server.requestLog.entries.filter((e) => e.method === 'DELETE')).toEqual([]);
    expect(server.store.list('WorkloadEntry', ns)).toHaveLength(36);
  });

  it('reports creates, updates and deletes in a dry run without writing', async () => {
    const w = writer(ns);
    const plan = [respec(desired[0] as ServiceEntry, 7070), ...desired.slice(1, 30), serviceEntry('new-one', { namespace: ns })];
    const before = server.store.resourceVersion;
    server.requestLog.clear();
    const report = await syncDesired(w, plan, { dryRun: true });
    expect(report.apply.dryRun).toBe(true);
    expect(report.apply.created).toEqual([`ServiceEntry/${ns}/new-one`]);
    expect(report.apply.updated).toEqual([`ServiceEntry/${ns}/svc-0`]);
    expect(report.apply.unchanged).toHaveLength(29);
    expect(report.delete.deleted).toHaveLength(10);
    expect(report.delete.dryRun).toBe(true);
    expect(server.requestLog.entries.filter((e) => e.mutating)).toEqual([]);
    expect(server.store.resourceVersion).toBe(before);
  });

  it('lets the server validate a dry run (dryRun=All) without storing anything', async () => {
    const w = writer(ns);
    const before = server.store.resourceVersion;
    server.requestLog.clear();
    const invalid = withContentHash({ ...serviceEntry('dry-bad', { namespace: ns }), spec: { ...serviceEntry('dry-bad').spec, location: 'NOWHERE' } } as unknown as ServiceEntry);
    const report = await w.apply([respec(desired[0] as ServiceEntry, 7070), serviceEntry('dry-new', { namespace: ns }), invalid], { dryRun: 'server' });
    expect(report.updated).toEqual([`ServiceEntry/${ns}/svc-0`]);
    expect(report.created).toEqual([`ServiceEntry/${ns}/dry-new`]);
    expect(report.failed.map((f) => [f.key, f.code])).toEqual([[`ServiceEntry/${ns}/dry-bad`, 422]]);
    // This writer has not listed: svc-0's create finds it taken (a GET shows it ours, then a PUT); dry-new and dry-bad are POSTs.
    const writes = server.requestLog.entries.filter((e) => e.mutating);
    expect(writes.map((e) => e.method).sort()).toEqual(['POST', 'POST', 'POST', 'PUT']);
    expect(writes.every((e) => e.dryRun)).toBe(true);
    expect(server.store.resourceVersion).toBe(before);
    expect(server.store.get('ServiceEntry', ns, 'dry-new')).toBeUndefined();
  });

  it('deletes past the guard when forced', async () => {
    const report = await syncDesired(writer(ns), desired.slice(0, 5), { guard: { force: true } });
    expect(report.deletionsRefused).toBeUndefined();
    expect(report.delete.deleted).toHaveLength(35);
    expect(server.store.list('WorkloadEntry', ns)).toHaveLength(4);
  });
});

describe('listing owned objects', () => {
  const ns = 'w-list';

  it('pages through metadata-only lists with a label selector', async () => {
    const w = writer(ns, { pageSize: 7 });
    const desired = Array.from({ length: 30 }, (_, i) => workloadEntry(`we-${String(i).padStart(2, '0')}`, 'app', `10.2.0.${i}`, { namespace: ns, shard: i % 3 }));
    await syncDesired(w, desired);
    server.store.put({ ...workloadEntry('foreign', 'app', '10.9.9.9', { namespace: ns }), metadata: { name: 'foreign', namespace: ns, labels: {}, annotations: {} } } as unknown as JsonObject);
    server.requestLog.clear();
    const owned = await w.listOwned({ kinds: ['WorkloadEntry'] });
    expect(owned.map((o) => o.name)).toEqual(desired.map((d) => d.metadata.name));
    expect(owned[0]).toMatchObject({ kind: 'WorkloadEntry', namespace: ns, generation: 1, annotations: { [CONTENT_HASH_ANNOTATION]: expect.any(String) } });
    expect(owned[0]?.resourceVersion).toMatch(/^\d+$/);
    const lists = server.requestLog.entries;
    expect(lists).toHaveLength(5);
    for (const e of lists) {
      expect(e.query).toMatchObject({ labelSelector: 'app.kubernetes.io/managed-by=sc2mesh,sc2mesh.io/source=registry-a', limit: '7' });
      expect(e.accept).toContain('as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
    }
    const shard = await w.listOwned({ kinds: ['WorkloadEntry'], shards: [1] });
    expect(shard.map((o) => o.name)).toEqual(desired.filter((_, i) => i % 3 === 1).map((d) => d.metadata.name));
    expect(await w.listOwned({ shards: [] })).toEqual([]);
  });
});

describe('throttling and outages', () => {
  it('applies 1,000 objects correctly under 20 % injected 429/5xx', async () => {
    const ns = 'w-chaos';
    const desired = desiredSet(1000, { namespace: ns });
    server.inject({ error: [429, 500, 502, 503, 504], rate: 0.2, retryAfterSeconds: 0 });
    try {
      const w = writer(ns, { concurrency: 16, retry: { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 15 } });
      const report = await syncDesired(w, desired);
      expect(report.apply.failed).toEqual([]);
      expect(report.apply.created).toHaveLength(1000);
      expect(w.metrics.retries).toBeGreaterThan(200);
      expect(Object.keys(w.metrics.retriesByReason).sort()).toEqual(['429', '500', '502', '503', '504']);
    } finally {
      server.clearFaults();
    }
    for (const o of desired) expectStored(o);
    expect(server.store.list('ServiceEntry', ns)).toHaveLength(100);
    expect(server.store.list('WorkloadEntry', ns)).toHaveLength(900);
  }, 30_000);

  it('retries timeouts and connections reset after the write took effect', async () => {
    const ns = 'w-reset';
    server.inject({ methods: ['POST'], error: 'reset', afterEffect: true, count: 2 });
    server.inject({ methods: ['GET'], latencyMs: 1000, count: 1 });
    try {
      const w = writer(ns, { timeoutMs: 300 });
      const desired = desiredSet(5, { namespace: ns });
      const report = await w.apply(desired);
      expect(report.failed).toEqual([]);
      // A create whose answer was lost created the object: its retry gets AlreadyExists, a GET finds it ours.
      expect(report.applied).toHaveLength(5);
      expect(report.created.length + report.updated.length + report.unchanged.length).toBe(5);
      expect(w.metrics.retriesByReason['network']).toBe(2);
      expect(w.metrics.retriesByReason['timeout']).toBeGreaterThanOrEqual(1);
      for (const o of desired) expectStored(o);
    } finally {
      server.clearFaults();
    }
  });

  it('honours Retry-After (measured on the sleeps it asks for)', async () => {
    const sleeps: number[] = [];
    let t = 1_000_000;
    const clock: Pick<Clock, 'now' | 'sleep'> = { now: () => t, sleep: async (ms) => void sleeps.push(ms) };
    server.inject({ error: 429, retryAfterSeconds: 7, count: 2 });
    try {
      const w = writer('w-retry-after', { clock, random: () => 0.5, retry: { baseDelayMs: 100, maxDelayMs: 1000 } });
      const report = await w.apply([serviceEntry('ra', { namespace: 'w-retry-after' })]);
      expect(report.created).toHaveLength(1);
      expect(sleeps).toEqual([7000, 7000]);
      expect(w.metrics.retriesByReason).toEqual({ '429': 2 });
    } finally {
      server.clearFaults();
      t = 0;
    }
  });

  it('paces requests with the token bucket', async () => {
    let t = 0;
    const sleeps: number[] = [];
    const clock: Pick<Clock, 'now' | 'sleep'> = { now: () => t, sleep: async (ms) => void (sleeps.push(ms), (t += ms)) };
    const w = writer('w-rate', { clock, rateLimit: { qps: 5, burst: 2 } });
    await w.apply(desiredSet(4, { namespace: 'w-rate' }));
    // 4 new objects: one create each; the first 2 requests use the burst.
    expect(w.metrics.requests).toBe(4);
    expect(w.metrics.throttledWaits).toBe(2);
    expect(sleeps.every((ms) => ms > 0 && ms <= 200)).toBe(true);
  });

  it('stops a run cleanly when the API server keeps failing, without touching the rest', async () => {
    server.inject({ error: 503 });
    try {
      const w = writer('w-outage', { concurrency: 1, retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });
      const report = await w.apply(desiredSet(5, { namespace: 'w-outage' }));
      expect(report.failed).toHaveLength(5);
      expect(report.failed[0]).toMatchObject({ code: 503 });
      expect(report.failed.slice(1).every((f) => f.error.startsWith('not attempted: HTTP 503'))).toBe(true);
      expect(w.metrics.requests).toBe(3);
    } finally {
      server.clearFaults();
    }
  });
});
