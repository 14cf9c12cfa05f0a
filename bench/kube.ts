// `npm run bench -- kube`: objects per second the kube writer applies to the test API
// server (validating, over real HTTP through @kubernetes/client-node) with the client-side
// rate limit off, from one run; then the same set again, which must write nothing.
// Runs alone too: `npm exec -- node --disable-warning=ExperimentalWarning bench/kube.ts`.
import { pathToFileURL } from 'node:url';
import { KubeClusterWriter } from '../lib/kube/writer.ts';
import { startKubeApiServer } from '../test/support/kube-api-server/index.ts';
import { desiredSet } from '../test/support/kube-api-server/istio-fixtures.ts';
import { syncDesired } from '../test/support/sync-desired.ts';

export interface KubeBench {
  objects: number;
  objectsPerSecond: number;
  applyMs: number;
  requests: number;
  mutatingRequests: number;
  mutatingBytes: number;
  /** the same desired set applied again */
  secondRunMs: number;
  secondRunMutatingRequests: number;
}

export async function benchKube(options: { objects?: number; concurrency?: number } = {}): Promise<KubeBench> {
  const objects = options.objects ?? 2000;
  const namespace = 'bench';
  const server = await startKubeApiServer({ namespace });
  try {
    const writer = new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace, source: 'bench', rateLimit: false, concurrency: options.concurrency ?? 16 });
    const desired = desiredSet(objects, { namespace, source: 'bench' });
    const started = performance.now();
    const report = await syncDesired(writer, desired);
    const applyMs = performance.now() - started;
    if (report.apply.created.length !== objects) throw new Error(`bench kube: created ${report.apply.created.length} of ${objects} (${report.apply.failed[0]?.error ?? 'no error'})`);
    const first = server.requestLog.summary();
    server.requestLog.clear();
    const again = performance.now();
    await syncDesired(writer, desired);
    const secondRunMs = performance.now() - again;
    return {
      objects,
      objectsPerSecond: objects / (applyMs / 1000),
      applyMs,
      requests: first.requests,
      mutatingRequests: first.mutating,
      mutatingBytes: first.mutatingBytes,
      secondRunMs,
      secondRunMutatingRequests: server.requestLog.summary().mutating,
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchKube())}\n`);
}
