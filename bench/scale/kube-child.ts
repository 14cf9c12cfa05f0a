// The scale bench's Kubernetes API server, in a process of its own: the validating test
// server, plus the bench's view of it. Arrivals are watched here, on the server's store
// (a map lookup every 10 ms), so seeing a change costs the measured parts nothing.
import { writeFileSync } from 'node:fs';
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
  /**
   * When the requests since the last clear arrived, relative to `t0` (epoch ms): the first
   * and the last, and the object whose last request came latest, with each of its
   * attempts (status, arrival), so a slow convergence names the retry chain behind it.
   */
  timeline(raw) {
    const t0 = (raw as { t0: number }).t0;
    const entries = server.requestLog.entries;
    const byObject = new Map<string, { status: number; atMs: number }[]>();
    for (const e of entries) {
      const list = byObject.get(e.objectPath) ?? [];
      list.push({ status: e.status, atMs: Math.round(e.arrivedAt - t0) });
      byObject.set(e.objectPath, list);
    }
    let slowest: { objectPath: string; attempts: { status: number; atMs: number }[] } | undefined;
    for (const [objectPath, attempts] of byObject) {
      const last = attempts[attempts.length - 1]?.atMs ?? 0;
      if (slowest === undefined || last > (slowest.attempts[slowest.attempts.length - 1]?.atMs ?? 0)) slowest = { objectPath, attempts };
    }
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (process.env['BENCH_TIMELINE_FILE'] !== undefined) {
      writeFileSync(process.env['BENCH_TIMELINE_FILE'], entries.map((e) => `${Math.round(e.arrivedAt - t0)} +${Math.round(e.durationMs)} ${e.method} ${e.status} ${e.objectPath.replace('/apis/networking.istio.io/v1/namespaces/', '')}${e.query['labelSelector'] === undefined ? '' : ` ${e.query['labelSelector'].slice(0, 60)}`}`).join('\n'));
    }
    return {
      firstMs: first === undefined ? undefined : Math.round(first.arrivedAt - t0),
      lastMs: last === undefined ? undefined : Math.round(last.arrivedAt - t0),
      slowest: slowest === undefined ? '' : `${slowest.objectPath}: ${slowest.attempts.map((a) => `${a.status}@${a.atMs}`).join(' ')}`,
    };
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
