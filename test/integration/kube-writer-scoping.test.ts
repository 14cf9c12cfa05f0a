// The kube writer outside its one namespace, against the test API server through the real
// client: Sidecars in their consumers' namespaces (per consumer, so never listed as a
// service's object), the rate-limit EnvoyFilter (v1alpha3) in the mesh root namespace,
// refusals anywhere else, and full reads of foreign objects.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeClusterWriter, type KubeWriterOptions } from '../../lib/kube/writer.ts';
import { governanceOptionsOf, governRegistry } from '../../lib/governance/index.ts';
import type { EnvoyFilter, IstioObject, Sidecar } from '../../lib/model/istio.ts';
import { CONSUMER_LABEL, SERVICE_LABEL } from '../../lib/model/ownership.ts';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { renderRegistry } from '../../lib/render/render-registry.ts';
import { renderSidecar } from '../../lib/render/sidecar.ts';
import { sidecarClashes } from '../../lib/render/sidecar-clash.ts';
import { group, rule, ruleSet } from '../support/governance-rules.ts';
import { startKubeApiServer, type JsonObject, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { serviceEntry } from '../support/kube-api-server/istio-fixtures.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { syncDesired } from '../support/sync-desired.ts';

const SOURCE = 'registry-a';
const NS = 'sc2mesh';
const SCOPE = { Sidecar: ['shop', 'billing'], EnvoyFilter: ['istio-system'] };
const RENDER = resolveRenderOptions({ namespace: NS, source: SOURCE });
let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer({ namespace: NS });
});
afterAll(async () => {
  await server.close();
});

function writer(extra: Partial<KubeWriterOptions> = {}): KubeClusterWriter {
  return new KubeClusterWriter({
    kubeConfig: server.kubeConfig,
    namespace: NS,
    source: SOURCE,
    kinds: ['ServiceEntry', 'WorkloadEntry', 'Sidecar', 'EnvoyFilter'],
    namespacesByKind: SCOPE,
    rateLimit: false,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  });
}

function sidecar(serviceName: string, namespace: string, providers: string[] = ['sc2mesh/orders.shop.production.servicecomb.internal']): Sidecar {
  const result = renderSidecar(
    { consumer: { environment: 'production', appId: 'shop', serviceName }, namespace, workloadLabels: { app: serviceName }, providerHosts: providers, alwaysHosts: ['istio-system/*'] },
    RENDER,
  );
  if (!result.ok) throw new Error(result.reason);
  return result.sidecar;
}

