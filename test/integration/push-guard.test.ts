// The push against the validating API server: a guard that protects without stalling
// (creations and replacements go through, net losses are withheld), a name taken by a
// foreign object publishes nothing of the service and goes quiet, and a push restores
// what was deleted by hand in its service.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createKubeClusterWriter } from '../../lib/kube/index.ts';
import { pushServices } from '../../lib/pipeline/push.ts';
import { syncOnce } from '../../lib/pipeline/sync.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { startHarness, type Harness } from '../support/pipeline-harness.ts';
import { startKubeApiServer, type JsonObject, type KubeApiServer } from '../support/kube-api-server/index.ts';
import type { ServiceDetail } from '../../lib/model/registry.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { partsOf } from '../../lib/render/service-group.ts';

const keyOf = (d: ServiceDetail): string => serviceKeyOf(partsOf(d.microService));

const NS = 'mesh';
let server: KubeApiServer;
let h: Harness;

beforeEach(async () => {
  server = await startKubeApiServer({ namespace: NS });
  const cluster = createKubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: NS, source: 'default', rateLimit: false, retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 });
  h = await startHarness({ cluster, render: { namespace: NS } });
});
afterEach(async () => {
  await h.close();
  await server.close();
});

function registry(services: number, instances: number, generation = 'a', extra: (s: number) => number = () => 0): ServiceDetail[] {
  return Array.from({ length: services }, (_, s) =>
    detail(
      service({ serviceName: `svc${s}`, serviceId: `id-${s}` }),
      Array.from({ length: instances + extra(s) }, (_, i) => instance({ instanceId: `${generation}-${s}-${i}`, endpoints: [`rest://10.${generation === 'a' ? 0 : 1}.${s}.${i + 1}:8080`] })),
    ),
  );
}

async function converge(): Promise<void> {
  const sync = await syncOnce(h, 'sync');
  expect(sync.outcome).toBe('ok');
  const push = await pushServices(h.queue.keys(), h, 'push');
  h.queue.clear();
  expect(push.failedKeys).toEqual([]);
}

const workloadEntries = (): JsonObject[] => server.store.list('WorkloadEntry', NS);

describe('deletion guard: refuses deletions, never additions', () => {
  it('lets a registry restart that re-registered every instance under new ids through at once', async () => {
    h.registry.details = registry(12, 3, 'a');
    await converge();
    expect(workloadEntries()).toHaveLength(36);
    h.registry.details = registry(12, 3, 'b');
    const report = await pushServices(h.registry.details.map(keyOf), h, 'replaced');
    expect(report.refusedDeletes).toBe(0);
    expect(report.deleted).toBe(36);
    const addresses = workloadEntries().map((o) => (o['spec'] as { address: string }).address);
    expect(addresses).toHaveLength(36);
    expect(addresses.every((a) => a.startsWith('10.1.'))).toBe(true);
  });

  it('withholds net losses but still publishes a new instance in the same batch', async () => {
    h.registry.details = registry(12, 4, 'a');
    await converge();
    // 11 services lose 3 of their 4 instances (33 of 60 owned objects: 55 %), one gains one.
    h.registry.details = registry(12, 4, 'a').map((d, s) => (s === 0 ? d : { ...d, instances: d.instances?.slice(0, 1) }));
    h.registry.details[0]?.instances?.push(instance({ instanceId: 'a-0-new', endpoints: ['rest://10.0.0.99:8080'] }));
    const report = await pushServices(h.registry.details.map(keyOf), h, 'losses');
    expect(report.refusedDeletes).toBe(33);
    expect(report.deleted).toBe(0);
    expect(workloadEntries().map((o) => (o['spec'] as { address: string }).address)).toContain('10.0.0.99');
    expect(report.results.find((r) => r.serviceKey === keyOf(h.registry.details[0] as ServiceDetail))?.outcome).toBe('pushed');
    expect(report.results.filter((r) => r.outcome === 'refused')).toHaveLength(11);
    // The withheld deletions stay owned and in state, so the next sync tries them again.
    const sync = await syncOnce(h, 'again');
    expect(sync.dirty).toHaveLength(11);
    // With force (the operator's say-so) they go.
    const forced = await pushServices(sync.dirty, { ...h, guard: { ...h.guard, force: true } }, 'forced');
    expect(forced.deleted).toBe(33);
    expect(workloadEntries()).toHaveLength(11 + 5);
  });
});

describe('a name taken by a foreign object', () => {
  it('publishes nothing of the service, says conflict, and goes quiet', async () => {
    h.registry.details = registry(2, 2, 'a');
    await converge();
    h.registry.details.push(detail(service({ serviceName: 'taken', serviceId: 'id-taken' }), [instance({ instanceId: 't-1', endpoints: ['rest://10.0.9.1:8080'] })]));
    const sync = await syncOnce(h, 's');
    const key = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'taken' });
    expect(sync.dirty).toEqual([key]);
    // Someone else owns a ServiceEntry of the very name sc2mesh would give it.
    const desired = sync.desired?.services.get(key)?.objects.find((o) => o.kind === 'ServiceEntry');
    const name = desired?.metadata.name as string;
    server.store.put({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: NS, labels: { team: 'payments' } }, spec: { hosts: ['theirs.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } }, { manager: 'helm' });
    const before = workloadEntries().length;
    const first = await pushServices([key], h, 'p1');
    expect(first.results[0]).toMatchObject({ outcome: 'conflict', applied: 0 });
    expect(first.results[0]?.reason).toContain(name);
    expect(workloadEntries()).toHaveLength(before);
    // A quiet minute stays free: the sync finds nothing to do.
    expect((await syncOnce(h, 's2')).dirty).toEqual([]);
    // Once the foreign object is gone, the next push of the service publishes it whole.
    server.store.delete('ServiceEntry', NS, name);
    const second = await pushServices([key], h, 'p2');
    expect(second.results[0]?.outcome).toBe('pushed');
    expect(workloadEntries()).toHaveLength(before + 1);
  });
});

describe('a push looks at what the cluster holds for its services', () => {
  it('restores a ServiceEntry deleted by hand when its service is pushed for another change', async () => {
    h.registry.details = registry(3, 2, 'a');
    await converge();
    const se = server.store.list('ServiceEntry', NS)[0] as JsonObject;
    const name = (se['metadata'] as { name: string }).name;
    const owner = h.registry.details.find((d) => name.startsWith(d.microService.serviceName)) as ServiceDetail;
    server.store.delete('ServiceEntry', NS, name);
    owner.instances?.push(instance({ instanceId: 'a-new', endpoints: ['rest://10.0.8.8:8080'] }));
    const report = await pushServices([keyOf(owner)], h, 'p');
    expect(report.failedKeys).toEqual([]);
    expect(server.store.list('ServiceEntry', NS).map((o) => (o['metadata'] as { name: string }).name)).toContain(name);
  });
});
