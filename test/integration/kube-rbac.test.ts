// deploy/rbac.yaml grants exactly what the writer uses: every request of a full cycle
// (create, update, no-op, prune, ownership checks, dry run) maps to a granted verb, and
// every granted verb is used.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { KubeClusterWriter } from '../../lib/kube/writer.ts';
import { ISTIO_API_VERSION, type DestinationRule, type IstioObject, type VirtualService } from '../../lib/model/istio.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { desiredSet, ownershipLabels, serviceEntry, withContentHash } from '../support/kube-api-server/istio-fixtures.ts';
import { syncDesired } from '../support/sync-desired.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const docs = parseAllDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; roleRef?: { name: string }; subjects?: { kind: string; name: string }[] });

const NS = 'sc2mesh';
let server: KubeApiServer;
beforeAll(async () => {
  server = await startKubeApiServer({ namespace: NS });
});
afterAll(async () => {
  await server.close();
});

function destinationRule(name: string): DestinationRule {
  return withContentHash({
    apiVersion: ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: { name, namespace: NS, labels: ownershipLabels('registry-a'), annotations: {} },
    spec: { host: `${name}.demo.svc.sc2mesh`, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
  });
}

function virtualService(name: string): VirtualService {
  const host = `${name}.demo.svc.sc2mesh`;
  return withContentHash({
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: { name, namespace: NS, labels: ownershipLabels('registry-a'), annotations: {} },
    spec: { hosts: [host], http: [{ name: 'retry', route: [{ destination: { host } }], retries: { attempts: 2 } }] },
  });
}

/** The RBAC verb and resource a request is authorised as. */
function authorisedAs(method: string, path: string, status: number): { resource: string; verbs: string[] } {
  const parts = path.split('/').filter((p) => p !== '');
  const resource = parts[5] as string;
  const named = parts.length === 7;
  if (method === 'GET') return { resource, verbs: [named ? 'get' : 'list'] };
  if (method === 'PATCH') return { resource, verbs: status === 201 ? ['patch', 'create'] : ['patch'] };
  if (method === 'POST') return { resource, verbs: ['create'] };
  if (method === 'PUT') return { resource, verbs: ['update'] };
  if (method === 'DELETE') return { resource, verbs: ['delete'] };
  throw new Error(`unexpected ${method} ${path}`);
}

describe('deploy/rbac.yaml', () => {
  it('is a namespaced Role on the four Istio resources only, bound to the service account and the Lambda group', () => {
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    for (const d of docs) expect(d.metadata.namespace).toBe(NS);
    const role = docs[1];
    const resources = (role?.rules ?? []).flatMap((r) => r.resources).sort();
    expect(resources).toEqual(['destinationrules', 'serviceentries', 'virtualservices', 'workloadentries']);
    for (const r of role?.rules ?? []) expect(r.apiGroups).toEqual(['networking.istio.io']);
    expect(docs[2]?.roleRef?.name).toBe(role?.metadata.name);
    expect(docs[2]?.subjects?.map((s) => `${s.kind}/${s.name}`)).toEqual(['ServiceAccount/sc2mesh', 'Group/sc2mesh-writers']);
  });

  it('grants exactly the verbs a full writer cycle uses', async () => {
    const writer = new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: NS, source: 'registry-a', kinds: ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'], rateLimit: false });
    const desired: IstioObject[] = [
      ...desiredSet(20, { namespace: NS, source: 'registry-a' }),
      destinationRule('svc-0'),
      destinationRule('svc-1'),
      virtualService('svc-0'),
      virtualService('svc-1'),
    ];
    await syncDesired(writer, desired);
    // Drops svc-1 entirely: its ServiceEntry, WorkloadEntries, DestinationRule and VirtualService.
    await syncDesired(writer, desired.filter((o) => !o.metadata.name.startsWith('svc-1')), { guard: { force: true } });
    await syncDesired(writer, desired, { dryRun: true });
    // Drift repair replaces an edited object of each kind whole.
    await writer.apply([desired[0], desired[1], destinationRule('svc-0'), virtualService('svc-0')].filter((o): o is IstioObject => o !== undefined), { replace: true });
    await new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: NS, source: 'registry-a', rateLimit: false }).apply([serviceEntry('svc-0', { namespace: NS, port: 9999 })]);

    const used = new Map<string, Set<string>>();
    for (const e of server.requestLog.entries) {
      const { resource, verbs } = authorisedAs(e.method, e.path, e.status);
      for (const v of verbs) used.set(resource, (used.get(resource) ?? new Set()).add(v));
    }
    const granted = new Map<string, Set<string>>();
    for (const rule of docs[1]?.rules ?? []) for (const r of rule.resources) granted.set(r, new Set(rule.verbs));
    for (const resource of ['serviceentries', 'workloadentries', 'destinationrules', 'virtualservices']) {
      expect([...(used.get(resource) ?? [])].sort()).toEqual([...(granted.get(resource) ?? [])].sort());
    }
  });
});
