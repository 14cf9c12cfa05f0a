// The StateStore contract: one suite, run against the memory store (lib/state/memory-store.test.ts)
// and the DynamoDB store on dynalite (test/integration/state-contract.test.ts), so that the
// two cannot drift apart. What only DynamoDB has (object items, capacity units, TTL
// attributes, persistence) is tested in test/integration/state-dynamo.test.ts.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { runCycleStep } from '../../lib/state/cycle-step.ts';
import { CorruptStateError, StaleStateError, type CorruptItem, type ServiceRecord, type StateStore } from '../../lib/state/state-store.ts';
import { DEFAULT_DEBOUNCE_CONFIG as config } from '../../lib/debounce/config.ts';
import { onEvents, onTick } from '../../lib/debounce/cycle.ts';
import type { Clock } from '../../lib/time/clock.ts';

export interface ContractStore {
  store: StateStore;
  /** Make a stored item unreadable, keeping its version readable, as a hand edit would. */
  corrupt(kind: 'service' | 'cycle', key: string, version: number): Promise<void>;
  close(): Promise<void>;
}

/** A store that reads the time from `clock` and whose corrupt items are pushed onto `reported`. */
export type ContractFactory = (options: { clock: Pick<Clock, 'now'>; reported: (item: CorruptItem) => void }) => Promise<ContractStore>;

export const CONTRACT_NOW = 1_750_000_000_000;
const DAY = 86_400_000;

