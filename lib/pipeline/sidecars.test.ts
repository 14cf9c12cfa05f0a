import { describe, it, expect } from '@jest/globals';
import { silentLogger } from '../log.ts';
import { keyOfObject, keyOfRef, type IstioObject } from '../model/istio.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import { DEFAULT_RENDER_OPTIONS } from '../render/options.ts';
import { RegistryReadError, type DependencyReading, type LiveObject } from './contracts.ts';
import { PipelineMetrics } from './metrics.ts';
import { syncSidecars, type SidecarDeps } from './sidecars.ts';

const render = { ...DEFAULT_RENDER_OPTIONS, excludeServices: ['sc2mesh-watcher'] };
const settings = { enabled: true, namespaceByApp: { shop: 'shop-mesh' }, selectorLabel: 'app', alwaysHosts: ['istio-system/*'] };
const svc = (serviceName: string) => ({ environment: '', appId: 'shop', serviceName });

/** A cluster that holds what it is given, listing it back as the writer would. */
function fakeCluster() {
  const held = new Map<string, IstioObject>();
  const calls = { applies: [] as string[], deletes: [] as string[] };
  const cluster: SidecarDeps['cluster'] = {
    async listOwned() {
      return [...held.values()].map((o): LiveObject => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, labels: o.metadata.labels, annotations: o.metadata.annotations }));
    },
    async apply(objects) {
      for (const o of objects) {
        held.set(keyOfObject(o), o);
        calls.applies.push(keyOfObject(o));
      }
      return { applied: objects.map((o) => ({ key: keyOfObject(o) })), conflicts: [], failed: [] };
    },
    async delete(refs: readonly ObjectRef[]) {
      for (const r of refs) {
        held.delete(keyOfRef(r));
        calls.deletes.push(keyOfRef(r));
      }
      return { deleted: refs.map((r) => keyOfRef(r)), absent: [], conflicts: [], failed: [] };
    },
  };
  return { cluster, held, calls };
}

function deps(read: () => Promise<DependencyReading>, cluster: SidecarDeps['cluster']): SidecarDeps {
  return { registry: { readDependencies: read }, cluster, render, sidecars: settings, metrics: new PipelineMetrics(), logger: silentLogger };
}

describe('syncSidecars', () => {
  it('writes what the records call for once, then nothing while they stay, and deletes a consumer\'s Sidecar when its records go', async () => {
    const { cluster, held, calls } = fakeCluster();
    let records = [{ consumer: svc('web'), providers: [svc('orders')] }];
    const d = deps(async () => ({ records, rejected: [] }), cluster);
    const first = await syncSidecars(d, 'c1');
    expect(first).toMatchObject({ outcome: 'ok', desired: 1, unchanged: 0 });
    expect(calls.applies).toHaveLength(1);
    const second = await syncSidecars(d, 'c2');
    expect([second.applied, second.unchanged, calls.applies.length]).toEqual([[], 1, 1]);
    records = [];
    const third = await syncSidecars(d, 'c3');
    expect(third.deleted).toEqual(first.applied);
    expect(held.size).toBe(0);
  });

  it('writes and deletes nothing when the records cannot be read', async () => {
    const { cluster, calls } = fakeCluster();
    await syncSidecars(deps(async () => ({ records: [{ consumer: svc('web'), providers: [svc('orders')] }], rejected: [] }), cluster), 'c1');
    const d = deps(async () => {
      throw new RegistryReadError('registry down');
    }, cluster);
    const report = await syncSidecars(d, 'c2');
    expect(report).toMatchObject({ outcome: 'registry-unavailable', message: 'registry down' });
    expect([calls.applies.length, calls.deletes.length]).toEqual([1, 0]);
    expect(d.metrics.counters.get('registry_unavailable')).toBe(1);
  });

  it('repair rewrites every desired Sidecar whole, unchanged hash or not', async () => {
    const { cluster, calls } = fakeCluster();
    const d = deps(async () => ({ records: [{ consumer: svc('web'), providers: [svc('orders')] }], rejected: [] }), cluster);
    await syncSidecars(d, 'c1');
    const repaired = await syncSidecars(d, 'c2', { repair: true });
    expect(repaired.applied).toHaveLength(1);
    expect(calls.applies).toHaveLength(2);
  });
});
