// A VirtualService or DestinationRule of sc2mesh's is never written for a host that
// someone else's object of that kind already routes, whatever its name: Istio would merge
// or drop one of the two. Against the test API server through the real client.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { KubeClusterWriter } from '../../lib/kube/writer.ts';
import { ISTIO_API_VERSION, type IstioObject } from '../../lib/model/istio.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_LABEL, SOURCE_LABEL } from '../../lib/model/ownership.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';

const NS = 'sc2mesh';
const SOURCE = 'registry-a';
const HOST = 'orders.shop.production.servicecomb.internal';
let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer({ namespace: NS });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  for (const kind of ['VirtualService', 'DestinationRule'] as const) for (const o of server.store.list(kind, NS)) server.store.delete(kind, NS, (o as { metadata: { name: string } }).metadata.name);
  server.requestLog.clear();
});

function writer(ttlMs = 10_000): KubeClusterWriter {
  return new KubeClusterWriter({
    kubeConfig: server.kubeConfig,
    namespace: NS,
    source: SOURCE,
    kinds: ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'],
    rateLimit: false,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    hostClaims: { ttlMs },
  });
}

const ours = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: SOURCE, [SERVICE_LABEL]: 'orders-shop-production-1a2b3c4d' };

function virtualService(name: string, labels: Record<string, string>, host = HOST): IstioObject {
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: { name, namespace: NS, labels, annotations: {} },
    spec: { hosts: [host], http: [{ name: 'default', route: [{ destination: { host } }], retries: { attempts: 3 } }] },
  } as IstioObject;
}

function destinationRule(name: string, labels: Record<string, string>, host = HOST): IstioObject {
  return { apiVersion: ISTIO_API_VERSION, kind: 'DestinationRule', metadata: { name, namespace: NS, labels, annotations: {} }, spec: { host, subsets: [] } } as IstioObject;
}

describe('host claims of foreign routing objects', () => {
  it('leave a VirtualService and a DestinationRule for a claimed host unwritten, reported as host conflicts, the foreign ones untouched', async () => {
    server.store.put(virtualService('team-orders', { team: 'shop' }, 'Orders.Shop.Production.servicecomb.internal') as never);
    // another sc2mesh deployment's object is as foreign as a team's
    server.store.put(destinationRule('other-sync', { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: 'registry-b' }) as never);
    const before = JSON.stringify([server.store.get('VirtualService', NS, 'team-orders'), server.store.get('DestinationRule', NS, 'other-sync')]);

    const report = await writer().apply([virtualService('orders-shop-production-1a2b3c4d', ours), destinationRule('orders-shop-production-1a2b3c4d', ours)]);
    expect(report.applied).toEqual([]);
    expect(report.conflicts.map((c) => [c.key, c.type])).toEqual(
      expect.arrayContaining([
        ['VirtualService/sc2mesh/orders-shop-production-1a2b3c4d', 'host'],
        ['DestinationRule/sc2mesh/orders-shop-production-1a2b3c4d', 'host'],
      ]),
    );
    expect(report.conflicts.find((c) => c.key.startsWith('VirtualService'))?.reason).toContain(`already routed by VirtualService ${NS}/team-orders`);
    expect(server.store.get('VirtualService', NS, 'orders-shop-production-1a2b3c4d')).toBeUndefined();
    expect(JSON.stringify([server.store.get('VirtualService', NS, 'team-orders'), server.store.get('DestinationRule', NS, 'other-sync')])).toBe(before);
    expect(server.requestLog.mutating()).toEqual([]);
  });

  it('write them for an unclaimed host, and ignore wildcard hosts and their own earlier objects', async () => {
    server.store.put(virtualService('catch-all', { team: 'platform' }, '*.servicecomb.internal') as never);
    const w = writer();
    expect((await w.apply([virtualService('orders-shop-production-1a2b3c4d', ours)])).applied).toHaveLength(1);
    // The object just written is ours: applying again is not a clash with itself.
    const again = await w.apply([virtualService('orders-shop-production-1a2b3c4d', ours)]);
    expect(again.conflicts).toEqual([]);
  });

  it('list the foreign objects once per ttl, one selector list per kind that excludes sc2mesh\'s own', async () => {
    const w = writer(60_000);
    await w.apply([virtualService('a-shop-1', ours, 'a.shop.servicecomb.internal'), destinationRule('a-shop-1', ours, 'a.shop.servicecomb.internal')]);
    await w.apply([virtualService('b-shop-1', ours, 'b.shop.servicecomb.internal')]);
    const lists = server.requestLog.entries.filter((e) => e.method === 'GET' && /\/(virtualservices|destinationrules)$/.test(e.path));
    expect(lists).toHaveLength(2);
    for (const l of lists) expect(l.query['labelSelector']).toBe(`${SOURCE_LABEL}!=${SOURCE}`);

    // Past the ttl a new claim is seen.
    server.store.put(virtualService('late', { team: 'shop' }, 'c.shop.servicecomb.internal') as never);
    const fresh = writer(0);
    const report = await fresh.apply([virtualService('c-shop-1', ours, 'c.shop.servicecomb.internal')]);
    expect(report.conflicts.map((c) => c.type)).toEqual(['host']);
  });

  it('can be turned off', async () => {
    server.store.put(virtualService('team-orders', { team: 'shop' }) as never);
    const w = new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: NS, source: SOURCE, kinds: ['VirtualService'], rateLimit: false, hostClaims: false });
    expect((await w.apply([virtualService('orders-shop-production-1a2b3c4d', ours)])).applied).toHaveLength(1);
  });
});