/** The rate-limit EnvoyFilter as `sc2mesh render --governance` builds it today. */
function rateLimitFilter(): { envoyFilter: EnvoyFilter; serviceObjects: IstioObject[] } {
  const registry = [detail(service({ appId: 'shop', serviceName: 'orders', environment: 'production', version: '1.0.0' }), [instance({ endpoints: ['rest://10.0.0.1:8080'] })])];
  const rules = ruleSet([group('api', [{ apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'api', { rate: 100 })]);
  const governed = governRegistry(renderRegistry(registry, RENDER), { rules, options: governanceOptionsOf(RENDER, { rateLimiting: true }) });
  const [envoyFilter] = governed.envoyFilters;
  if (envoyFilter === undefined) throw new Error('no EnvoyFilter rendered');
  // The filter is one of the service's objects now; kept apart here to be added and taken away.
  return { envoyFilter, serviceObjects: governed.render.objects.filter((o) => o.kind !== 'EnvoyFilter') };
}

const keyOf = (o: IstioObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

describe('Sidecars in the consumers\' namespaces', () => {
  const cart = sidecar('cart', 'shop');
  const invoices = sidecar('invoices', 'billing');

  it('writes, lists and deletes Sidecars in two namespaces other than the target one', async () => {
    const w = writer();
    server.requestLog.clear();
    const report = await w.apply([cart, invoices]);
    expect(report.failed).toEqual([]);
    expect(report.created.sort()).toEqual([keyOf(cart), keyOf(invoices)].sort());
    expect(server.store.get('Sidecar', 'shop', cart.metadata.name)?.['spec']).toEqual(cart.spec);
    expect(server.store.get('Sidecar', 'billing', invoices.metadata.name)?.['spec']).toEqual(invoices.spec);
    expect(server.requestLog.mutating().map((e) => e.objectPath)).toEqual(
      expect.arrayContaining([`/apis/networking.istio.io/v1/namespaces/shop/sidecars/${cart.metadata.name}`, `/apis/networking.istio.io/v1/namespaces/billing/sidecars/${invoices.metadata.name}`]),
    );

    const owned = await w.listOwned({ kinds: ['Sidecar'] });
    expect(owned.map((o) => [o.namespace, o.name, o.labels[CONSUMER_LABEL]])).toEqual([
      ['shop', cart.metadata.name, cart.metadata.name],
      ['billing', invoices.metadata.name, invoices.metadata.name],
    ]);
    expect((await w.listOwned({ kinds: ['Sidecar'], consumers: [cart.metadata.name] })).map((o) => o.name)).toEqual([cart.metadata.name]);

    const deleted = await w.delete([
      { kind: 'Sidecar', namespace: 'shop', name: cart.metadata.name },
      { kind: 'Sidecar', namespace: 'billing', name: invoices.metadata.name },
    ]);
    expect(deleted.deleted.sort()).toEqual([keyOf(cart), keyOf(invoices)].sort());
    expect(server.store.list('Sidecar')).toEqual([]);
  });

  it('leaves Sidecars out of listOwned() by default, so a per-service sync never prunes them', async () => {
    const w = writer();
    await w.apply([cart]);
    server.requestLog.clear();
    const listed = await w.listOwned();
    expect(listed.some((o) => o.kind === 'Sidecar')).toBe(false);
    expect(server.requestLog.entries.some((e) => e.path.endsWith('/sidecars'))).toBe(false);
    // The sync of a service that has nothing to do with the consumer's Sidecar.
    const report = await syncDesired(w, [serviceEntry('orders', { namespace: NS })]);
    expect(report.apply.created).toEqual([`ServiceEntry/${NS}/orders`]);
    expect(report.delete.deleted).toEqual([]);
    expect(server.store.get('Sidecar', 'shop', cart.metadata.name)).toBeDefined();
    server.store.delete('ServiceEntry', NS, 'orders');
  });

  it('refuses a Sidecar outside its namespaces (and anything else outside the target), before any request', async () => {
    const w = writer();
    server.requestLog.clear();
    const inTarget = sidecar('cart', NS);
    const report = await w.apply([inTarget, serviceEntry('astray', { namespace: 'shop' })]);
    expect(report.failed.map((f) => f.error)).toEqual([
      `not applied: Sidecar may not be written to namespace "${NS}" (allowed for Sidecar: "shop", "billing")`,
      `not applied: namespace "shop" is not the target namespace "${NS}"`,
    ]);
    const del = await w.delete([{ kind: 'Sidecar', namespace: 'payments', name: 'x' }]);
    expect(del.failed.map((f) => f.error)).toEqual(['not deleted: Sidecar may not be written to namespace "payments" (allowed for Sidecar: "shop", "billing")']);
    expect(server.requestLog.entries).toEqual([]);
    // A writer not told where Sidecars go keeps them in its one namespace, as before.
    const plain = await writer({ namespacesByKind: {} }).apply([cart]);
    expect(plain.failed.map((f) => f.error)).toEqual([`not applied: namespace "shop" is not the target namespace "${NS}"`]);
  });

  it('never changes or deletes a foreign Sidecar of the same name: a conflict', async () => {
    const mine = sidecar('checkout', 'shop');
    const theirs = { ...mine, metadata: { name: mine.metadata.name, namespace: 'shop', labels: { team: 'shop' }, annotations: {} }, spec: { ...mine.spec, egress: [{ hosts: ['*/*'] }] } };
    server.store.put(theirs as unknown as JsonObject, { manager: 'kubectl' });
    const before = server.store.get('Sidecar', 'shop', mine.metadata.name);
    server.requestLog.clear();
    const report = await writer().apply([mine]);
    expect(report.conflicts.map((c) => [c.key, c.type])).toEqual([[keyOf(mine), 'unowned']]);
    const del = await writer().delete([{ kind: 'Sidecar', namespace: 'shop', name: mine.metadata.name }]);
    expect(del.conflicts.map((c) => c.key)).toEqual([keyOf(mine)]);
    expect(server.store.get('Sidecar', 'shop', mine.metadata.name)).toEqual(before);
    // Only the create the server refused (AlreadyExists) was sent; nothing succeeded.
    expect(server.requestLog.mutating().map((e) => [e.method, e.status])).toEqual([['POST', 409]]);
  });
});

describe('the rate-limit EnvoyFilter in the mesh root namespace', () => {
  const { envoyFilter, serviceObjects } = rateLimitFilter();

  it('is written at v1alpha3 to istio-system, listed by its service label and pruned with the service', async () => {
    expect(envoyFilter.metadata.namespace).toBe('istio-system');
    // Governance also writes the service's VirtualService (the routes the filter's per-route config names).
    const w = writer({ kinds: ['ServiceEntry', 'WorkloadEntry', 'VirtualService', 'EnvoyFilter'] });
    const service = envoyFilter.metadata.labels[SERVICE_LABEL] as string;
    server.requestLog.clear();
    const first = await syncDesired(w, [...serviceObjects, envoyFilter]);
    expect(first.apply.failed).toEqual([]);
    expect(first.apply.created).toContain(keyOf(envoyFilter));
    expect(server.requestLog.mutating().map((e) => e.objectPath)).toContain(`/apis/networking.istio.io/v1alpha3/namespaces/istio-system/envoyfilters/${envoyFilter.metadata.name}`);
    const stored = server.store.get('EnvoyFilter', 'istio-system', envoyFilter.metadata.name);
    expect(stored?.['apiVersion']).toBe('networking.istio.io/v1alpha3');
    expect(stored?.['spec']).toEqual(envoyFilter.spec);

    const listed = await w.listOwned({ services: [service] });
    expect(listed.filter((o) => o.kind === 'EnvoyFilter').map((o) => [o.namespace, o.name])).toEqual([['istio-system', envoyFilter.metadata.name]]);
    expect((await syncDesired(w, [...serviceObjects, envoyFilter])).apply.unchanged).toContain(keyOf(envoyFilter));

    // Rate limiting turned off: the filter is no longer desired and goes.
    const pruned = await syncDesired(w, serviceObjects);
    expect(pruned.delete.deleted).toEqual([keyOf(envoyFilter)]);
    expect(server.store.get('EnvoyFilter', 'istio-system', envoyFilter.metadata.name)).toBeUndefined();
  });
});

describe('listObjects: every object of a kind in a namespace, with its spec', () => {
  it('returns foreign objects too, page by page, and lets a clashing Sidecar be refused', async () => {
    const w = writer({ pageSize: 1 });
    const cart = sidecar('cart', 'billing');
    await w.apply([cart]);
    server.store.put({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'team-cart', namespace: 'billing', labels: { team: 'billing' } }, spec: { workloadSelector: { labels: { app: 'cart' } }, egress: [{ hosts: ['./*'] }] } });
    server.store.put({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'hand-made', namespace: NS }, spec: { hosts: ['orders.shop.production.servicecomb.internal'], http: [{ route: [{ destination: { host: 'orders.shop.production.servicecomb.internal' } }] }] } });
    server.requestLog.clear();

    const sidecars = await w.listObjects('Sidecar', 'billing');
    expect(sidecars.map((o) => o.meta.name).sort()).toEqual([cart.metadata.name, 'team-cart'].sort());
    expect(sidecars.find((o) => o.meta.name === 'team-cart')?.spec).toEqual({ workloadSelector: { labels: { app: 'cart' } }, egress: [{ hosts: ['./*'] }] });
    expect(sidecars.find((o) => o.meta.name === cart.metadata.name)?.spec).toEqual(cart.spec);
    // Full lists (spec included), one item per page here.
    expect(server.requestLog.entries.map((e) => [e.method, e.query['limit'], e.accept?.includes('PartialObjectMetadata') ?? false])).toEqual([
      ['GET', '1', false],
      ['GET', '1', false],
    ]);

    // The governed VirtualService of the test above is there too: owned and foreign alike, for one host.
    const services = await w.listObjects('VirtualService', NS);
    expect(services.map((o) => [o.meta.name, o.meta.labels[SERVICE_LABEL] ?? 'foreign', (o.spec as { hosts: string[] }).hosts])).toEqual([
      ['hand-made', 'foreign', ['orders.shop.production.servicecomb.internal']],
      [expect.stringMatching(/^orders-shop-production-/), expect.stringMatching(/^orders-shop-production-/), ['orders.shop.production.servicecomb.internal']],
    ]);

    const clashes = sidecarClashes([cart], sidecars, SOURCE);
    expect(clashes.map((c) => [c.key, c.with])).toEqual([[keyOf(cart), 'Sidecar/billing/team-cart']]);
  });
});
