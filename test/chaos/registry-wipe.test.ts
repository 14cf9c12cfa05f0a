// Resilience: the registry comes back from a restart without its data, and the watcher
// reports every service as gone. The serverless push step must not empty the mesh: the
// mass-deletion guard has to hold for the whole debounce cycle, also when the push works
// through it in chunks (production: 200 services a chunk, so any registry above 400
// services; here 3 a chunk over 12 services). When the registrations return, one sync
// converges again. Seed: SEED (registry contents).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { DEFAULT_DEBOUNCE_CONFIG } from '../../lib/debounce/config.ts';
import { createManualClock } from '../../lib/time/manual-clock.ts';
import { createMemoryQueue } from '../../lib/queue/memory-queue.ts';
import { runScheduledSync } from '../../lib/pipeline/scheduled-sync.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryStorm } from '../support/chaos/registry-storm.ts';
import { clusterView, registryView, stateProblems, viewDifferences } from '../support/chaos/convergence.ts';
import { PushProcess, QueueDriver } from '../support/chaos/push-process.ts';

const SEED = 5505;
const NS = 'sc2mesh';
const TABLE = 'sc2mesh-wipe';
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

describe(`a registry that restarts empty (seed ${SEED})`, () => {
  it('does not make the chunked serverless push delete the mesh', async () => {
    const clock = createManualClock(1_800_000_000_000);
    const queue = createMemoryQueue({ clock, visibilityTimeoutMs: 30_000 });
    const driver = new QueueDriver(queue, clock);
    const push = new PushProcess({ registryUrl: sim.baseUrl, kubeConfig: kube.kubeConfig, dynamoEndpoint: dynalite.endpoint, tableName: TABLE, render, debounce: { ...DEFAULT_DEBOUNCE_CONFIG }, queue, clock });
    driver.current = push;
    try {
      const storm = new RegistryStorm(sim, SEED);
      storm.seed({ services: 12, instancesPerService: 3, pinned: 0 });
      await runScheduledSync(push.syncDeps, 'initial');
      expect(await driver.drain()).toBe('empty');
      expect(viewDifferences(clusterView(kube, NS), registryView(sim, render))).toEqual([]);
      const before = clusterView(kube, NS);
      const dump = sim.governDump();

      await sim.restart({ clearState: true });
      kube.requestLog.clear();
      // The watcher's listing finds every service gone and marks each dirty.
      for (const key of storm.keys()) await queue.send([{ v: 1, keys: [key], reason: 'watch', at: clock.now() }]);
      expect(await driver.drain()).toBe('empty');
      const wiped = await runScheduledSync(push.syncDeps, 'wiped');
      expect(wiped.sync.outcome).toBe('removals-refused');
      expect(await driver.drain()).toBe('empty');
      expect(kube.requestLog.mutating().map((e) => `${e.method} ${e.path}`)).toEqual([]);
      expect(viewDifferences(clusterView(kube, NS), before)).toEqual([]);

      // The services register again, with their ids: one sync converges.
      sim.seed({ allServicesDetail: dump });
      const back = await runScheduledSync(push.syncDeps, 'back');
      expect(back.sync.outcome).toBe('ok');
      expect(await driver.drain()).toBe('empty');
      expect(viewDifferences(clusterView(kube, NS), registryView(sim, render))).toEqual([]);
      expect(await stateProblems(push.syncDeps.state, kube, NS, render.source)).toEqual([]);
    } finally {
      push.close();
      queue.close();
    }
  }, 30_000);
});
