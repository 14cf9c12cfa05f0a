// `npm run bench -- sidecars`: the Sidecar step (sidecars.enabled) at the registry size
// users run: 10,000 services in 20 apps, every 10th a consumer of 5 providers of its app
// (1,000 consumers, 5,000 records), each app's consumers in a namespace of their own.
// Through the real parts: the registry simulator over HTTP (relations + service listing),
// the writer through @kubernetes/client-node into the validating API server. Reports what
// a first run writes and a quiet run reads and writes, and the registry bytes per run.
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../lib/config/index.ts';
import { createKubeClusterWriter } from '../lib/kube/index.ts';
import { silentLogger } from '../lib/log.ts';
import { PipelineMetrics } from '../lib/pipeline/metrics.ts';
import { syncSidecars, type SidecarDeps } from '../lib/pipeline/sidecars.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../lib/registry-simulator/simulator.ts';
import { createRegistryClient } from '../lib/runtime/registry-connection.ts';
import { createRegistrySource } from '../lib/runtime/registry-source.ts';
import { startKubeApiServer } from '../test/support/kube-api-server/index.ts';
import { generateAppRegistry } from '../test/support/registry-generator.ts';

export interface SidecarsBench {
  services: number;
  consumers: number;
  records: number;
  firstRunMs: number;
  firstRunSidecarsWritten: number;
  quietRunMs: number;
  quietRunKubeWrites: number;
  /** registry bytes a run after the sync's dump reads: GET /govern/relations (the dump gives the environments) */
  registryBytesPerRun: number;
  /** the same on its own, no dump read just before: relations + GET /registry/microservices */
  registryBytesPerRunAlone: number;
  /** one consumer gains a provider: what the next run writes */
  oneChangeKubeWrites: number;
}

function registryBytes(sim: RegistrySimulator): number {
  let bytes = 0;
  for (const t of Object.values(sim.traffic())) bytes += t.bytes;
  return bytes;
}

export async function benchSidecars(options: { services?: number; apps?: number; consumerEvery?: number; providersPerConsumer?: number } = {}): Promise<SidecarsBench> {
  const services = options.services ?? 10_000;
  const apps = options.apps ?? 20;
  const every = options.consumerEvery ?? 10;
  const perConsumer = options.providersPerConsumer ?? 5;
  const dump = generateAppRegistry({ services, versionsPerService: 1, apps, instancesPerVersion: 1, seed: 21 });
  let records = 0;
  const details = dump.allServicesDetail as unknown as { microService: { appId: string; serviceName: string }; providers?: unknown[] }[];
  for (let s = 0; s < details.length; s += every) {
    const consumer = details[s];
    if (consumer === undefined) continue;
    // the same app: services s + apps·k
    const providers = [];
    for (let k = 1; k <= perConsumer && s + apps * k < details.length; k++) providers.push({ appId: consumer.microService.appId, serviceName: (details[s + apps * k] as (typeof details)[number]).microService.serviceName, environment: '' });
    consumer.providers = providers;
    records += providers.length;
  }
  const sim = await startRegistrySimulator({ seed: dump, dependencyDelayMs: 0 });
  const kube = await startKubeApiServer({ namespace: 'sc2mesh' });
  try {
    const appIds = [...new Set(details.map((d) => d.microService.appId))].sort();
    const namespaceByApp = Object.fromEntries(appIds.map((a) => [a, `ns-${a}`]));
    const config = await loadConfig({ env: {}, flags: { 'registry.addresses': [sim.baseUrl], 'sidecars.enabled': true, 'sidecars.namespaceByApp': namespaceByApp, 'log.level': 'silent' } });
    const client = await createRegistryClient(config, silentLogger);
    const cluster = createKubeClusterWriter({
      kubeConfig: kube.kubeConfig,
      namespace: 'sc2mesh',
      source: config.render.source,
      kinds: ['Sidecar'],
      namespacesByKind: { Sidecar: Object.values(namespaceByApp) },
      rateLimit: false,
      concurrency: 16,
    });
    const registry = createRegistrySource(client, { consumerServiceName: config.registry.watcherServiceName });
    const deps: SidecarDeps = {
      registry,
      cluster,
      render: config.render,
      sidecars: config.sidecars,
      metrics: new PipelineMetrics(),
      logger: silentLogger,
    };
    const run = async (): Promise<{ ms: number; writes: number; bytes: number; report: Awaited<ReturnType<typeof syncSidecars>> }> => {
      kube.requestLog.clear();
      const before = registryBytes(sim);
      const t0 = performance.now();
      const report = await syncSidecars(deps, 'bench');
      const ms = performance.now() - t0;
      return { ms, writes: kube.requestLog.mutating().length, bytes: registryBytes(sim) - before, report };
    };
    const first = await run();
    if (first.report.outcome !== 'ok') throw new Error(`bench sidecars: first run ${first.report.outcome}: ${first.report.message ?? ''}`);
    const alone = await run();
    // As in a sync: the dump first (its bytes are the sync's), then the step.
    await registry.readAll();
    const quiet = await run();
    if (alone.writes !== 0) throw new Error(`bench sidecars: a quiet run wrote ${alone.writes} times`);
    // One consumer gains a provider (the deprecated explicit API, as an SDK's find would record it).
    const consumer = details[0] as (typeof details)[number];
    const extra = (details[apps * (perConsumer + 1)] as (typeof details)[number]).microService.serviceName;
    const res = await fetch(`${sim.baseUrl}/v4/default/registry/dependencies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dependencies: [{ consumer: { ...consumer.microService, environment: '', version: '1.0.0' }, providers: [{ appId: consumer.microService.appId, serviceName: extra, environment: '', version: 'latest' }] }] }),
    });
    if (res.status !== 200) throw new Error(`bench sidecars: POST dependencies ${res.status} ${await res.text()}`);
    const change = await run();
    client.close();
    return {
      services,
      consumers: first.report.desired,
      records,
      firstRunMs: first.ms,
      firstRunSidecarsWritten: first.report.applied.length,
      quietRunMs: quiet.ms,
      quietRunKubeWrites: quiet.writes,
      registryBytesPerRun: quiet.bytes,
      registryBytesPerRunAlone: alone.bytes,
      oneChangeKubeWrites: change.writes,
    };
  } finally {
    await Promise.all([sim.close(), kube.close()]);
  }
}
