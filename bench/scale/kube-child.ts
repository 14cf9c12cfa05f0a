// The scale bench's Kubernetes API server, in a process of its own: the validating test
// server, plus the bench's view of it. Arrivals are watched here, on the server's store
// (a map lookup every 10 ms), so seeing a change costs the measured parts nothing.
import type { IstioKind } from '../../lib/model/istio.ts';
import { SERVICE_KEY_ANNOTATION } from '../../lib/model/ownership.ts';
import { startKubeApiServer, type FaultSpec } from '../../test/support/kube-api-server/index.ts';
import { epochMs, memoryFigures, serveRpc } from './rpc.ts';

const namespace = process.env['BENCH_NAMESPACE'] ?? 'bench';
const server = await startKubeApiServer({ namespace });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface WaitArgs {
  kind: IstioKind;
  names: string[];
  present: boolean;
  timeoutMs: number;
  everyMs?: number;
}

/** Epoch ms of the first check at which every name is present (or absent). */
async function waitFor(args: WaitArgs): Promise<number> {
  const left = new Set(args.names);
  const deadline = Date.now() + args.timeoutMs;
  for (;;) {
    for (const name of left) if ((server.store.get(args.kind, namespace, name) !== undefined) === args.present) left.delete(name);
    if (left.size === 0) return epochMs();
    if (Date.now() > deadline) throw new Error(`${left.size} of ${args.names.length} ${args.kind}s not ${args.present ? 'present' : 'gone'} within ${args.timeoutMs} ms (first: ${[...left][0] ?? ''})`);
    await sleep(args.everyMs ?? 10);
  }
}

serveRpc({
  info: () => ({ url: server.url, kubeconfigPath: server.kubeconfigPath }),
  counts: () => ({ serviceEntries: server.store.count('ServiceEntry'), workloadEntries: server.store.count('WorkloadEntry') }),
  async waitForCounts(raw) {
    const args = raw as { serviceEntries: number; workloadEntries: number; timeoutMs: number };
    const deadline = Date.now() + args.timeoutMs;
    for (;;) {
      const se = server.store.count('ServiceEntry');
      const we = server.store.count('WorkloadEntry');
      if (se >= args.serviceEntries && we >= args.workloadEntries) return { at: epochMs(), serviceEntries: se, workloadEntries: we };
      if (Date.now() > deadline) throw new Error(`cluster holds ${se} ServiceEntries / ${we} WorkloadEntries, expected ${args.serviceEntries} / ${args.workloadEntries}`);
      await sleep(250);
    }
  },
  /** names of the ServiceEntries of these service keys (by the service-key annotation) */
  serviceEntryNames(raw) {
    const wanted = new Set((raw as { serviceKeys: string[] }).serviceKeys);
    const out: Record<string, string> = {};
    for (const o of server.store.list('ServiceEntry', namespace)) {
      const metadata = o['metadata'] as { name?: string; annotations?: Record<string, string> } | undefined;
      const key = metadata?.annotations?.[SERVICE_KEY_ANNOTATION];
      if (key !== undefined && wanted.has(key) && metadata?.name !== undefined) out[key] = metadata.name;
    }
    return out;
  },
  waitFor: (raw) => waitFor(raw as WaitArgs),
  inject(raw) {
    server.inject(raw as FaultSpec);
    return true;
  },
  clearFaults() {
    server.clearFaults();
    return true;
  },
  /** what was asked of the server since the last clear */
  requests() {
    const entries = server.requestLog.entries;
    const byStatus: Record<string, number> = {};
    for (const e of entries) byStatus[String(e.status)] = (byStatus[String(e.status)] ?? 0) + 1;
    return { ...server.requestLog.summary(), byStatus };
  },
  clearRequests() {
    server.requestLog.clear();
    return true;
  },
  memory: () => memoryFigures(),
  async stop() {
    await server.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});
