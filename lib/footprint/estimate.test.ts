import { describe, it, expect } from '@jest/globals';
import { estimateFootprint, EVERY_OTHER_NAMESPACE, type NamespaceFootprint } from './estimate.ts';
import { ENVOY_CLUSTER_BYTES, ENVOY_ENDPOINT_BYTES, ISTIO_CLUSTER_BYTES, MEMORY_FIGURES } from './figures.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { resolveRenderOptions, type RenderOptionsInput } from '../render/options.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';

function objects(details: readonly ServiceDetail[], input: RenderOptionsInput = {}) {
  return renderRegistry(details, resolveRenderOptions(input)).objects;
}

/** A service of `app` with two ports, and the instances per version given. */
function svc(appId: string, serviceName: string, perVersion: number[]): ServiceDetail[] {
  return perVersion.map((n, v) =>
    detail(
      service({ appId, serviceName, version: `${v + 1}.0.0` }),
      Array.from({ length: n }, () => instance({ endpoints: undefined })).map((i, k) => ({ ...i, endpoints: [`rest://10.${v}.${k}.${appId.length}:8080`, `highway://10.${v}.${k}.${appId.length}:7070`] })),
    ),
  );
}

const row = (rows: readonly NamespaceFootprint[], namespace: string) => rows.find((r) => r.namespace === namespace);

describe('estimateFootprint', () => {
  it('counts ports × (1 + subsets) clusters and every endpoint once per port cluster and once in its subset', () => {
    const report = estimateFootprint(objects(svc('shop', 'orders', [2, 1]), { destinationRules: true }));
    // 2 ports × (1 + 2 subsets) clusters; 2 ports × (3 endpoints + 2 in v1 + 1 in v2)
    expect(report.everythingVisible).toEqual({
      serviceEntries: 1,
      clusters: 6,
      endpoints: 12,
      envoyBytes: 6 * ENVOY_CLUSTER_BYTES.bytes + 12 * ENVOY_ENDPOINT_BYTES.bytes,
      istioBytes: 6 * ISTIO_CLUSTER_BYTES.bytes,
    });
    expect(report.scoped).toEqual([{ namespace: EVERY_OTHER_NAMESPACE, ...report.everythingVisible }]);
    expect(report.hidden).toBe(0);
  });

  it('counts no subset clusters for a service without a DestinationRule', () => {
    const report = estimateFootprint(objects(svc('shop', 'orders', [2, 1])));
    expect(report.everythingVisible).toMatchObject({ clusters: 2, endpoints: 6 });
  });

  it('counts the same in inline mode as with WorkloadEntries', () => {
    const details = [...svc('shop', 'orders', [2, 1]), ...svc('bank', 'ledger', [3])];
    const a = estimateFootprint(objects(details, { destinationRules: true, subsets: 'always' }));
    const b = estimateFootprint(objects(details, { destinationRules: true, subsets: 'always', mode: 'inline' }));
    expect(b).toEqual(a);
  });

  it('shows what emitting subsets only for several versions saves', () => {
    const details = [...svc('shop', 'orders', [2, 1]), ...svc('bank', 'ledger', [3])];
    const multi = estimateFootprint(objects(details, { destinationRules: true })).everythingVisible;
    const always = estimateFootprint(objects(details, { destinationRules: true, subsets: 'always' })).everythingVisible;
    // ledger: 2 ports × 1 cluster, or × 2 with its single subset
    expect(always.clusters - multi.clusters).toBe(2);
    expect(always.endpoints - multi.endpoints).toBe(2 * 3);
  });

  it('gives one row per namespace that an exportTo names, "." as the objects\' namespace, "*" for every other', () => {
    const details = [...svc('shop', 'orders', [1]), ...svc('bank', 'ledger', [1]), ...svc('vault', 'keys', [1, 1]), ...svc('crm', 'leads', [1])];
    const report = estimateFootprint(
      objects(details, { namespace: 'mesh', destinationRules: true, exportToByApp: { shop: ['shop-web', 'istio-system'], bank: ['.'], vault: ['~'] } }),
    );
    expect(report.scoped.map((r) => r.namespace)).toEqual(['istio-system', 'mesh', 'shop-web', EVERY_OTHER_NAMESPACE]);
    // crm is exported everywhere; shop to its two namespaces; bank to mesh; vault to no one
    expect(row(report.scoped, 'shop-web')).toMatchObject({ serviceEntries: 2, clusters: 4, endpoints: 4 });
    expect(row(report.scoped, 'istio-system')).toMatchObject({ serviceEntries: 2, clusters: 4 });
    // vault's DestinationRule is exported to mesh ("~" is not allowed on it), but its host is not: no subset clusters there
    expect(row(report.scoped, 'mesh')).toMatchObject({ serviceEntries: 2, clusters: 4, endpoints: 4 });
    expect(row(report.scoped, EVERY_OTHER_NAMESPACE)).toMatchObject({ serviceEntries: 1, clusters: 2, endpoints: 2 });
    expect(report.hidden).toBe(1);
    // everything visible: four services, vault with its two subsets
    expect(report.everythingVisible).toMatchObject({ serviceEntries: 4, clusters: 2 + 2 + 2 * 3 + 2, endpoints: 2 + 2 + 2 * 4 + 2 });
  });

  it('treats an empty exportTo as every namespace, and "*" beside nothing else the same', () => {
    const details = [...svc('shop', 'orders', [1]), ...svc('bank', 'ledger', [1])];
    const report = estimateFootprint(objects(details, { exportTo: ['*'], exportToByApp: { bank: ['*'] } }));
    expect(report.scoped).toEqual([{ namespace: EVERY_OTHER_NAMESPACE, ...report.everythingVisible }]);
  });

  it('costs nothing for an empty render', () => {
    expect(estimateFootprint([])).toEqual({
      scoped: [{ namespace: EVERY_OTHER_NAMESPACE, serviceEntries: 0, clusters: 0, endpoints: 0, envoyBytes: 0, istioBytes: 0 }],
      everythingVisible: { serviceEntries: 0, clusters: 0, endpoints: 0, envoyBytes: 0, istioBytes: 0 },
      hidden: 0,
    });
  });
});

describe('the figures', () => {
  it('each name where it was published, at which commit', () => {
    expect(MEMORY_FIGURES.map((f) => [f.id, f.bytes])).toEqual([
      ['envoyClusterBytes', 42_000],
      ['envoyEndpointBytes', 3_000],
      ['istioClusterBytes', 87_000],
    ]);
    for (const f of MEMORY_FIGURES) expect(f.source).toMatch(/^[\w-]+\/[\w-]+ .*@[0-9a-f]{8}/);
  });
});
