// Resilience, fault 4: the serverless push process dies at each step in turn — in the
// debounce cycle's conditional write, after the registry read, after some but not all
// cluster writes, between the cluster writes and the state write, after a state write,
// after the handler returned but before the queue acknowledged the batch. A new process
// (fresh clients over the same DynamoDB table, API server and queue contents) then runs
// one scheduled sync and handles the queue until it is empty: the cluster must equal the
// registry, the state table must match the cluster, nothing may be dead-lettered, no
// foreign object may be written, and a further sync must write nothing.
// Seed: SEED (registry contents and the extra changes).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { SERVICE_KEY_ANNOTATION } from '../../lib/model/ownership.ts';
import { parseGovernDump } from '../../lib/model/govern-dump.ts';
import { renderRegistry } from '../../lib/render/render-registry.ts';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { DEFAULT_DEBOUNCE_CONFIG } from '../../lib/debounce/config.ts';
import { createManualClock } from '../../lib/time/manual-clock.ts';
import { createMemoryQueue } from '../../lib/queue/memory-queue.ts';
import { runScheduledSync } from '../../lib/pipeline/scheduled-sync.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { ensureStateTable } from '../../lib/state/table.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startRegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryStorm } from '../support/chaos/registry-storm.ts';
import { clusterView, registryView, stateProblems, viewDifferences, VIEW_KINDS } from '../support/chaos/convergence.ts';
import { changedPlanted, plantForeignObjects, writesToPlanted } from '../support/chaos/foreign-objects.ts';
import type { KillPoint } from '../support/chaos/mortal-process.ts';
import { PushProcess, QueueDriver } from '../support/chaos/push-process.ts';

const SEED = 4404;
const NS = 'sc2mesh';
const render = resolveRenderOptions({ namespace: NS });
const atLeastTwo = (args: readonly unknown[]): boolean => Array.isArray(args[0]) && args[0].length >= 2;

const KILL_POINTS: { step: string; kill: KillPoint }[] = [
  { step: 'in the debounce cycle write, before it', kill: { target: 'state', method: 'casCycle', call: 1, mode: 'before' } },
  { step: 'after the cycle was opened, before its tick was sent', kill: { target: 'state', method: 'casCycle', call: 1, mode: 'after' } },
  { step: 'after the push decision was written, before the push', kill: { target: 'state', method: 'casCycle', call: 2, mode: 'after' } },
  { step: 'after the registry read', kill: { target: 'registry', method: 'readServices', call: 1, mode: 'after' } },
  { step: 'after some but not all cluster applies', kill: { target: 'cluster', method: 'apply', call: 1, mode: 'partial', matches: atLeastTwo } },
  { step: 'after some but not all cluster deletes', kill: { target: 'cluster', method: 'delete', call: 1, mode: 'partial', matches: atLeastTwo } },
  { step: 'after the cluster writes, before the state write', kill: { target: 'state', method: 'putService', call: 2, mode: 'before' } },
  { step: 'after the cluster deletes, before the state delete', kill: { target: 'state', method: 'deleteService', call: 1, mode: 'before' } },
  { step: 'after a state write, with services still to push', kill: { target: 'state', method: 'putService', call: 2, mode: 'after' } },
  { step: 'after the handler returned, before the queue acknowledged', kill: { target: 'host', method: 'ack', call: 2, mode: 'after' } },
];

let kube: KubeApiServer;
let dynalite: EmbeddedDynalite;
let table = 0;

