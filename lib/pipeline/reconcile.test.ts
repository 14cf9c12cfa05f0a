import { beforeEach, describe, it, expect } from '@jest/globals';
import { auditShardsAt, reconcile } from './reconcile.ts';
import { AUDIT_SHARDS, serviceKeyOf } from '../names/service-names.ts';
import { keyOfObject, objectKey, type IstioObject } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { INSTANCE_ID_ANNOTATION, SHARD_LABEL } from '../model/ownership.ts';
import { partsOf } from '../render/service-group.ts';
import { createMemoryStateStore } from '../state/memory-store.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { desiredState } from './desired-state.ts';
import { pushServices } from './push.ts';
import { runResync } from './resync.ts';

const keyOf = (d: ServiceDetail): string => serviceKeyOf(partsOf(d.microService));

describe('auditShardsAt', () => {
  it.each([1, 5, 7, 15, 60, 90])('covers every shard within %i minutes', (period) => {
    const seen = new Set<number>();
    const start = 1_700_000_040_000;
    for (let minute = 0; minute < period; minute++) for (const s of auditShardsAt(start + minute * 60_000, period)) seen.add(s);
    expect(seen.size).toBe(AUDIT_SHARDS);
  });

  it('looks at a small slice per minute', () => {
    expect(auditShardsAt(0, 15)).toEqual([0, 1, 2, 3]);
    expect(auditShardsAt(60_000, 15)).toEqual([4, 5, 6, 7]);
  });
});

