// deploy/rbac-scoping.yaml grants exactly what the writer uses for Sidecars (in consumer
// namespaces) and EnvoyFilters (in istio-system), only through RoleBindings in those
// namespaces, to deploy/rbac.yaml's subjects: every request of a full cycle maps to a
// granted verb there, and every granted verb is used.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { KubeClusterWriter } from '../../lib/kube/writer.ts';
import type { EnvoyFilter, IstioObject, Sidecar } from '../../lib/model/istio.ts';
import { apiVersionOf } from '../../lib/model/istio.ts';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { renderSidecar } from '../../lib/render/sidecar.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { ownershipLabels, withContentHash } from '../support/kube-api-server/istio-fixtures.ts';
import { syncDesired } from '../support/sync-desired.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const read = (file: string): Doc[] => parseAllDocuments(readFileSync(new URL(`../../deploy/${file}`, import.meta.url), 'utf8')).map((d) => d.toJS() as Doc);
const scoping = read('rbac-scoping.yaml');
const base = read('rbac.yaml');

const TARGET = 'sc2mesh';
const bindings = scoping.filter((d) => d.kind === 'RoleBinding');
const consumerNamespaces = bindings.filter((b) => b.roleRef?.name === 'sc2mesh-sidecars').map((b) => b.metadata.namespace as string);

let server: KubeApiServer;
beforeAll(async () => {
  server = await startKubeApiServer({ namespace: TARGET });
});
afterAll(async () => {
  await server.close();
});

function sidecar(serviceName: string, namespace: string, hosts: string[]): Sidecar {
  const result = renderSidecar(
    { consumer: { environment: 'production', appId: 'shop', serviceName }, namespace, workloadLabels: { app: serviceName }, providerHosts: hosts, alwaysHosts: ['istio-system/*'] },
    resolveRenderOptions({ namespace: TARGET, source: 'registry-a' }),
  );
  if (!result.ok) throw new Error(result.reason);
  return result.sidecar;
}

function envoyFilter(name: string, rate: number): EnvoyFilter {
  return withContentHash({
    apiVersion: apiVersionOf('EnvoyFilter'),
    kind: 'EnvoyFilter',
    metadata: { name, namespace: 'istio-system', labels: ownershipLabels('registry-a', { 'sc2mesh.io/service': name }), annotations: {} },
    spec: {
      configPatches: [
        {
          applyTo: 'HTTP_ROUTE',
          match: { context: 'SIDECAR_OUTBOUND', routeConfiguration: { vhost: { name: `${name}.example:8080`, route: { name: 'api' } } } },
          patch: { operation: 'MERGE', value: { typed_per_filter_config: { [`sc2mesh.local_ratelimit.${name}`]: { token_bucket: { max_tokens: rate } } } } },
        },
      ],
    },
  });
}

/** The RBAC verbs a request is authorised as, by resource and namespace. */
function authorisedAs(method: string, path: string, status: number): { at: string; verbs: string[] } {
  const parts = path.split('/').filter((p) => p !== '');
  const at = `${parts[4] as string}/${parts[5] as string}`;
  const named = parts.length === 7;
  if (method === 'GET') return { at, verbs: [named ? 'get' : 'list'] };
  if (method === 'PATCH') return { at, verbs: status === 201 ? ['patch', 'create'] : ['patch'] };
  if (method === 'POST') return { at, verbs: ['create'] };
  if (method === 'PUT') return { at, verbs: ['update'] };
  if (method === 'DELETE') return { at, verbs: ['delete'] };
  throw new Error(`unexpected ${method} ${path}`);
}

