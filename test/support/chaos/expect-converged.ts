// The claim every chaos scenario ends on, once its faults have stopped: one sync (and the
// pushes it triggers) leaves the cluster equal to the registry, state equal to the
// cluster, sc2mesh's hands off every foreign object, and a following sync writes nothing.
import { expect } from '@jest/globals';
import { silentLogger } from '../../../lib/log.ts';
import { startLocalRunner, type LocalRunner } from '../../../lib/runtime/local-runner.ts';
import { clusterView, registryView, stateProblems, viewDifferences } from './convergence.ts';
import { changedPlanted, writesToPlanted } from './foreign-objects.ts';
import { RunnerProbe, settleWithinOneSync, type ChaosEnv } from './runner-harness.ts';

export async function expectConvergedWithinOneSync(env: ChaosEnv, runner: LocalRunner, probe: RunnerProbe): Promise<void> {
  const { sim, kube, config } = env;
  const ns = config.render.namespace;
  const sync = await settleWithinOneSync(runner, probe, Date.now());
  expect(sync.sync.outcome).toBe('ok');
  expect(viewDifferences(clusterView(kube, ns, env.plantedKeys), registryView(sim, config.render, env.plantedKeys))).toEqual([]);
  expect(await stateProblems(runner.runtime.state, kube, ns, config.render.source)).toEqual([]);
  expect(writesToPlanted(kube.requestLog.entries, env.planted)).toEqual([]);
  expect(changedPlanted(kube, env.planted)).toEqual([]);

  // Converged means quiet: another sync finds nothing to write.
  kube.requestLog.clear();
  await runner.syncNow();
  await runner.flush();
  expect(kube.requestLog.mutating()).toEqual([]);
}

/** A local runner over the chaos env (syncs only when asked), converged before any fault. */
export async function startConvergedRunner(env: ChaosEnv): Promise<{ runner: LocalRunner; probe: RunnerProbe }> {
  const probe = new RunnerProbe();
  const runner = await startLocalRunner(env.config, { logger: silentLogger, onEvent: probe.onEvent, periodicSync: false });
  await runner.flush();
  const ns = env.config.render.namespace;
  expect(viewDifferences(clusterView(env.kube, ns, env.plantedKeys), registryView(env.sim, env.config.render, env.plantedKeys))).toEqual([]);
  return { runner, probe };
}