// Drift repair on memory state and an in-memory cluster.
describe('reconcile', () => {
  let p: MemoryPipeline;
  let orders: ServiceDetail;
  let billing: ServiceDetail;
  beforeEach(async () => {
    p = memoryPipeline();
    orders = detail(service({ serviceName: 'orders', serviceId: 'id-orders' }), [instance({ instanceId: 'o-1' }), instance({ instanceId: 'o-2' })]);
    billing = detail(service({ serviceName: 'billing', serviceId: 'id-billing' }), [instance({ instanceId: 'b-1' })]);
    p.registry.details = [orders, billing];
    const push = await pushServices([keyOf(orders), keyOf(billing)], p, 'converge');
    expect(push.failedKeys).toEqual([]);
    p.cluster.changes.length = 0;
  });

  const workloadEntryOf = (instanceId: string): string => {
    const key = p.cluster.keys('WorkloadEntry').find((k) => p.cluster.get(k)?.metadata.annotations[INSTANCE_ID_ANNOTATION] === instanceId);
    if (key === undefined) throw new Error(`no WorkloadEntry of ${instanceId}`);
    return key;
  };
  const addressOf = (key: string): string | undefined => (p.cluster.get(key)?.spec as { address?: string } | undefined)?.address;
  const setAddress = (key: string, address: string): void =>
    p.cluster.edit(key, (o) => {
      (o.spec as { address: string }).address = address;
    });

  it('repairs an owned object edited by hand (its generation moved), and records the new generation', async () => {
    const edited = workloadEntryOf('o-1');
    const address = addressOf(edited);
    setAddress(edited, '10.99.99.99');

    const report = await reconcile(p, 'r1');

    expect(report).toMatchObject({ outcome: 'ok', checked: 5, edited: 1, missing: 0, applied: 1, deleted: 0 });
    expect(p.cluster.changes).toEqual([{ op: 'apply', key: edited }]);
    expect(addressOf(edited)).toBe(address);
    expect((await p.state.getService(keyOf(orders)))?.objects[edited]).toMatch(new RegExp(`@${p.cluster.generationOf(edited)}$`));
    expect(await reconcile(p, 'r2')).toMatchObject({ edited: 0, applied: 0 });
  });

  it('repairs an object deleted by hand', async () => {
    const lost = workloadEntryOf('b-1');
    p.cluster.remove(lost);

    const report = await reconcile(p, 'r');

    expect(report).toMatchObject({ missing: 1, applied: 1 });
    expect(p.cluster.keys()).toContain(lost);
  });

  it('an audit slice repairs only the shards it looks at', async () => {
    const edited = workloadEntryOf('o-1');
    setAddress(edited, '10.99.99.99');
    const shard = Number(p.cluster.get(edited)?.metadata.labels[SHARD_LABEL]);
    const other = (shard + 1) % AUDIT_SHARDS;
    const billingShard = Number(p.cluster.get(workloadEntryOf('b-1'))?.metadata.labels[SHARD_LABEL]);

    const elsewhere = await reconcile(p, 'a1', { shards: [other] });
    expect(elsewhere.applied).toBe(0);
    expect(elsewhere.checked).toBe(other === billingShard ? 2 : 0);
    expect(addressOf(edited)).toBe('10.99.99.99');

    const here = await reconcile(p, 'a2', { shards: [shard] });
    expect(here).toMatchObject({ shards: [shard], edited: 1, applied: 1 });
    expect(addressOf(edited)).not.toBe('10.99.99.99');
  });

  it('deletes a stray owned object that nothing in the registry wants', async () => {
    const template = p.cluster.get(workloadEntryOf('o-1')) as IstioObject;
    const stray = { ...template, metadata: { ...template.metadata, name: `${template.metadata.name}-stray` } } as IstioObject;
    p.cluster.put(stray);
    const strayKey = keyOfObject(stray);
    const before = await p.state.getService(keyOf(orders));

    const report = await reconcile(p, 'r');

    expect(report).toMatchObject({ outcome: 'ok', deleted: 1, applied: 0 });
    expect(p.cluster.changes).toEqual([{ op: 'delete', key: strayKey }]);
    expect(await p.state.getService(keyOf(orders))).toEqual(before);
  });

  it('leaves a foreign object alone and reports it: one holding a wanted name, and one nobody wants', async () => {
    const se = p.cluster.keys('ServiceEntry').find((k) => k.includes('billing')) as string;
    const ours = p.cluster.get(se) as IstioObject;
    const theirs = { ...ours, metadata: { ...ours.metadata, labels: { team: 'payments' } } } as IstioObject;
    p.cluster.remove(se);
    p.cluster.put(theirs);
    const unrelated = { ...theirs, metadata: { ...theirs.metadata, name: 'payments-gateway' } } as IstioObject;
    p.cluster.put(unrelated);

    const report = await reconcile(p, 'r');

    expect(report.outcome).toBe('partial');
    expect(report.conflicts).toBe(1);
    expect(report.conflictDetails).toEqual([expect.objectContaining({ key: se })]);
    expect(report.deleted).toBe(0);
    expect(p.cluster.get(se)).toEqual(theirs);
    expect(p.cluster.get(objectKey('ServiceEntry', unrelated.metadata.namespace, 'payments-gateway'))).toEqual(unrelated);
    expect(p.cluster.changes).toEqual([]);
  });

  // Known bug, left for the owner of reconcile.ts: the push publishes nothing of a service
  // whose ServiceEntry name is taken (execute-plan's serviceEntryFirst), but reconcile applies
  // all its missing objects in one call, so the audit publishes the WorkloadEntries anyway.
  // Drop `.failing` once reconcile holds a service's other objects back behind its ServiceEntry.
  it('publishes nothing of a service whose ServiceEntry name a foreign object holds', async () => {
    const taken = detail(service({ serviceName: 'taken', serviceId: 'id-taken' }), [instance({ instanceId: 't-1' })]);
    p.registry.details = [...p.registry.details, taken];
    const objects = desiredState(p.registry.details, p.render).services.get(keyOf(taken))?.objects ?? [];
    const se = objects.find((o) => o.kind === 'ServiceEntry') as IstioObject;
    p.cluster.put({ ...se, metadata: { ...se.metadata, labels: { team: 'payments' } } } as IstioObject);
    expect((await pushServices([keyOf(taken)], p, 'p')).results[0]?.outcome).toBe('conflict');

    const report = await reconcile(p, 'r');

    expect(report.conflicts).toBe(1);
    expect(p.cluster.keys('WorkloadEntry').filter((k) => k.includes('taken'))).toEqual([]);
  });

  it('a registry that cannot be read: nothing repaired, nothing deleted', async () => {
    p.cluster.remove(workloadEntryOf('o-2'));
    p.registry.down = true;
    const before = p.cluster.mutatingCalls;

    const report = await reconcile(p, 'r');

    expect(report.outcome).toBe('registry-unavailable');
    expect(report.message).toContain('ECONNREFUSED');
    expect(p.cluster.mutatingCalls).toBe(before);
  });

  it('refuses to delete most of what it owns at once', async () => {
    const template = p.cluster.get(workloadEntryOf('o-1')) as IstioObject;
    for (let i = 0; i < 10; i++) p.cluster.put({ ...template, metadata: { ...template.metadata, name: `stray-${i}` } } as IstioObject);

    const report = await reconcile(p, 'r');

    expect(report.outcome).toBe('deletions-refused');
    expect(report.deleted).toBe(0);
    expect(p.cluster.keys()).toHaveLength(15);
  });
});

