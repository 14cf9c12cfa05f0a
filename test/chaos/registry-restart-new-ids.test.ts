// Resilience: the registry restarts empty and every client registers again without ids,
// so every instance comes back under a new instance id (and every service under a new
// serviceId), as service-center assigns them. Replaced is not lost: the deletion guard must
// hold while the registry is empty, then let the replacement through at once — every
// instance published within one debounce cycle, and no owned object outliving its instance
// by more than one sync. The serverless push step, as in production. Seed: SEED.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { DEFAULT_DEBOUNCE_CONFIG } from '../../lib/debounce/config.ts';
import { createManualClock } from '../../lib/time/manual-clock.ts';
import { createMemoryQueue } from '../../lib/queue/memory-queue.ts';
import { runScheduledSync } from '../../lib/pipeline/scheduled-sync.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { INSTANCE_ID_ANNOTATION } from '../../lib/model/ownership.ts';
import { RegistryStorm } from '../support/chaos/registry-storm.ts';
import { clusterView, registryView, stateProblems, viewDifferences } from '../support/chaos/convergence.ts';
import { PushProcess, QueueDriver } from '../support/chaos/push-process.ts';

const SEED = 6606;
const NS = 'sc2mesh';
const TABLE = 'sc2mesh-new-ids';
const render = resolveRenderOptions({ namespace: NS });

let kube: KubeApiServer;
let dynalite: EmbeddedDynalite;
let sim: RegistrySimulator;

beforeAll(async () => {
  [kube, dynalite, sim] = await Promise.all([startKubeApiServer({ namespace: NS, seed: SEED }), startEmbeddedDynalite({ tableName: TABLE }), startRegistrySimulator({ dependencyDelayMs: 0 })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([kube?.close(), dynalite?.close(), sim?.close()]);
});

type Json = Record<string, unknown>;

const publishedInstanceIds = (): string[] =>
  kube.store
    .list('WorkloadEntry', NS)
    .map((o) => ((o['metadata'] as { annotations?: Record<string, string> }).annotations ?? {})[INSTANCE_ID_ANNOTATION] ?? '')
    .sort();

describe(`a registry restarted empty, every instance registered again under a new id (seed ${SEED})`, () => {
  it('publishes every instance within one debounce cycle and keeps no stale object past one sync', async () => {
    const clock = createManualClock(1_800_000_000_000);
    const queue = createMemoryQueue({ clock, visibilityTimeoutMs: 30_000 });
    const driver = new QueueDriver(queue, clock);
    const push = new PushProcess({ registryUrl: sim.baseUrl, kubeConfig: kube.kubeConfig, dynamoEndpoint: dynalite.endpoint, tableName: TABLE, render, debounce: { ...DEFAULT_DEBOUNCE_CONFIG }, queue, clock });
    driver.current = push;
    const watchEvents = async (keys: readonly string[]): Promise<void> => {
      for (const key of keys) await queue.send([{ v: 1, keys: [key], reason: 'watch', at: clock.now() }]);
    };
    try {
      const storm = new RegistryStorm(sim, SEED);
      storm.seed({ services: 12, instancesPerService: 3, pinned: 0 });
      await runScheduledSync(push.syncDeps, 'initial');
      expect(await driver.drain()).toBe('empty');
      expect(viewDifferences(clusterView(kube, NS), registryView(sim, render))).toEqual([]);
      const before = publishedInstanceIds();
      expect(before).toHaveLength(36);
      const dump = sim.governDump() as Json[];

      // Restarted empty: nothing may be deleted while the registry has nothing.
      await sim.restart({ clearState: true });
      kube.requestLog.clear();
      await watchEvents(storm.keys());
      expect(await driver.drain()).toBe('empty');
      expect((await runScheduledSync(push.syncDeps, 'empty')).sync.outcome).toBe('removals-refused');
      expect(await driver.drain()).toBe('empty');
      expect(kube.requestLog.mutating().filter((e) => e.method === 'DELETE')).toEqual([]);
      expect(publishedInstanceIds()).toEqual(before);

      // Every client registers again, sending no ids: new serviceIds, new instance ids.
      for (const entry of dump) {
        const { serviceId: _old, ...service } = entry['microService'] as Json;
        if (service['serviceName'] === 'sc2mesh-watcher') continue;
        const serviceId = sim.registerService(service);
        for (const raw of (entry['instances'] as Json[] | undefined) ?? []) {
          const { instanceId: _id, serviceId: _sid, ...instance } = raw;
          sim.registerInstance(serviceId, instance, { keepAlive: true });
        }
      }
      // The watcher sees the new instances: one debounce cycle publishes every one of them.
      await watchEvents(storm.keys());
      expect(await driver.drain()).toBe('empty');
      const expected = Object.keys(registryView(sim, render)).filter((k) => k.startsWith('WorkloadEntry/'));
      expect(expected).toHaveLength(36);
      const cluster = clusterView(kube, NS);
      for (const key of expected) expect(cluster).toHaveProperty([key]);
      // The replaced objects went in the same push: none outlives its instance.
      expect(publishedInstanceIds().filter((id) => before.includes(id))).toEqual([]);

      // One sync after that finds the cluster and state exactly as the registry renders.
      await runScheduledSync(push.syncDeps, 'after');
      expect(await driver.drain()).toBe('empty');
      expect(viewDifferences(clusterView(kube, NS), registryView(sim, render))).toEqual([]);
      expect(await stateProblems(push.syncDeps.state, kube, NS, render.source)).toEqual([]);
    } finally {
      push.close();
      queue.close();
    }
  }, 30_000);
});
