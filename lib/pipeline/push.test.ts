// The push on memory state and an in-memory cluster: diff before write, removals, the
// ownership and guard rules, failures kept for a retry, hand deletions restored.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { keyOfObject, type IstioObject } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { INSTANCE_ID_ANNOTATION } from '../model/ownership.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { partsOf } from '../render/service-group.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { desiredState } from './desired-state.ts';
import { pushServices } from './push.ts';
import { pushCycle } from './push-cycle.ts';
import { syncOnce } from './sync.ts';

const keyOf = (d: ServiceDetail): string => serviceKeyOf(partsOf(d.microService));

function registryService(name: string, instanceIds: readonly string[]): ServiceDetail {
  return detail(
    service({ serviceName: name, serviceId: `id-${name}` }),
    instanceIds.map((instanceId) => instance({ instanceId })),
  );
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

/** What the render makes of the registry as it is now, for one service. */
function desiredObjects(p: MemoryPipeline, serviceKey: string): IstioObject[] {
  return desiredState(p.registry.details, p.render).services.get(serviceKey)?.objects ?? [];
}

function serviceEntryKey(p: MemoryPipeline, serviceKey: string): string {
  const se = desiredObjects(p, serviceKey).find((o) => o.kind === 'ServiceEntry');
  if (se === undefined) throw new Error(`no ServiceEntry rendered for ${serviceKey}`);
  return keyOfObject(se);
}

function workloadEntryKey(p: MemoryPipeline, serviceKey: string, instanceId: string): string {
  const we = desiredObjects(p, serviceKey).find((o) => o.kind === 'WorkloadEntry' && o.metadata.annotations[INSTANCE_ID_ANNOTATION] === instanceId);
  if (we === undefined) throw new Error(`no WorkloadEntry rendered for ${instanceId}`);
  return keyOfObject(we);
}

async function recordedKeys(p: MemoryPipeline, serviceKey: string): Promise<string[]> {
  return Object.keys((await p.state.getService(serviceKey))?.objects ?? {}).sort();
}

let p: MemoryPipeline;
beforeEach(() => {
  p = memoryPipeline();
});

describe('pushServices', () => {
  it('publishes a new service as a ServiceEntry and one WorkloadEntry per instance, and records them', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    p.registry.details = [orders];
    const key = keyOf(orders);

    const report = await pushServices([key], p, 'p1');

    expect(report.results).toEqual([expect.objectContaining({ serviceKey: key, outcome: 'pushed', applied: 3, deleted: 0 })]);
    const expected = [serviceEntryKey(p, key), workloadEntryKey(p, key, 'o-1'), workloadEntryKey(p, key, 'o-2')].sort();
    expect(p.cluster.keys()).toEqual(expected);
    expect(await recordedKeys(p, key)).toEqual(expected);
    // The generation the cluster gave each object is remembered: it is how a hand edit shows.
    const record = await p.state.getService(key);
    for (const k of expected) expect(record?.objects[k]).toMatch(new RegExp(`@${p.cluster.generationOf(k)}$`));
    expect(record?.objectsHash).toBe(desiredState(p.registry.details, p.render).services.get(key)?.hash);
  });

  it('reports where its time went, phase by phase, in the order the phases run', async () => {
    const orders = registryService('orders', ['o-1']);
    p.registry.details = [orders];
    const read = p.registry.readServices.bind(p.registry);
    p.registry.readServices = async (keys) => {
      await p.clock.advanceBy(40);
      return read(keys);
    };
    const apply = p.cluster.apply.bind(p.cluster);
    p.cluster.apply = async (objects) => {
      await p.clock.advanceBy(700);
      return apply(objects);
    };

    const report = await pushServices([keyOf(orders)], p, 'p1');

    expect(Object.keys(report.phasesMs)).toEqual(['registry', 'governance', 'state', 'render', 'live', 'guard', 'write']);
    expect(report.phasesMs.registry).toBe(40);
    // A new service writes its ServiceEntry first, then the rest: two applies.
    expect(report.phasesMs.write).toBe(1400);
    expect(report.phasesMs.render).toBe(0);
  });

  it('pushing an unchanged registry again makes no cluster write and no state write', async () => {
    p.registry.details = [registryService('orders', ['o-1', 'o-2']), registryService('billing', ['b-1'])];
    const keys = p.registry.details.map(keyOf);
    await pushServices(keys, p, 'p1');
    const calls = p.cluster.mutatingCalls;
    p.state.resetMetrics();

    const again = await pushServices(keys, p, 'p2');

    expect(again.results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(again.applied + again.deleted).toBe(0);
    expect(p.cluster.mutatingCalls).toBe(calls);
    expect(p.state.metrics.writes).toBe(0);
  });

  it('an instance gone from the registry deletes exactly its WorkloadEntry', async () => {
    const orders = registryService('orders', ['o-1', 'o-2', 'o-3']);
    p.registry.details = [orders];
    const key = keyOf(orders);
    await pushServices([key], p, 'p1');
    const gone = workloadEntryKey(p, key, 'o-2');
    p.cluster.changes.length = 0;

    orders.instances = orders.instances?.filter((i) => i.instanceId !== 'o-2');
    const report = await pushServices([key], p, 'p2');

    expect(report.results[0]).toMatchObject({ outcome: 'pushed', applied: 0, deleted: 1 });
    expect(p.cluster.changes).toEqual([{ op: 'delete', key: gone }]);
    expect(p.cluster.keys()).not.toContain(gone);
    expect(await recordedKeys(p, key)).toEqual(p.cluster.keys());
  });

  it('a service gone from the registry loses its objects and its state record; the others stay', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    const billing = registryService('billing', ['b-1']);
    p.registry.details = [orders, billing];
    await pushServices([keyOf(orders), keyOf(billing)], p, 'p1');
    const billingObjects = await recordedKeys(p, keyOf(billing));

    p.registry.details = [billing];
    const report = await pushServices([keyOf(orders)], p, 'p2');

    expect(report.results).toEqual([expect.objectContaining({ serviceKey: keyOf(orders), outcome: 'removed', deleted: 3 })]);
    expect(p.cluster.keys()).toEqual(billingObjects);
    expect(await p.state.getService(keyOf(orders))).toBeUndefined();
    expect((await p.state.listServices()).items.map((s) => s.serviceKey)).toEqual([keyOf(billing)]);
  });

  it('a ServiceEntry name held by a foreign object: conflict, nothing of the service published, and a second push writes nothing', async () => {
    const taken = registryService('taken', ['t-1', 't-2']);
    p.registry.details = [taken];
    const key = keyOf(taken);
    const se = desiredObjects(p, key).find((o) => o.kind === 'ServiceEntry') as IstioObject;
    const theirs = { ...se, metadata: { ...se.metadata, labels: { team: 'payments' }, annotations: {} }, spec: { ...se.spec, hosts: ['theirs.example.com'] } } as IstioObject;
    p.cluster.put(theirs);

    const first = await pushServices([key], p, 'p1');

    expect(first.results[0]).toMatchObject({ outcome: 'conflict', applied: 0, conflicts: 1 });
    expect(first.results[0]?.reason).toContain(se.metadata.name);
    expect(first.failedKeys).toEqual([]);
    expect(p.cluster.keys()).toEqual([keyOfObject(se)]);
    expect(p.cluster.get(keyOfObject(se))).toEqual(theirs);
    expect(p.cluster.changes).toEqual([]);

    p.state.resetMetrics();
    const second = await pushServices([key], p, 'p2');
    expect(second.results[0]?.outcome).toBe('conflict');
    expect(p.cluster.changes).toEqual([]);
    expect(p.state.metrics.writes).toBe(0);
    // Nor does the per-minute sync keep retrying it.
    expect((await syncOnce(p, 's')).dirty).toEqual([]);

    // Once the name is free, the next push publishes the service whole.
    p.cluster.remove(keyOfObject(se));
    const third = await pushServices([key], p, 'p3');
    expect(third.results[0]).toMatchObject({ outcome: 'pushed', applied: 3 });
  });

  it('a failed apply: outcome failed, the key to retry, and state holds what the cluster holds', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    p.registry.details = [orders];
    const key = keyOf(orders);
    const failing = workloadEntryKey(p, key, 'o-2');
    p.cluster.failing.add(failing);

    const report = await pushServices([key], p, 'p1');

    expect(report.results[0]).toMatchObject({ outcome: 'failed', applied: 2 });
    expect(report.results[0]?.reason).toContain(failing);
    expect(report.failedKeys).toEqual([key]);
    expect(p.cluster.keys()).not.toContain(failing);
    expect(await recordedKeys(p, key)).toEqual(p.cluster.keys());
    // The record's hash is not the render's, so the next sync sends the service again.
    expect((await syncOnce(p, 's')).dirty).toEqual([key]);

    p.cluster.failing.clear();
    p.cluster.changes.length = 0;
    const retry = await pushServices([key], p, 'p2');
    expect(retry.results[0]).toMatchObject({ outcome: 'pushed', applied: 1 });
    expect(p.cluster.changes).toEqual([{ op: 'apply', key: failing }]);
    expect(await recordedKeys(p, key)).toEqual(p.cluster.keys());
  });

  it('a failed delete keeps the object in state, so the next push deletes it', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    p.registry.details = [orders];
    const key = keyOf(orders);
    await pushServices([key], p, 'p1');
    const gone = workloadEntryKey(p, key, 'o-2');
    p.cluster.failing.add(gone);
    orders.instances = orders.instances?.slice(0, 1);

    const report = await pushServices([key], p, 'p2');
    expect(report.results[0]?.outcome).toBe('failed');
    expect(await recordedKeys(p, key)).toContain(gone);

    p.cluster.failing.clear();
    const retry = await pushServices([key], p, 'p3');
    expect(retry.results[0]).toMatchObject({ outcome: 'pushed', deleted: 1 });
    expect(p.cluster.keys()).not.toContain(gone);
    expect(await recordedKeys(p, key)).toEqual(p.cluster.keys());
  });

  it('restores an object deleted by hand the next time its service is pushed', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    p.registry.details = [orders];
    const key = keyOf(orders);
    await pushServices([key], p, 'p1');
    const se = serviceEntryKey(p, key);
    p.cluster.remove(se);
    p.cluster.changes.length = 0;

    const report = await pushServices([key], p, 'p2');

    expect(report.results[0]).toMatchObject({ outcome: 'pushed', applied: 1 });
    expect(p.cluster.changes).toEqual([{ op: 'apply', key: se }]);
    expect(p.cluster.get(se)).toEqual(desiredObjects(p, key).find((o) => o.kind === 'ServiceEntry'));
  });

  it('loses a state-write race from a fresh read: it does not put back what the newer push removed', async () => {
    const orders = registryService('orders', ['o-1', 'o-2']);
    p.registry.details = [orders];
    const key = keyOf(orders);
    await pushServices([key], p, 'p1');

    // Push A reads o-3, applies its WorkloadEntry, and before A records it, o-3 and o-2 are
    // gone and push B (another replica) removes them and records the service first.
    orders.instances?.push(instance({ instanceId: 'o-3' }));
    const added = workloadEntryKey(p, key, 'o-3');
    const removed = workloadEntryKey(p, key, 'o-2');
    const real = p.state;
    let raced = false;
    const racing: typeof real = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'putService' || raced) return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<typeof real.putService>) => {
          raced = true;
          orders.instances = orders.instances?.filter((i) => i.instanceId === 'o-1');
          await pushServices([key], { ...p, state: real }, 'b');
          expect(p.cluster.keys()).not.toContain(added);
          expect(p.cluster.keys()).not.toContain(removed);
          return real.putService(...args);
        };
      },
    });
    const report = await pushServices([key], { ...p, state: racing }, 'a');

    expect(raced).toBe(true);
    expect(report.results[0]?.outcome).not.toBe('failed');
    expect(p.cluster.keys()).not.toContain(added);
    expect(p.cluster.keys()).not.toContain(removed);
    expect(await recordedKeys(p, key)).toEqual(p.cluster.keys());
  });

  it('a push leaves alone the objects of services it does not push', async () => {
    const orders = registryService('orders', ['o-1']);
    const billing = registryService('billing', ['b-1']);
    p.registry.details = [orders, billing];
    await pushServices([keyOf(orders), keyOf(billing)], p, 'p1');
    p.cluster.remove(serviceEntryKey(p, keyOf(billing)));
    p.cluster.changes.length = 0;

    await pushServices([keyOf(orders)], p, 'p2');

    expect(p.cluster.changes).toEqual([]);
  });

  describe('deletion guard', () => {
    beforeEach(() => {
      p.guard = { maxDeleteShare: 0.5, minDeletesToCheck: 3, force: false };
    });

    it('withholds a net mass deletion but publishes a new instance in the same batch', async () => {
      const a = registryService('alpha', ids('a', 5));
      const b = registryService('beta', ids('b', 5));
      const c = registryService('gamma', ['c-0']);
      p.registry.details = [a, b, c];
      const keys = p.registry.details.map(keyOf);
      await pushServices(keys, p, 'p1');
      expect(p.cluster.keys()).toHaveLength(14);

      // 8 of 14 owned objects would go (57 % > 50 %), and gamma gains an instance.
      a.instances = a.instances?.slice(0, 1);
      b.instances = b.instances?.slice(0, 1);
      c.instances?.push(instance({ instanceId: 'c-new' }));
      const report = await pushServices(keys, p, 'p2');

      expect(report.refusedDeletes).toBe(8);
      expect(report.deleted).toBe(0);
      expect(Object.fromEntries(report.results.map((r) => [r.serviceKey, r.outcome]))).toEqual({ [keyOf(a)]: 'refused', [keyOf(b)]: 'refused', [keyOf(c)]: 'pushed' });
      expect(p.cluster.keys()).toContain(workloadEntryKey(p, keyOf(c), 'c-new'));
      expect(p.cluster.keys()).toHaveLength(15);
      expect(p.metrics.get('deletions_refused')).toBe(1);
      // The withheld objects stay owned and recorded: the next sync tries them again.
      expect(await recordedKeys(p, keyOf(a))).toHaveLength(6);
      expect((await syncOnce(p, 's')).dirty).toEqual([keyOf(a), keyOf(b)].sort());

      const forced = await pushServices(keys, { ...p, guard: { ...p.guard, force: true } }, 'p3');
      expect(forced.deleted).toBe(8);
      expect(p.cluster.keys()).toHaveLength(7);
    });

    it('lets instances re-registered under new ids through: a replacement is not a loss, nor counted against the others', async () => {
      const a = registryService('alpha', ids('old', 5));
      const b = registryService('beta', ids('b', 4));
      p.registry.details = [a, b];
      const keys = p.registry.details.map(keyOf);
      await pushServices(keys, p, 'p1');

      // alpha: 5 deleted, 5 created; beta: 2 of 11 owned objects lost. Counted gross, 7 of 11 would trip the guard.
      b.instances = b.instances?.slice(0, 2);
      p.registry.details = [registryService('alpha', ids('new', 5)), b];
      const report = await pushServices(keys, p, 'p2');

      expect(report.refusedDeletes).toBe(0);
      expect(report.results.find((r) => r.serviceKey === keyOf(a))).toMatchObject({ outcome: 'pushed', applied: 5, deleted: 5 });
      expect(report.results.find((r) => r.serviceKey === keyOf(b))).toMatchObject({ outcome: 'pushed', deleted: 2 });
      const instanceIds = p.cluster.keys('WorkloadEntry').map((k) => p.cluster.get(k)?.metadata.annotations[INSTANCE_ID_ANNOTATION]);
      expect(instanceIds.sort()).toEqual([...ids('b', 2), ...ids('new', 5)]);
    });
  });
});

