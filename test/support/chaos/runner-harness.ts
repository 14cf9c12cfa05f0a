// The parts around a real local runner (`sc2mesh run`) for the resilience scenarios: a
// registry simulator seeded with a storm's services, the validating API server with
// foreign objects planted, and the config that ties them together. `settleWithinOneSync`
// is the claim under test: once the faults have stopped, one scheduled sync that starts
// after that moment, and the pushes it triggers, leave the cluster equal to the registry.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Sc2meshConfig } from '../../../lib/config/index.ts';
import { parseGovernDump } from '../../../lib/model/govern-dump.ts';
import { renderRegistry } from '../../../lib/render/render-registry.ts';
import { SERVICE_KEY_ANNOTATION } from '../../../lib/model/ownership.ts';
import type { LocalRunner, RunnerEvent } from '../../../lib/runtime/local-runner.ts';
import type { ScheduledSyncReport } from '../../../lib/pipeline/scheduled-sync.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube-api-server/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../../lib/registry-simulator/simulator.ts';
import { RegistryStorm } from './registry-storm.ts';
import { plantForeignObjects, type PlantedObject } from './foreign-objects.ts';

export const CHAOS_NAMESPACE = 'sc2mesh';

export interface ChaosEnvOptions {
  seed: number;
  services: number;
  instancesPerService: number;
  /** extra config flags (key path → value), e.g. a state table behind a proxy */
  flags?: Record<string, unknown>;
  /** environment for loadConfig (default none) */
  env?: NodeJS.ProcessEnv;
}

export interface ChaosEnv {
  sim: RegistrySimulator;
  kube: KubeApiServer;
  storm: RegistryStorm;
  planted: PlantedObject[];
  /** the planted objects' `Kind/name`: left out of the convergence views */
  plantedKeys: Set<string>;
  config: Sc2meshConfig;
  close(): Promise<void>;
}

export async function startChaosEnv(options: ChaosEnvOptions): Promise<ChaosEnv> {
  const [sim, kube] = await Promise.all([startRegistrySimulator({ dependencyDelayMs: 20 }), startKubeApiServer({ namespace: CHAOS_NAMESPACE, seed: options.seed })]);
  const stateDir = await mkdtemp(join(tmpdir(), 'sc2mesh-chaos-'));
  const storm = new RegistryStorm(sim, options.seed);
  storm.seed({ services: options.services, instancesPerService: options.instancesPerService });
  const config = await loadConfig({
    env: options.env ?? {},
    flags: {
      'registry.addresses': [sim.baseUrl],
      'registry.listIntervalMs': 300,
      'registry.timeoutMs': 2_000,
      'kube.kubeconfig': kube.kubeconfigPath,
      'kube.qps': 0,
      'kube.timeoutMs': 5_000,
      'state.dir': stateDir,
      'server.port': 0,
      'debounce.quietMs': 200,
      'debounce.maxDelayMs': 1000,
      'log.level': 'silent',
      ...options.flags,
    },
  });
  // Foreign objects under names the pinned service renders to: every push of it meets them.
  const pinnedKey = storm.pinnedServices()[0]?.key;
  const rendered = renderRegistry(parseGovernDump({ allServicesDetail: sim.governDump() }).services, config.render).objects;
  const planted = plantForeignObjects(
    kube,
    config.render.namespace,
    rendered.filter((o) => o.metadata.annotations[SERVICE_KEY_ANNOTATION] === pinnedKey),
  );
  return {
    sim,
    kube,
    storm,
    planted,
    plantedKeys: new Set(planted.map((p) => p.viewKey)),
    config,
    async close() {
      await Promise.all([sim.close(), kube.close()]);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

interface SyncSeen {
  startedAt: number;
  report: ScheduledSyncReport;
}

/** Collects what a runner reports (pass `probe.onEvent` to startLocalRunner). */
export class RunnerProbe {
  readonly syncs: SyncSeen[] = [];
  readonly errors: { where: 'push' | 'sync'; message: string }[] = [];

  readonly onEvent = (event: RunnerEvent): void => {
    if (event.type === 'sync') this.syncs.push({ startedAt: Date.now() - event.ms, report: event.report });
    else if (event.type === 'error') this.errors.push({ where: event.where, message: event.error instanceof Error ? event.error.message : String(event.error) });
  };
}

/**
 * One sync that starts at or after `since` (a sync still running from before is waited
 * for first, not counted), then a flush of every push it triggered.
 */
export async function settleWithinOneSync(runner: LocalRunner, probe: RunnerProbe, since: number): Promise<ScheduledSyncReport> {
  // What the faults left in the debouncer is pushed first (a push decided during the
  // faults may fail once more; its keys are then pending again and the flush below takes them).
  await runner.flush();
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = probe.syncs.length;
    const report = await runner.syncNow();
    if (report === undefined) throw new Error(`the sync after the faults threw: ${probe.errors.at(-1)?.message ?? 'unknown error'}`);
    const seen = probe.syncs.slice(before).find((s) => s.report === report);
    if (seen === undefined || seen.startedAt < since) continue; // joined a sync begun during the faults
    await runner.flush();
    return report;
  }
  throw new Error('no sync started after the faults stopped');
}

/**
 * Waits until no registry address of the runner's client has an open circuit breaker:
 * after an outage the client refuses calls for the breaker's cool-down (10 s by default)
 * even though the registry is back, so "after the faults" starts when it lets calls through.
 * Returns how long that took.
 */
export async function registryReachable(runner: LocalRunner, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (runner.runtime.client.http.pool.states().some((s) => s.state === 'open')) {
    if (Date.now() - started > timeoutMs) throw new Error(`registry breaker still open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

/** Waits for `promise`, but no longer than `ms` (the promise then goes on on its own). */
export async function forAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
