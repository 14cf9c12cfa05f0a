// The per-minute sync on memory state: registry against state only, dirty and removed keys
// enqueued, nothing written; and the "unsettled" rule that makes it push a service again
// while a write with an unknown outcome may still land.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { keyOfObject, type IstioObject } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { INSTANCE_ID_ANNOTATION, SERVICE_KEY_ANNOTATION } from '../model/ownership.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { partsOf } from '../render/service-group.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { desiredState } from './desired-state.ts';
import { UNSETTLED_WINDOW_MS } from './execute-plan.ts';
import { pushServices } from './push.ts';
import { runScheduledSync } from './scheduled-sync.ts';
import { syncOnce } from './sync.ts';

const keyOf = (d: ServiceDetail): string => serviceKeyOf(partsOf(d.microService));

function registryService(name: string, instanceIds: readonly string[]): ServiceDetail {
  return detail(
    service({ serviceName: name, serviceId: `id-${name}` }),
    instanceIds.map((instanceId) => instance({ instanceId })),
  );
}

function workloadEntryKey(p: MemoryPipeline, serviceKey: string, instanceId: string): string {
  const objects: IstioObject[] = desiredState(p.registry.details, p.render).services.get(serviceKey)?.objects ?? [];
  const we = objects.find((o) => o.kind === 'WorkloadEntry' && o.metadata.annotations[INSTANCE_ID_ANNOTATION] === instanceId);
  if (we === undefined) throw new Error(`no WorkloadEntry rendered for ${instanceId}`);
  return keyOfObject(we);
}

/** Sync, push what it enqueued, forget the messages. */
async function converge(p: MemoryPipeline): Promise<void> {
  const sync = await syncOnce(p, 'converge-sync');
  expect(sync.outcome).toBe('ok');
  const push = await pushServices(p.queue.keys(), p, 'converge-push');
  expect(push.failedKeys).toEqual([]);
  p.queue.clear();
}

let p: MemoryPipeline;
let orders: ServiceDetail;
let billing: ServiceDetail;
beforeEach(() => {
  p = memoryPipeline();
  orders = registryService('orders', ['o-1', 'o-2']);
  billing = registryService('billing', ['b-1']);
  p.registry.details = [orders, billing];
});

