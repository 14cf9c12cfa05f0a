// Objects sc2mesh does not own, planted in the test API server next to the ones it
// writes: a hand-made ServiceEntry under the very name sc2mesh renders for a service, a
// WorkloadEntry of another sc2mesh deployment (`sc2mesh.io/source` of another registry)
// under one of our WorkloadEntry names, and two more that look like orphans. The suite
// then checks, from the request log and the stored objects, that nothing ever wrote to
// them.
import type { IstioKind, IstioObject } from '../../../lib/model/istio.ts';
import { ISTIO_API_VERSION } from '../../../lib/model/istio.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_KEY_ANNOTATION, SERVICE_LABEL, SHARD_LABEL, SOURCE_LABEL } from '../../../lib/model/ownership.ts';
import { PLURALS } from '../../../lib/kube/istio-client.ts';
import type { JsonObject, KubeApiServer, RequestLogEntry } from '../kube-api-server/index.ts';
import { canonical } from './convergence.ts';

export const OTHER_SOURCE = 'registry-b';

export interface PlantedObject {
  kind: IstioKind;
  namespace: string;
  name: string;
  /** `Kind/name`, as the convergence views key objects */
  viewKey: string;
  why: string;
  /** the stored object right after planting (resourceVersion included) */
  stored: string;
}

/**
 * Plants the foreign objects. `ours` are objects sc2mesh renders for one service that
 * the test leaves alone (a ServiceEntry and at least one WorkloadEntry of it).
 */
export function plantForeignObjects(kube: KubeApiServer, namespace: string, ours: readonly IstioObject[]): PlantedObject[] {
  const se = ours.find((o) => o.kind === 'ServiceEntry');
  const we = ours.find((o) => o.kind === 'WorkloadEntry');
  if (se === undefined || we === undefined) throw new Error('plantForeignObjects: needs a ServiceEntry and a WorkloadEntry that sc2mesh renders');
  const otherSource = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: OTHER_SOURCE };
  const objects: { obj: JsonObject; why: string }[] = [
    {
      why: 'same name as a ServiceEntry sc2mesh renders, without ownership marks (made by hand)',
      obj: {
        apiVersion: ISTIO_API_VERSION,
        kind: 'ServiceEntry',
        metadata: { name: se.metadata.name, namespace, labels: { team: 'payments' } },
        spec: { hosts: ['legacy-payments.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }] },
      },
    },
    {
      why: `same name as a WorkloadEntry sc2mesh renders, owned by the deployment of source ${OTHER_SOURCE}`,
      obj: {
        apiVersion: ISTIO_API_VERSION,
        kind: 'WorkloadEntry',
        metadata: { name: we.metadata.name, namespace, labels: { ...otherSource, [SHARD_LABEL]: we.metadata.labels[SHARD_LABEL] ?? '0' }, annotations: { [SERVICE_KEY_ANNOTATION]: 'b/b/b' } },
        spec: { address: '192.0.2.10', labels: { app: 'b' } },
      },
    },
    {
      why: `a ServiceEntry of source ${OTHER_SOURCE} whose service this registry does not have (an orphan to a careless pruner)`,
      obj: {
        apiVersion: ISTIO_API_VERSION,
        kind: 'ServiceEntry',
        metadata: {
          name: 'ledger-bank-b',
          namespace,
          labels: { ...otherSource, [SERVICE_LABEL]: 'ledger-bank-b', [SHARD_LABEL]: '7' },
          annotations: { [SERVICE_KEY_ANNOTATION]: '/bank/ledger' },
        },
        spec: { hosts: ['ledger.bank.b.servicecomb.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http-8080', protocol: 'HTTP' }], workloadSelector: { labels: { app: 'ledger' } } },
      },
    },
    {
      why: 'a WorkloadEntry without any label (made by hand)',
      obj: { apiVersion: ISTIO_API_VERSION, kind: 'WorkloadEntry', metadata: { name: 'hand-made-vm', namespace }, spec: { address: '192.0.2.20', labels: { app: 'vm' } } },
    },
  ];
  return objects.map(({ obj, why }) => {
    const stored = kube.store.put(obj);
    const kind = obj['kind'] as IstioKind;
    const name = (obj['metadata'] as { name: string }).name;
    return { kind, namespace, name, viewKey: `${kind}/${name}`, why, stored: canonical(stored) };
  });
}

/** Mutating requests (dry runs included: a write is a write) whose path names a planted object. */
export function writesToPlanted(entries: readonly RequestLogEntry[], planted: readonly PlantedObject[]): RequestLogEntry[] {
  const paths = new Set(planted.map((p) => `/apis/networking.istio.io/v1/namespaces/${p.namespace}/${PLURALS[p.kind]}/${p.name}`));
  return entries.filter((e) => e.mutating && paths.has(e.path));
}

/** Planted objects whose stored form (spec, labels, resourceVersion…) is no longer what was planted. */
export function changedPlanted(kube: KubeApiServer, planted: readonly PlantedObject[]): string[] {
  return planted.filter((p) => {
    const now = kube.store.get(p.kind, p.namespace, p.name);
    return now === undefined || canonical(now) !== p.stored;
  }).map((p) => `${p.viewKey} (${p.why})`);
}
