// The manifests folder as the pipeline's cluster, for objects outside the target
// namespace: a rate-limit EnvoyFilter in istio-system is written under its own namespace's
// folder, listed (by service, with its namespace) and pruned, through the push as through
// the target itself; someone else's file there is never written over or deleted; and, as
// in the writer, Sidecars (per consumer) are listed only when asked for.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { group, rule, type RawRule } from '../../test/support/governance-rules.ts';
import { MemoryCluster, memoryPipeline } from '../../test/support/memory-cluster.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import type { GovernanceKind } from '../governance/kinds.ts';
import { apiVersionOf, ENVOY_FILTER_API_VERSION, type EnvoyFilter, type IstioObject, type Sidecar } from '../model/istio.ts';
import { CONSUMER_LABEL, CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_LABEL, SHARD_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { pushServices } from '../pipeline/push.ts';
import { createFolderCluster } from './folder-cluster.ts';

const SOURCE = 'default';
const owned = (more: Record<string, string>): Record<string, string> => ({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: SOURCE, [SHARD_LABEL]: '3', ...more });

function envoyFilter(name: string, labels: Record<string, string>): EnvoyFilter {
  return { apiVersion: ENVOY_FILTER_API_VERSION, kind: 'EnvoyFilter', metadata: { name, namespace: 'istio-system', labels, annotations: { [CONTENT_HASH_ANNOTATION]: 'h-ef' } }, spec: { configPatches: [] } };
}

function sidecar(name: string, namespace: string): Sidecar {
  return {
    apiVersion: apiVersionOf('Sidecar'),
    kind: 'Sidecar',
    metadata: { name, namespace, labels: owned({ [CONSUMER_LABEL]: name }), annotations: { [CONTENT_HASH_ANNOTATION]: 'h-sc' } },
    spec: { workloadSelector: { labels: { app: name } }, egress: [{ hosts: ['istio-system/*'] }] },
  };
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sc2mesh-folder-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the manifests folder, outside the target namespace', () => {
  it('writes, lists and prunes an object of another namespace under that namespace', async () => {
    const cluster = createFolderCluster(root, SOURCE);
    const ef = envoyFilter('orders-shop', owned({ [SERVICE_LABEL]: 'orders-shop' }));
    expect((await cluster.apply([ef])).applied).toEqual([{ key: 'EnvoyFilter/istio-system/orders-shop' }]);
    const file = join(root, 'istio-system', 'envoyfilters', 'orders-shop.yaml');
    expect((parse(await readFile(file, 'utf8')) as IstioObject).metadata.namespace).toBe('istio-system');

    const listed = await cluster.listOwned({ services: ['orders-shop'] });
    expect(listed.map((o) => [o.kind, o.namespace, o.name])).toEqual([['EnvoyFilter', 'istio-system', 'orders-shop']]);
    expect(await cluster.listOwned({ shards: [3] })).toHaveLength(1);
    expect(await cluster.listOwned({ shards: [4] })).toHaveLength(0);

    expect((await cluster.delete([{ kind: 'EnvoyFilter', namespace: 'istio-system', name: 'orders-shop' }])).deleted).toEqual(['EnvoyFilter/istio-system/orders-shop']);
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await cluster.listOwned()).toEqual([]);
  });

  it('names a listed object\'s namespace by its folder when its metadata has none', async () => {
    const cluster = createFolderCluster(root, SOURCE);
    const { namespace: _dropped, ...metadata } = envoyFilter('orders-shop', owned({ [SERVICE_LABEL]: 'orders-shop' })).metadata;
    await mkdir(join(root, 'istio-system', 'envoyfilters'), { recursive: true });
    await writeFile(join(root, 'istio-system', 'envoyfilters', 'orders-shop.yaml'), JSON.stringify({ apiVersion: ENVOY_FILTER_API_VERSION, kind: 'EnvoyFilter', metadata, spec: {} }));
    expect((await cluster.listOwned()).map((o) => o.namespace)).toEqual(['istio-system']);
  });

  it('never writes over nor deletes someone else\'s file there', async () => {
    const cluster = createFolderCluster(root, SOURCE);
    const theirs = envoyFilter('orders-shop', { team: 'edge' });
    await mkdir(join(root, 'istio-system', 'envoyfilters'), { recursive: true });
    const file = join(root, 'istio-system', 'envoyfilters', 'orders-shop.yaml');
    await writeFile(file, JSON.stringify(theirs));
    const mine = envoyFilter('orders-shop', owned({ [SERVICE_LABEL]: 'orders-shop' }));
    expect((await cluster.apply([mine])).conflicts.map((c) => c.key)).toEqual(['EnvoyFilter/istio-system/orders-shop']);
    expect((await cluster.delete([{ kind: 'EnvoyFilter', namespace: 'istio-system', name: 'orders-shop' }])).conflicts).toHaveLength(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(theirs);
    expect(await cluster.listOwned()).toEqual([]);
  });

  // The tests' in-memory cluster stands in for the same writer, so it is held to the same rule.
  it.each([
    ['the folder', () => createFolderCluster(root, SOURCE)],
    ['the memory cluster', () => new MemoryCluster(SOURCE)],
  ])('leaves Sidecars out of a listing unless it names them, as the writer does: %s', async (_, make) => {
    const cluster = make();
    const ef = envoyFilter('orders-shop', owned({ [SERVICE_LABEL]: 'orders-shop' }));
    await cluster.apply([ef, sidecar('cart', 'shop')]);
    expect((await cluster.listOwned()).map((o) => o.kind)).toEqual(['EnvoyFilter']);
    expect((await cluster.listOwned({ kinds: ['Sidecar'] })).map((o) => [o.kind, o.namespace, o.name])).toEqual([['Sidecar', 'shop', 'cart']]);
  });

  it('is where a push writes the rate-limit EnvoyFilter, and prunes it with its rule', async () => {
    const p = memoryPipeline({ render: { namespace: 'mesh' } });
    const cluster = createFolderCluster(root, p.render.source);
    const deps = { ...p, cluster, governance: { enabled: true, rateLimiting: true, rateLimitNamespace: 'istio-system' } };
    p.registry.details = [detail(service({ serviceName: 'orders', environment: 'production' }), [instance({ endpoints: ['rest://10.0.0.1:8080'] })])];
    const key = serviceKeyOf({ environment: 'production', appId: 'shop', serviceName: 'orders' });
    const setRules = (raws: RawRule[]): void => {
      const lists: Partial<Record<GovernanceKind, RawRule[]>> = {};
      for (const raw of raws) (lists[raw.kind] ??= []).push(raw);
      p.registry.governance = { lists, unavailable: [] };
    };
    setRules([group('api', [{ apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'api', { rate: 10 })]);
    expect((await pushServices([key], deps, 'push')).failedKeys).toEqual([]);
    const filters = (await cluster.listOwned()).filter((o) => o.kind === 'EnvoyFilter');
    expect(filters.map((o) => o.namespace)).toEqual(['istio-system']);
    expect((await cluster.listOwned()).filter((o) => o.kind !== 'EnvoyFilter').every((o) => o.namespace === 'mesh')).toBe(true);

    setRules([]);
    const pruned = await pushServices([key], deps, 'push');
    expect(pruned.results[0]).toMatchObject({ outcome: 'pushed', deleted: 2 });
    expect((await cluster.listOwned()).map((o) => o.kind).sort()).toEqual(['ServiceEntry', 'WorkloadEntry']);
  });
});
