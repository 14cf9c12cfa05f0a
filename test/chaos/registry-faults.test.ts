// Resilience, fault 1: the registry restarts, drops its watch sockets, refuses new ones,
// cuts slow consumers, answers 5xx, resets connections and slows down while a storm of
// instance changes runs over ~50 services. Watch events are lost on the way; the local
// runner must still end equal to the registry within one sync once the faults stop,
// never touch a foreign object, and then sit quiet.
// Seed: SEED (storm sequence and API-server fault draws).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { silentLogger } from '../../lib/log.ts';
import { startLocalRunner } from '../../lib/runtime/local-runner.ts';
import { clusterView, registryView, stateProblems, viewDifferences } from '../support/chaos/convergence.ts';
import { writesToPlanted } from '../support/chaos/foreign-objects.ts';
import { expectConvergedWithinOneSync, startConvergedRunner } from '../support/chaos/expect-converged.ts';
import { registryReachable, RunnerProbe, settleWithinOneSync, startChaosEnv, type ChaosEnv } from '../support/chaos/runner-harness.ts';

const SEED = 1101;
let env: ChaosEnv;

beforeAll(async () => {
  env = await startChaosEnv({ seed: SEED, services: 50, instancesPerService: 3 });
}, 30_000);

afterAll(async () => {
  await env?.close();
});

describe(`registry faults during an event storm (seed ${SEED})`, () => {
  it('converges within one sync after restarts, dropped sockets, 5xx, resets and latency', async () => {
    const { sim, kube, storm, config } = env;
    const ns = config.render.namespace;
    const { runner, probe } = await startConvergedRunner(env);
    try {

      // Restarts are not awaited: the storm goes on changing the registry while it is down.
      let restarts: Promise<void> = Promise.resolve();
      const restart = (downtimeMs: number) => () => void (restarts = restarts.then(() => sim.restart({ downtimeMs })));
      const ops = await storm.run({
        events: 300,
        burst: 5,
        pauseMs: 50,
        at: {
          // a slow consumer: frames trickle out, a socket with a backlog is cut
          10: () => sim.inject({ slowConsumer: { delayMs: 15, maxQueue: 5 } }),
          30: () => sim.dropSockets(),
          50: () => sim.inject({ slowConsumer: null }),
          60: () => sim.inject({ failNext: 8, failStatus: 500 }),
          90: restart(300),
          110: () => sim.inject({ refuseWatch: true }),
          130: () => sim.inject({ refuseWatch: false, latencyMs: 60 }),
          160: () => sim.inject({ resetNext: 6 }),
          190: () => sim.inject({ latencyMs: 0, failNext: 5, failStatus: 503 }),
          210: () => sim.dropSockets(),
          240: restart(200),
          270: () => sim.dropSockets(),
        },
      });
      await restarts;
      sim.clearFaults();
      expect(ops).toHaveLength(300);
      // every kind of change happened (the sequence depends on the seed alone)
      expect(Object.entries(storm.counts).filter(([, n]) => n === 0)).toEqual([]);
      expect(sim.stats().restarts).toBe(2);
      expect(sim.stats().socketsDropped).toBeGreaterThan(0);

      // The faults are over once the client's breaker lets calls through again.
      await registryReachable(runner);
      await expectConvergedWithinOneSync(env, runner, probe);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  // A registry that comes back without its data is not an empty registry to mirror: the
  // mass-deletion guard keeps the mesh, and when the registrations return (services
  // re-register with their ids) one sync converges again.
  it('keeps the mesh when the registry restarts empty, and converges when its data is back', async () => {
    const { sim, kube, config } = env;
    const ns = config.render.namespace;
    const probe = new RunnerProbe();
    const runner = await startLocalRunner(config, { logger: silentLogger, onEvent: probe.onEvent, periodicSync: false });
    try {
      await settleWithinOneSync(runner, probe, Date.now());
      const before = clusterView(kube, ns);
      const watcherName = config.registry.watcherServiceName;
      const dump = sim.governDump().filter((d) => (d['microService'] as { serviceName?: string }).serviceName !== watcherName);

      kube.requestLog.clear();
      await sim.restart({ clearState: true });
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the watch sees every service vanish
      await registryReachable(runner);
      const empty = await settleWithinOneSync(runner, probe, Date.now());
      expect(empty.sync.outcome).toBe('removals-refused');
      expect(kube.requestLog.mutating()).toEqual([]);
      expect(viewDifferences(clusterView(kube, ns), before)).toEqual([]);

      sim.seed({ allServicesDetail: dump });
      const back = await settleWithinOneSync(runner, probe, Date.now());
      expect(back.sync.outcome).toBe('ok');
      expect(viewDifferences(clusterView(kube, ns, env.plantedKeys), registryView(sim, config.render, env.plantedKeys))).toEqual([]);
      expect(await stateProblems(runner.runtime.state, kube, ns, config.render.source)).toEqual([]);
      expect(writesToPlanted(kube.requestLog.entries, env.planted)).toEqual([]);
    } finally {
      await runner.stop();
    }
  }, 30_000);
});