beforeAll(async () => {
  [kube, dynalite] = await Promise.all([startKubeApiServer({ namespace: NS, seed: SEED }), startEmbeddedDynalite({ tableName: 'sc2mesh-crash-0' })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([kube?.close(), dynalite?.close()]);
});

function clearCluster(): void {
  for (const kind of VIEW_KINDS) for (const o of kube.store.list(kind, NS)) kube.store.delete(kind, NS, (o['metadata'] as { name: string }).name);
  kube.requestLog.clear();
}

describe(`the push process killed at each step (seed ${SEED})`, () => {
  for (const { step, kill } of KILL_POINTS) {
    it(`converges after a death ${step}`, async () => {
      clearCluster();
      const sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
      const tableName = `sc2mesh-crash-${++table}`;
      await ensureStateTable(dynalite.client, tableName);
      const clock = createManualClock(1_800_000_000_000);
      const queue = createMemoryQueue({ clock, visibilityTimeoutMs: 30_000, maxReceiveCount: 5 });
      const driver = new QueueDriver(queue, clock);
      const debounce = { ...DEFAULT_DEBOUNCE_CONFIG };
      const processes: PushProcess[] = [];
      const start = (killPoint?: KillPoint): PushProcess => {
        const p = new PushProcess({ registryUrl: sim.baseUrl, kubeConfig: kube.kubeConfig, dynamoEndpoint: dynalite.endpoint, tableName, render, debounce, queue, clock, ...(killPoint === undefined ? {} : { kill: killPoint }) });
        processes.push(p);
        driver.current = p;
        return p;
      };
      try {
        const storm = new RegistryStorm(sim, SEED);
        storm.seed({ services: 9, instancesPerService: 3 });
        const pinned = storm.pinnedServices()[0]?.key;
        const planted = plantForeignObjects(
          kube,
          NS,
          renderRegistry(parseGovernDump({ allServicesDetail: sim.governDump() }).services, render).objects.filter((o) => o.metadata.annotations[SERVICE_KEY_ANNOTATION] === pinned),
        );
        const exclude = new Set(planted.map((p) => p.viewKey));
        const converged = () => viewDifferences(clusterView(kube, NS, exclude), registryView(sim, render, exclude));

        // A healthy first process publishes the registry.
        const first = start();
        await runScheduledSync(first.syncDeps, 'initial-sync');
        expect(await driver.drain()).toBe('empty');
        expect(converged()).toEqual([]);
        first.close();

        // The registry changes; the watcher marks the services dirty, except for a few
        // changes whose events were lost (the storm steps): only a sync can find those.
        const keys = storm.keys().filter((k) => k !== pinned);
        storm.registerOn(keys[0] as string);
        storm.registerOn(keys[0] as string);
        storm.deregisterOn(keys[1] as string);
        storm.downOn(keys[2] as string);
        storm.removeService(keys[3] as string);
        const added = storm.addService(2);
        storm.registerOn(keys[4] as string);
        for (let i = 0; i < 4; i++) storm.step();
        const changed = [keys[0], keys[1], keys[2], keys[3], keys[4], added] as string[];
        for (const key of changed) await queue.send([{ v: 1, keys: [key], reason: 'watch', at: clock.now() }]);

        // The process that dies.
        const doomed = start(kill);
        expect(await driver.drain({ stop: () => doomed.mortal.killed })).toBe('stopped');
        expect(doomed.mortal.killedAt).toBeDefined();
        if (kill.mode === 'partial') expect(doomed.mortal.detail).toMatch(/^[1-9]\d* of \d+ items$/);
        doomed.close();

        // A new process: one scheduled sync, then the queue until it is empty.
        const next = start();
        const sync = await runScheduledSync(next.syncDeps, 'after-death');
        expect(sync.sync.outcome).toBe('ok');
        expect(await driver.drain()).toBe('empty');
        expect(converged()).toEqual([]);
        expect(await stateProblems(next.syncDeps.state, kube, NS, render.source)).toEqual([]);
        expect(queue.deadLetters()).toEqual([]);
        expect(writesToPlanted(kube.requestLog.entries, planted)).toEqual([]);
        expect(changedPlanted(kube, planted)).toEqual([]);

        // Nothing left to do: the next sync finds only the service whose ServiceEntry name
        // is taken by a foreign object, and pushing it again writes nothing.
        kube.requestLog.clear();
        const quiet = await runScheduledSync(next.syncDeps, 'quiet');
        expect(quiet.sync.dirty.filter((k) => k !== pinned)).toEqual([]);
        expect(quiet.sync.removed).toEqual([]);
        expect(await driver.drain()).toBe('empty');
        expect(kube.requestLog.mutating()).toEqual([]);
      } finally {
        for (const p of processes) p.close();
        queue.close();
        await sim.close();
      }
    }, 30_000);
  }
});