describe('deploy/rbac-scoping.yaml', () => {
  it('is two one-resource ClusterRoles granted only by RoleBindings in the namespaces they serve', () => {
    expect(scoping.map((d) => d.kind).sort()).toEqual(['ClusterRole', 'ClusterRole', 'RoleBinding', 'RoleBinding', 'RoleBinding']);
    const roles = new Map(scoping.filter((d) => d.kind === 'ClusterRole').map((r) => [r.metadata.name, r.rules ?? []]));
    expect([...roles.keys()].sort()).toEqual(['sc2mesh-envoyfilters', 'sc2mesh-sidecars']);
    expect(roles.get('sc2mesh-sidecars')?.flatMap((r) => r.resources)).toEqual(['sidecars']);
    expect(roles.get('sc2mesh-envoyfilters')?.flatMap((r) => r.resources)).toEqual(['envoyfilters']);
    for (const rules of roles.values()) for (const r of rules) expect(r.apiGroups).toEqual(['networking.istio.io']);
    for (const b of bindings) {
      expect(b.metadata.namespace).toEqual(expect.any(String));
      expect(b.roleRef).toMatchObject({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole' });
      expect(roles.has(b.roleRef?.name ?? '')).toBe(true);
    }
    expect(consumerNamespaces.length).toBeGreaterThanOrEqual(1);
    expect(consumerNamespaces).not.toContain('istio-system');
    expect(bindings.filter((b) => b.roleRef?.name === 'sc2mesh-envoyfilters').map((b) => b.metadata.namespace)).toEqual(['istio-system']);
  });

  it("binds deploy/rbac.yaml's subjects, and neither file grants what the other does", () => {
    const baseBinding = base.find((d) => d.kind === 'RoleBinding');
    for (const b of bindings) expect(b.subjects).toEqual(baseBinding?.subjects);
    const resourcesOf = (docs: Doc[]) => docs.flatMap((d) => d.rules ?? []).flatMap((r) => r.resources);
    expect(resourcesOf(base).filter((r) => resourcesOf(scoping).includes(r))).toEqual([]);
  });

  it('grants exactly the verbs a full writer cycle uses, in exactly those namespaces', async () => {
    const scope = { Sidecar: consumerNamespaces, EnvoyFilter: ['istio-system'] };
    const newWriter = () => new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: TARGET, source: 'registry-a', kinds: ['ServiceEntry', 'WorkloadEntry', 'Sidecar', 'EnvoyFilter'], namespacesByKind: scope, rateLimit: false });
    const writer = newWriter();
    // In every namespace: one object that stays and changes, one that is pruned.
    const keep = (host: string, rate: number): IstioObject[] => [...consumerNamespaces.map((ns) => sidecar('cart', ns, [`sc2mesh/${host}`])), envoyFilter('orders', rate)];
    const gone: IstioObject[] = [...consumerNamespaces.map((ns) => sidecar('gone', ns, ['sc2mesh/a.example'])), envoyFilter('payments', 10)];
    // Sidecars are listed on purpose (listOwned leaves them out by default).
    const listAll = () => writer.listOwned({ kinds: ['Sidecar', 'EnvoyFilter'] });

    await writer.apply([...keep('a.example', 10), ...gone], { owned: await listAll() });
    // The clash check reads every Sidecar of a consumer namespace.
    for (const ns of consumerNamespaces) await writer.listObjects('Sidecar', ns);
    await writer.apply(keep('b.example', 20), { owned: await listAll() });
    await writer.apply(keep('c.example', 30), { owned: await listAll(), dryRun: 'server' });
    await writer.apply(keep('b.example', 20), { replace: true, owned: await listAll() });
    // Names a fresh writer knows nothing about: a GET first.
    await newWriter().apply(keep('d.example', 40));
    const owned = await listAll();
    await writer.delete(
      gone.map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })),
      { owned },
    );
    // A sync of the target namespace alone touches neither kind.
    await syncDesired(writer, []);
    expect(server.store.list('Sidecar').length).toBe(consumerNamespaces.length);

    const used = new Map<string, Set<string>>();
    for (const e of server.requestLog.entries) {
      const { at, verbs } = authorisedAs(e.method, e.path, e.status);
      for (const v of verbs) used.set(at, (used.get(at) ?? new Set()).add(v));
    }
    const granted = new Map<string, Set<string>>();
    for (const b of bindings) {
      const rules = scoping.find((d) => d.kind === 'ClusterRole' && d.metadata.name === b.roleRef?.name)?.rules ?? [];
      for (const r of rules) for (const resource of r.resources) granted.set(`${b.metadata.namespace as string}/${resource}`, new Set(r.verbs));
    }
    const scoped = [...used.keys()].filter((at) => at.endsWith('/sidecars') || at.endsWith('/envoyfilters')).sort();
    expect(scoped).toEqual([...granted.keys()].sort());
    for (const at of scoped) expect({ at, verbs: [...(used.get(at) ?? [])].sort() }).toEqual({ at, verbs: [...(granted.get(at) ?? [])].sort() });
  });
});