describe('syncOnce', () => {
  it('finds every service dirty on a fresh state, and enqueues them in one message', async () => {
    const report = await syncOnce(p, 's1');
    expect(report).toMatchObject({ outcome: 'ok', services: 2, removed: [] });
    expect(report.dirty).toEqual([keyOf(orders), keyOf(billing)].sort());
    expect(p.queue.sent).toEqual([expect.objectContaining({ v: 1, reason: 'sync', keys: report.dirty, correlationId: 's1' })]);
  });

  it('an unchanged registry: nothing dirty, nothing enqueued, no state write, no cluster call', async () => {
    await converge(p);
    p.state.resetMetrics();
    const calls = p.cluster.mutatingCalls;

    const report = await syncOnce(p, 's2');

    expect(report).toMatchObject({ outcome: 'ok', dirty: [], removed: [] });
    expect(p.queue.sent).toEqual([]);
    expect(p.state.metrics.writes).toBe(0);
    expect(p.cluster.mutatingCalls).toBe(calls);
  });

  it('a changed service is dirty, the others are not', async () => {
    await converge(p);
    orders.instances?.push(instance({ instanceId: 'o-3' }));

    const report = await syncOnce(p, 's2');

    expect(report.dirty).toEqual([keyOf(orders)]);
    expect(p.queue.keys()).toEqual([keyOf(orders)]);
  });

  it('a service gone from the registry is in removed, enqueued as a removal', async () => {
    await converge(p);
    p.registry.details = [billing];

    const report = await syncOnce(p, 's2');

    expect(report).toMatchObject({ outcome: 'ok', dirty: [], removed: [keyOf(orders)] });
    expect(p.queue.sent).toEqual([expect.objectContaining({ reason: 'removed', keys: [keyOf(orders)] })]);
    // The sync itself deletes nothing: the push does.
    expect(await p.state.getService(keyOf(orders))).toBeDefined();
  });

  it('a registry that cannot be read: registry-unavailable, nothing enqueued, nothing deleted', async () => {
    await converge(p);
    const objects = p.cluster.keys();
    p.registry.down = true;
    p.state.resetMetrics();

    const report = await syncOnce(p, 's2');

    expect(report).toMatchObject({ outcome: 'registry-unavailable', dirty: [], removed: [] });
    expect(report.message).toContain('ECONNREFUSED');
    expect(p.queue.sent).toEqual([]);
    expect(p.state.metrics.writes).toBe(0);
    expect((await p.state.listServices()).items).toHaveLength(2);
    expect(p.cluster.keys()).toEqual(objects);
    expect(p.metrics.get('registry_unavailable')).toBe(1);
  });

  it('refuses to remove most of what it owns at once (a registry that looks wiped)', async () => {
    const more = Array.from({ length: 10 }, (_, i) => registryService(`svc${i}`, [`s${i}-1`]));
    p.registry.details = [...p.registry.details, ...more];
    await converge(p);
    p.registry.details = [billing];

    const report = await syncOnce(p, 's2');

    expect(report.outcome).toBe('removals-refused');
    expect(report.removed).toEqual([]);
    expect(p.queue.sent).toEqual([]);
  });

  it('a corrupt state item: that service is dirty and its push writes its record afresh', async () => {
    await converge(p);
    const key = keyOf(orders);
    const stored = await p.state.getService(key);
    p.state.injectCorrupt('service', key, stored?.version);
    orders.instances?.pop();

    const report = await syncOnce(p, 's2');
    expect(report.dirty).toEqual([key]);
    expect(report.removed).toEqual([]);

    const push = await pushServices(report.dirty, p, 'p2');
    expect(push.results[0]?.outcome).toBe('pushed');
    // The object no longer wanted is found in the cluster, not in the lost record.
    expect(push.deleted).toBe(1);
    const after = await p.state.getServices([key]);
    expect(after.corrupt).toEqual([]);
    const inCluster = p.cluster.keys().filter((k) => p.cluster.get(k)?.metadata.annotations[SERVICE_KEY_ANNOTATION] === key);
    expect(inCluster).toHaveLength(2);
    expect(Object.keys(after.services.get(key)?.objects ?? {}).sort()).toEqual(inCluster);
    p.queue.clear();
    expect((await syncOnce(p, 's3')).dirty).toEqual([]);
  });
});