export function stateStoreContract(name: string, factory: ContractFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    let h: ContractStore;
    let store: StateStore;
    let nowMs = CONTRACT_NOW;
    let n = 0;
    const reported: CorruptItem[] = [];
    // Each test its own keys: the store is shared across the tests of a run.
    let prefix = '';

    beforeAll(async () => {
      h = await factory({ clock: { now: () => nowMs }, reported: (c) => reported.push(c) });
      store = h.store;
    });
    afterAll(async () => {
      await h.close();
    });
    beforeEach(() => {
      prefix = `t${n++}`;
      reported.length = 0;
      nowMs = CONTRACT_NOW;
      store.resetMetrics();
    });

    const record = (name: string, objects: Record<string, string>, objectsHash = 'aaaaaaaaaaaaaaaa'): ServiceRecord => ({
      serviceKey: `${prefix}/shop/${name}`,
      objectsHash,
      objects,
      lastPushAt: nowMs,
      lastPushCorrelationId: 'corr-1',
    });

    describe('service records', () => {
      it('round-trips a record and lists its compact summary', async () => {
        const r = record('cart', { 'ServiceEntry/mesh/cart': '1111111111111111', 'WorkloadEntry/mesh/cart-1': '2222222222222222' });
        expect(await store.putService(r, undefined)).toEqual({ written: true, version: 1 });
        const back = await store.getService(r.serviceKey);
        expect(back).toEqual({ ...r, version: 1, objectCount: 2, objectsChunks: 1, objectsRef: expect.any(String) });
        const listed = (await store.listServices()).items.find((s) => s.serviceKey === r.serviceKey);
        expect(listed).toMatchObject({ objectsHash: r.objectsHash, objectCount: 2, version: 1, lastPushCorrelationId: 'corr-1' });
        expect(listed).not.toHaveProperty('objects');
        expect((await store.listServicesWithObjects()).items.find((s) => s.serviceKey === r.serviceKey)?.objects).toEqual(r.objects);
        expect(await store.getService(`${prefix}/shop/none`)).toBeUndefined();
      });

      it('lists summaries in service key order', async () => {
        for (const k of ['b', 'c', 'a']) await store.putService(record(k, {}), undefined);
        const mine = (await store.listServices()).items.map((s) => s.serviceKey).filter((k) => k.startsWith(`${prefix}/`));
        expect(mine).toEqual([`${prefix}/shop/a`, `${prefix}/shop/b`, `${prefix}/shop/c`]);
      });

      it('makes no write for a record that did not change', async () => {
        const r = record('noop', { 'ServiceEntry/mesh/noop': '1111111111111111' });
        await store.putService(r, undefined);
        const prev = await store.getService(r.serviceKey);
        store.resetMetrics();
        expect(await store.putService({ ...r, lastPushAt: nowMs + 60_000, lastPushCorrelationId: 'corr-2' }, prev)).toEqual({ written: false, version: 1 });
        expect(store.metrics.writes).toBe(0);
        expect(await store.getService(r.serviceKey)).toMatchObject({ lastPushAt: nowMs, lastPushCorrelationId: 'corr-1' });
      });

      it('writes only the summary when the objects did not change', async () => {
        const r = record('hash-only', { 'ServiceEntry/mesh/h': '1111111111111111' });
        await store.putService(r, undefined);
        const prev = await store.getService(r.serviceKey);
        store.resetMetrics();
        expect(await store.putService({ ...r, objectsHash: 'bbbbbbbbbbbbbbbb' }, prev)).toEqual({ written: true, version: 2 });
        expect(store.metrics.writes).toBe(1);
        expect(await store.getService(r.serviceKey)).toMatchObject({ objectsHash: 'bbbbbbbbbbbbbbbb', objectsRef: prev?.objectsRef, objects: r.objects });
      });

      it('replaces the object map on change, and empties it', async () => {
        const r = record('changes', { 'ServiceEntry/mesh/c': '1111111111111111', 'WorkloadEntry/mesh/c-1': '2222222222222222' });
        await store.putService(r, undefined);
        const v1 = await store.getService(r.serviceKey);
        const next = { ...r, objects: { 'ServiceEntry/mesh/c': '1111111111111111', 'WorkloadEntry/mesh/c-2': '3333333333333333' } };
        expect(await store.putService(next, v1)).toEqual({ written: true, version: 2 });
        const v2 = await store.getService(r.serviceKey);
        expect(v2?.objects).toEqual(next.objects);
        expect(v2?.objectsRef).not.toBe(v1?.objectsRef);
        expect(await store.putService({ ...next, objects: {} }, v2)).toEqual({ written: true, version: 3 });
        expect(await store.getService(r.serviceKey)).toMatchObject({ objects: {}, objectCount: 0, objectsChunks: 0, objectsRef: '' });
        expect((await store.listServicesWithObjects()).orphans).toEqual([]);
      });

      it('round-trips a field added to the record, and writes a change to it alone', async () => {
        // What a later optional field (conflict records, say) looks like to the stores.
        const added: Record<string, unknown> = { conflicts: [{ host: 'cart.mesh', owner: 'someone', since: 5 }], note: 'x' };
        const r: ServiceRecord = { ...record('extra', { 'ServiceEntry/mesh/e': '1111111111111111' }), ...added };
        await store.putService(r, undefined);
        const back = await store.getService(r.serviceKey);
        expect(back).toMatchObject(added);
        expect((await store.listServices()).items.find((s) => s.serviceKey === r.serviceKey)).toMatchObject(added);
        // unchanged, even though the map came back from storage
        expect(await store.putService({ ...r }, back)).toEqual({ written: false, version: 1 });
        const changed: ServiceRecord = { ...r, ...{ conflicts: [] } };
        expect(await store.putService(changed, back)).toEqual({ written: true, version: 2 });
        expect(await store.getService(r.serviceKey)).toMatchObject({ conflicts: [], note: 'x' });
        // a whole state passed back as the record does not smuggle bookkeeping in
        const v2 = await store.getService(r.serviceKey);
        if (v2 === undefined) throw new Error('missing');
        expect(await store.putService({ ...v2, objectsHash: 'cccccccccccccccc' }, v2)).toEqual({ written: true, version: 3 });
        expect(await store.getService(r.serviceKey)).toMatchObject({ version: 3, objectCount: 1, objects: r.objects });
      });

      it('fails a conditional write on a version mismatch with StaleStateError', async () => {
        const r = record('race', { 'ServiceEntry/mesh/r': '1111111111111111' });
        await store.putService(r, undefined);
        const seenByA = await store.getService(r.serviceKey);
        const seenByB = await store.getService(r.serviceKey);
        await store.putService({ ...r, objects: { 'ServiceEntry/mesh/r': 'aaaaaaaaaaaaaaaa' } }, seenByA);
        const error = await store.putService({ ...r, objects: { 'ServiceEntry/mesh/r': 'bbbbbbbbbbbbbbbb' } }, seenByB).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StaleStateError);
        expect((error as StaleStateError).message).toContain(`SVC/${r.serviceKey}`);
        expect((error as StaleStateError).expectedVersion).toBe(1);
        expect((await store.getService(r.serviceKey))?.objects).toEqual({ 'ServiceEntry/mesh/r': 'aaaaaaaaaaaaaaaa' });
        expect((await store.listServicesWithObjects()).orphans).toEqual([]);
        await expect(store.putService(r, undefined)).rejects.toThrow(StaleStateError);
        await expect(store.putService(r, { version: 9 })).rejects.toThrow(StaleStateError);
      });

      it('lets exactly one of two concurrent creators win', async () => {
        const results = await Promise.allSettled([
          store.putService(record('twin', { 'ServiceEntry/mesh/t': '1111111111111111' }), undefined),
          store.putService(record('twin', { 'ServiceEntry/mesh/t': '2222222222222222' }), undefined),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected.map((r) => r.reason)).toEqual([expect.any(StaleStateError)]);
        expect((await store.getService(`${prefix}/shop/twin`))?.version).toBe(1);
      });

      it('deletes conditionally', async () => {
        const r = record('gone', { 'ServiceEntry/mesh/g': '1111111111111111' });
        await store.putService(r, undefined);
        const prev = await store.getService(r.serviceKey);
        if (prev === undefined) throw new Error('missing');
        await expect(store.deleteService(r.serviceKey, { version: 7 })).rejects.toThrow(StaleStateError);
        expect((await store.getService(r.serviceKey))?.objects).toEqual(r.objects);
        await store.deleteService(r.serviceKey, prev);
        expect(await store.getService(r.serviceKey)).toBeUndefined();
        expect((await store.listServices()).items.map((s) => s.serviceKey)).not.toContain(r.serviceKey);
        await expect(store.deleteService(r.serviceKey, prev)).rejects.toThrow(StaleStateError);
        // and it can be created afresh
        expect(await store.putService(r, undefined)).toEqual({ written: true, version: 1 });
        expect((await store.listServicesWithObjects()).orphans).toEqual([]);
      });

      it('validates a record before writing, naming the field', async () => {
        await expect(store.putService({ ...record('y', {}), objectsHash: '' }, undefined)).rejects.toThrow(/service\.objectsHash/);
        await expect(store.putService(record('y', { 'ServiceEntry/mesh/y': '' }), undefined)).rejects.toThrow(/service\.objects/);
        await expect(store.putService({ ...record('y', {}), serviceKey: 'k'.repeat(901) }, undefined)).rejects.toThrow(/service\.serviceKey.*900 bytes/);
        const r = record('y', {});
        await store.putService(r, undefined);
        const prev = await store.getService(r.serviceKey);
        await expect(store.putService({ ...r, serviceKey: `${prefix}/shop/z` }, prev)).rejects.toThrow(/does not match/);
        expect(await store.getService(`${prefix}/shop/z`)).toBeUndefined();
      });

      it('reads several services at once; absent keys are simply missing', async () => {
        await store.putService(record('one', { 'ServiceEntry/mesh/1': '1111111111111111' }), undefined);
        await store.putService(record('two', {}), undefined);
        const { services, corrupt } = await store.getServices([`${prefix}/shop/one`, `${prefix}/shop/two`, `${prefix}/shop/one`, `${prefix}/shop/absent`]);
        expect([...services.keys()].sort()).toEqual([`${prefix}/shop/one`, `${prefix}/shop/two`]);
        expect(services.get(`${prefix}/shop/one`)?.objects).toEqual({ 'ServiceEntry/mesh/1': '1111111111111111' });
        expect(corrupt).toEqual([]);
      });

      it('reports a corrupt service and skips it; a write under its version replaces it', async () => {
        await store.putService(record('fine', {}), undefined);
        const bad = `${prefix}/shop/hand-edited`;
        await h.corrupt('service', bad, 3);
        const listing = await store.listServices();
        expect(listing.items.map((s) => s.serviceKey)).toContain(`${prefix}/shop/fine`);
        expect(listing.items.map((s) => s.serviceKey)).not.toContain(bad);
        expect(listing.corrupt).toEqual([expect.objectContaining({ pk: 'SVC', sk: bad, version: 3 })]);
        expect(reported.map((c) => c.sk)).toContain(bad);
        const many = await store.getServices([bad, `${prefix}/shop/fine`]);
        expect([...many.services.keys()]).toEqual([`${prefix}/shop/fine`]);
        expect(many.corrupt).toEqual([expect.objectContaining({ pk: 'SVC', sk: bad, version: 3 })]);
        const error = await store.getService(bad).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptStateError);
        expect((error as CorruptStateError).item.version).toBe(3);
        await expect(store.putService({ ...record('hand-edited', {}) }, undefined)).rejects.toThrow(StaleStateError);
        await store.putService(record('hand-edited', { 'ServiceEntry/mesh/h': '1111111111111111' }), { version: 3 });
        expect(await store.getService(bad)).toMatchObject({ version: 4, objectsHash: 'aaaaaaaaaaaaaaaa', objects: { 'ServiceEntry/mesh/h': '1111111111111111' } });
      });

      it('deletes a corrupt service under the version its error reports', async () => {
        const bad = `${prefix}/shop/doomed`;
        await h.corrupt('service', bad, 5);
        await expect(store.deleteService(bad, { version: 4 })).rejects.toThrow(StaleStateError);
        await store.deleteService(bad, { version: 5 });
        expect(await store.getService(bad)).toBeUndefined();
      });

      it('imports services at version 1', async () => {
        const records = [record('i1', { 'ServiceEntry/mesh/i1': '1111111111111111' }), record('i2', {})];
        expect(await store.importServices(records)).toBe(2);
        expect(await store.getService(`${prefix}/shop/i1`)).toMatchObject({ version: 1, objects: records[0]?.objects, objectCount: 1 });
        expect(await store.getService(`${prefix}/shop/i2`)).toMatchObject({ version: 1, objects: {}, objectsRef: '' });
        await expect(store.importServices([{ ...record('i3', {}), objectsHash: '' }])).rejects.toThrow(/service\.objectsHash/);
      });
    });

    describe('run records', () => {
      it('stores runs with an expiry in epoch seconds and lists the newest live ones first', async () => {
        // runs of other tests sit at CONTRACT_NOW; these are around it, in their own days
        const base = CONTRACT_NOW + 100 * DAY;
        nowMs = base;
        for (let i = 0; i < 5; i++) {
          const startedAt = base - 10 * DAY + i * 3 * DAY; // -10d, -7d, -4d, -1d, +2d
          const stored = await store.recordRun({ id: `${prefix}-run-${i}`, kind: i % 2 === 0 ? 'sync' : 'push', startedAt, finishedAt: startedAt + 150, outcome: 'ok', counts: { services: i } });
          expect(stored.expiresAt).toBe(Math.floor((startedAt + 7 * DAY) / 1000));
        }
        const recent = await store.recentRuns(10);
        expect(recent.map((r) => r.id)).toEqual([`${prefix}-run-4`, `${prefix}-run-3`, `${prefix}-run-2`]);
        expect(recent[1]).toEqual({ id: `${prefix}-run-3`, kind: 'push', startedAt: base - DAY, finishedAt: base - DAY + 150, outcome: 'ok', counts: { services: 3 }, expiresAt: Math.floor((base + 6 * DAY) / 1000) });
        expect((await store.recentRuns(2)).map((r) => r.id)).toEqual([`${prefix}-run-4`, `${prefix}-run-3`]);
        await expect(store.recordRun({ id: 'x', kind: 'nap' as 'sync', startedAt: 1, finishedAt: 2, outcome: 'ok', counts: {} })).rejects.toThrow(/run\.kind/);
      });

      it('keeps every run kind, push included', async () => {
        const base = CONTRACT_NOW + 200 * DAY;
        nowMs = base;
        const kinds = ['sync', 'push', 'resync'] as const;
        for (const [i, kind] of kinds.entries()) await store.recordRun({ id: `${prefix}-${kind}`, kind, startedAt: base + i, finishedAt: base + i, outcome: 'error', counts: {}, message: `${kind} failed` });
        expect((await store.recentRuns(3)).map((r) => [r.kind, r.message])).toEqual([...kinds].reverse().map((k) => [k, `${k} failed`]));
      });
    });

    describe('the debounce cycle', () => {
      it('starts empty at version 0 and round-trips a cycle with compare-and-set', async () => {
        expect(await store.getCycle(prefix)).toEqual({ value: null, version: 0 });
        const state = onEvents(null, ['b', 'a'], 1000, config).state;
        expect(await store.casCycle(state, 0, prefix)).toBe(true);
        expect(await store.casCycle(state, 0, prefix)).toBe(false);
        expect(await store.getCycle(prefix)).toEqual({ value: state, version: 1 });
        expect(await store.casCycle(null, 1, prefix)).toBe(true);
        expect(await store.getCycle(prefix)).toEqual({ value: null, version: 2 });
        expect(await store.getCycle(`${prefix}-other`)).toEqual({ value: null, version: 0 });
      });

      it('lets exactly one of two concurrent writers win', async () => {
        await store.casCycle(onEvents(null, ['x'], 0, config).state, 0, prefix);
        const results = await Promise.all([
          store.casCycle(onEvents(null, ['from-a'], 5, config).state, 1, prefix),
          store.casCycle(onEvents(null, ['from-b'], 5, config).state, 1, prefix),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const { value, version } = await store.getCycle(prefix);
        expect(version).toBe(2);
        expect(value?.keys).toEqual(results[0] ? ['from-a'] : ['from-b']);
      });

      it('pushes a due cycle from exactly one of several concurrent steps', async () => {
        await runCycleStep(store, (s) => onEvents(s, ['svc-1', 'svc-2'], 0, config), { name: prefix });
        const results = await Promise.all(Array.from({ length: 4 }, () => runCycleStep(store, (s) => onTick(s, 1000, config), { name: prefix })));
        const pushes = results.filter((r) => r.decision.kind === 'push');
        expect(pushes).toHaveLength(1);
        expect(pushes[0]?.decision).toMatchObject({ keys: ['svc-1', 'svc-2'], reason: 'quiet' });
        expect(results.filter((r) => r.decision.kind === 'idle')).toHaveLength(3);
        expect((await store.getCycle(prefix)).value).toBeNull();
      });

      it('loses no key when many steps add events at once', async () => {
        const keys = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
        const results = await Promise.all(keys.map((k, i) => runCycleStep(store, (s) => onEvents(s, [k], 100 + i, config), { name: prefix, maxAttempts: 50 })));
        expect(results.every((r) => r.written)).toBe(true);
        expect(results.some((r) => r.attempts > 1)).toBe(true); // they did collide
        const { value } = await store.getCycle(prefix);
        expect(value?.keys).toEqual([...keys].sort());
        expect(value?.events).toBe(12);
      });

      it('writes nothing for a tick that is not due', async () => {
        await runCycleStep(store, (s) => onEvents(s, ['k'], 0, config), { name: prefix });
        store.resetMetrics();
        const r = await runCycleStep(store, (s) => onTick(s, 500, config), { name: prefix });
        expect(r).toMatchObject({ written: false, decision: { kind: 'wait', untilMs: 1000 } });
        expect(store.metrics.writes).toBe(0);
        expect(store.metrics.reads).toBe(1);
      });

      it('reports a corrupt cycle and starts afresh over its version', async () => {
        await h.corrupt('cycle', prefix, 9);
        expect(await store.getCycle(prefix)).toEqual({ value: null, version: 9 });
        expect(reported).toEqual([expect.objectContaining({ pk: 'CYCLE', sk: prefix, version: 9 })]);
        const r = await runCycleStep(store, (s) => onEvents(s, ['fresh'], 0, config), { name: prefix });
        expect(r.written).toBe(true);
        expect(await store.getCycle(prefix)).toMatchObject({ value: { keys: ['fresh'] }, version: 10 });
      });
    });
  });
}