describe('pushCycle', () => {
  it('records the push run with its counts', async () => {
    const orders = registryService('orders', ['o-1']);
    p.registry.details = [orders];
    await p.clock.advanceBy(1000);

    const report = await pushCycle([keyOf(orders)], p, 'cycle-1', p.clock.now() - 1000);

    expect(report.applied).toBe(2);
    const [run] = await p.state.recentRuns(1);
    expect(run).toMatchObject({ id: 'cycle-1', kind: 'push', outcome: 'ok', counts: expect.objectContaining({ services: 1, applied: 2, failed: 0 }) });
    expect(p.metrics.pushLatencyMs).toEqual([1000]);
  });

  it('a registry that cannot be read fails every key and deletes nothing', async () => {
    const orders = registryService('orders', ['o-1']);
    p.registry.details = [orders];
    await pushServices([keyOf(orders)], p, 'p1');
    const before = p.cluster.keys();
    p.registry.down = true;
    p.cluster.changes.length = 0;

    const report = await pushCycle([keyOf(orders)], p, 'cycle-2', p.clock.now());

    expect(report.failedKeys).toEqual([keyOf(orders)]);
    expect(p.cluster.changes).toEqual([]);
    expect(p.cluster.keys()).toEqual(before);
    expect(await p.state.getService(keyOf(orders))).toBeDefined();
    expect((await p.state.recentRuns(1))[0]).toMatchObject({ outcome: 'error', message: expect.stringContaining('ECONNREFUSED') });
    expect(p.metrics.get('registry_unavailable')).toBe(1);
  });
});
