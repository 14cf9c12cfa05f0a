// Valid Istio objects as sc2mesh renders them (ownership labels, content hash), for tests
// and the benchmark of the kube writer. The hash covers everything but itself.
import { createHash } from 'node:crypto';
import { ISTIO_API_VERSION, type IstioObject, type ServiceEntry, type WorkloadEntry } from '../../../lib/model/istio.ts';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SHARD_LABEL, SOURCE_LABEL } from '../../../lib/model/ownership.ts';

export function ownershipLabels(source: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: source, ...extra };
}

export function withContentHash<T extends IstioObject>(obj: T): T {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[CONTENT_HASH_ANNOTATION];
  const text = JSON.stringify({ labels: obj.metadata.labels, annotations, spec: obj.spec });
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...annotations, [CONTENT_HASH_ANNOTATION]: hash } } };
}

export interface FixtureOptions {
  namespace?: string;
  source?: string;
  port?: number;
  shard?: number;
}

export function serviceEntry(name: string, o: FixtureOptions = {}): ServiceEntry {
  const port = o.port ?? 8080;
  return withContentHash({
    apiVersion: ISTIO_API_VERSION,
    kind: 'ServiceEntry',
    metadata: {
      name,
      namespace: o.namespace ?? 'mesh',
      labels: ownershipLabels(o.source ?? 'registry-a', o.shard === undefined ? {} : { [SHARD_LABEL]: String(o.shard) }),
      annotations: {},
    },
    spec: {
      hosts: [`${name}.demo.svc.sc2mesh`],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [{ number: port, protocol: 'HTTP', name: `http-${port}` }],
      workloadSelector: { labels: { app: name } },
    },
  });
}

export function workloadEntry(name: string, app: string, address: string, o: FixtureOptions = {}): WorkloadEntry {
  const port = o.port ?? 8080;
  return withContentHash({
    apiVersion: ISTIO_API_VERSION,
    kind: 'WorkloadEntry',
    metadata: {
      name,
      namespace: o.namespace ?? 'mesh',
      labels: ownershipLabels(o.source ?? 'registry-a', o.shard === undefined ? {} : { [SHARD_LABEL]: String(o.shard) }),
      annotations: {},
    },
    spec: { address, ports: { [`http-${port}`]: port }, labels: { app, version: 'v1' } },
  });
}

/** `count` objects: one ServiceEntry per 10, the rest WorkloadEntries of it. */
export function desiredSet(count: number, o: FixtureOptions = {}): IstioObject[] {
  const out: IstioObject[] = [];
  for (let i = 0; i < count; i++) {
    const svc = `svc-${Math.floor(i / 10)}`;
    if (i % 10 === 0) out.push(serviceEntry(svc, o));
    else out.push(workloadEntry(`${svc}-${i % 10}`, svc, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, o));
  }
  return out;
}