describe('an unsettled service (a write whose outcome is unknown)', () => {
  const t0 = 1_700_000_000_000;

  it('is marked unsettled by an uncertain write, synced as dirty for the whole window, and cleared by a push after it', async () => {
    const key = keyOf(orders);
    p.cluster.uncertain.add(workloadEntryKey(p, key, 'o-2'));
    await p.clock.advanceTo(t0);
    await converge(p);
    expect((await p.state.getService(key))?.unsettledAt).toBe(t0);
    expect((await p.state.getService(keyOf(billing)))?.unsettledAt).toBeUndefined();
    p.cluster.uncertain.clear();

    const syncedDirtyAt = async (after: number): Promise<void> => {
      await p.clock.advanceTo(t0 + after);
      const report = await syncOnce(p, `s+${after}`);
      // Dirty although the registry matches what state records.
      expect(report.desired?.services.get(key)?.hash).toBe((await p.state.getService(key))?.objectsHash);
      expect(report.dirty).toEqual([key]);
      p.queue.clear();
    };
    await syncedDirtyAt(1_000);
    await syncedDirtyAt(30_000);
    // A push inside the window keeps the mark: a late write could still land.
    await pushServices([key], p, 'p-inside');
    expect((await p.state.getService(key))?.unsettledAt).toBe(t0);
    await syncedDirtyAt(UNSETTLED_WINDOW_MS - 1);

    await p.clock.advanceTo(t0 + UNSETTLED_WINDOW_MS);
    const calls = p.cluster.mutatingCalls;
    await pushServices([key], p, 'p-after');
    expect((await p.state.getService(key))?.unsettledAt).toBeUndefined();
    expect(p.cluster.mutatingCalls).toBe(calls);
    expect((await syncOnce(p, 's-after')).dirty).toEqual([]);
  });

  it('an uncertain delete marks the service unsettled too', async () => {
    await converge(p);
    const key = keyOf(orders);
    p.cluster.uncertain.add(workloadEntryKey(p, key, 'o-2'));
    orders.instances = orders.instances?.slice(0, 1);
    await p.clock.advanceBy(5_000);

    await pushServices([key], p, 'p');

    expect((await p.state.getService(key))?.unsettledAt).toBe(p.clock.now());
  });

  it('undoes a create that timed out and landed after its instance was removed and its WorkloadEntry deleted', async () => {
    const key = keyOf(orders);
    const late = workloadEntryKey(p, key, 'o-2');
    // The first attempt times out; the retry creates the object; the first is still queued at the API server.
    p.cluster.uncertain.add(late);
    await p.clock.advanceTo(t0);
    await converge(p);
    p.cluster.uncertain.clear();

    await p.clock.advanceTo(t0 + 5_000);
    orders.instances = orders.instances?.filter((i) => i.instanceId !== 'o-2');
    await converge(p);
    expect(p.cluster.keys()).not.toContain(late);

    await p.clock.advanceTo(t0 + 10_000);
    p.cluster.landLate(late);
    expect(p.cluster.keys()).toContain(late);

    await p.clock.advanceTo(t0 + 20_000);
    const sync = await syncOnce(p, 's');
    // Nothing changed in the registry since the last push: only the mark sends it again.
    expect(sync.desired?.services.get(key)?.hash).toBe((await p.state.getService(key))?.objectsHash);
    expect(sync.dirty).toEqual([key]);
    const push = await pushServices(p.queue.keys(), p, 'p');
    expect(push.results[0]).toMatchObject({ outcome: 'pushed', deleted: 1 });
    expect(p.cluster.keys()).not.toContain(late);
    expect(p.cluster.changes.at(-1)).toEqual({ op: 'delete', key: late });
  });

  it('undoes a create that failed with an unknown outcome and landed after the instance was removed', async () => {
    const key = keyOf(orders);
    const late = workloadEntryKey(p, key, 'o-2');
    p.cluster.uncertain.add(late);
    p.cluster.failing.add(late);
    await p.clock.advanceTo(t0);
    await syncOnce(p, 's0');
    expect((await pushServices(p.queue.keys(), p, 'p0')).failedKeys).toEqual([key]);
    p.queue.clear();
    p.cluster.uncertain.clear();
    p.cluster.failing.clear();

    await p.clock.advanceTo(t0 + 2_000);
    p.cluster.landLate(late);
    orders.instances = orders.instances?.filter((i) => i.instanceId !== 'o-2');

    await p.clock.advanceTo(t0 + 20_000);
    const sync = await syncOnce(p, 's1');
    expect(sync.dirty).toEqual([key]);
    await pushServices(p.queue.keys(), p, 'p1');
    expect(p.cluster.keys()).not.toContain(late);
  });
});

describe('runScheduledSync', () => {
  it('a quiet minute writes nothing at all, not even a run record', async () => {
    await converge(p);
    p.state.resetMetrics();
    const calls = p.cluster.mutatingCalls;

    const report = await runScheduledSync({ ...p, auditPeriodMinutes: 1 }, 'quiet');

    expect(report.sync.dirty).toEqual([]);
    expect(report.audit).toMatchObject({ outcome: 'ok', applied: 0, deleted: 0 });
    expect(report.audit?.checked).toBe(5);
    expect(p.state.metrics.writes).toBe(0);
    expect(p.cluster.mutatingCalls).toBe(calls);
    expect(await p.state.recentRuns()).toEqual([]);
  });

  it('the audit leaves alone what the sync just enqueued, and does not run when the registry is down', async () => {
    await converge(p);
    const gone = workloadEntryKey(p, keyOf(orders), 'o-2');
    orders.instances = orders.instances?.slice(0, 1);

    const report = await runScheduledSync({ ...p, auditPeriodMinutes: 1 }, 'm1');
    expect(report.sync.dirty).toEqual([keyOf(orders)]);
    // The push converges it; the audit must not race the push for the same objects.
    expect(p.cluster.keys()).toContain(gone);
    expect(report.audit?.deleted).toBe(0);
    expect((await p.state.recentRuns(1))[0]).toMatchObject({ id: 'm1', kind: 'sync', counts: expect.objectContaining({ dirty: 1 }) });

    p.registry.down = true;
    const down = await runScheduledSync({ ...p, auditPeriodMinutes: 1 }, 'm2');
    expect(down.sync.outcome).toBe('registry-unavailable');
    expect(down.audit).toBeUndefined();
    expect((await p.state.recentRuns(1))[0]).toMatchObject({ id: 'm2', outcome: 'error' });
  });
});