describe('runResync', () => {
  let p: MemoryPipeline;
  let orders: ServiceDetail;
  beforeEach(async () => {
    p = memoryPipeline();
    orders = detail(service({ serviceName: 'orders', serviceId: 'id-orders' }), [instance({ instanceId: 'o-1' }), instance({ instanceId: 'o-2' })]);
    p.registry.details = [orders];
    await pushServices([keyOf(orders)], p, 'converge');
    p.cluster.changes.length = 0;
  });

  const firstWorkloadEntry = (): string => p.cluster.keys('WorkloadEntry')[0] as string;
  const editAddress = (key: string): void =>
    p.cluster.edit(key, (o) => {
      (o.spec as { address: string }).address = '10.99.99.99';
    });

  it('a dry run reports what it would repair and delete, and changes nothing', async () => {
    const edited = firstWorkloadEntry();
    editAddress(edited);
    const template = p.cluster.get(edited) as IstioObject;
    p.cluster.put({ ...template, metadata: { ...template.metadata, name: 'stray' } } as IstioObject);
    const strayKey = objectKey('WorkloadEntry', template.metadata.namespace, 'stray');
    p.state.resetMetrics();

    const report = await runResync(p, 'dry', { dryRun: true });

    expect(report).toMatchObject({ dryRun: true, wouldApply: [edited], wouldDelete: [strayKey] });
    expect(p.cluster.changes).toEqual([]);
    expect(p.state.metrics.writes).toBe(0);
    expect(await p.state.recentRuns()).toEqual([]);
  });

  it('with a full read of the cluster, sees a spec edited by hand even when state knows no generation', async () => {
    const edited = firstWorkloadEntry();
    editAddress(edited);
    // State rebuilt from scratch (e.g. a new table): no generation to compare.
    p.state = createMemoryStateStore({ clock: p.clock });

    const metadataOnly = await runResync(p, 'metadata');
    expect(metadataOnly.edited).toBe(0);

    await p.clock.advanceBy(60_000);
    const full = await runResync({ ...p, content: p.cluster.contentReader() }, 'full');
    expect(full).toMatchObject({ dryRun: false, edited: 1, applied: 1 });
    expect((p.cluster.get(edited)?.spec as { address: string }).address).not.toBe('10.99.99.99');
    expect((await p.state.recentRuns(1))[0]).toMatchObject({ id: 'full', kind: 'resync', outcome: 'ok', counts: expect.objectContaining({ edited: 1, applied: 1 }) });
  });

  it("keeps a service's unsettled mark when it repairs that service", async () => {
    const we = firstWorkloadEntry();
    p.cluster.uncertain.add(we);
    p.cluster.remove(we);
    await pushServices([keyOf(orders)], p, 'uncertain');
    p.cluster.uncertain.clear();
    const unsettledAt = (await p.state.getService(keyOf(orders)))?.unsettledAt;
    expect(unsettledAt).toBe(p.clock.now());
    p.cluster.remove(we);
    await p.clock.advanceBy(1_000);

    const report = await runResync(p, 'resync');

    expect(report).toMatchObject({ missing: 1, applied: 1 });
    expect((await p.state.getService(keyOf(orders)))?.unsettledAt).toBe(unsettledAt);
  });

  it('with a full read, a foreign object holding a wanted name is a conflict before any write', async () => {
    const se = p.cluster.keys('ServiceEntry')[0] as string;
    const ours = p.cluster.get(se) as IstioObject;
    p.cluster.remove(se);
    p.cluster.put({ ...ours, metadata: { ...ours.metadata, labels: {} } } as IstioObject);
    const calls = p.cluster.applyCalls;

    const report = await runResync({ ...p, content: p.cluster.contentReader() }, 'full');

    expect(report).toMatchObject({ outcome: 'partial', conflicts: 1, applied: 0 });
    expect(report.conflictDetails.map((c) => c.key)).toEqual([se]);
    expect(p.cluster.applyCalls).toBe(calls);
    expect((await p.state.recentRuns(1))[0]).toMatchObject({ outcome: 'partial', message: expect.stringContaining(se) });
  });
});
