// Resilience, fault 2: the Kubernetes API server fails a fifth of the calls with 429
// (Retry-After) or 5xx, slows another fifth (a few writes past the client's timeout) and
// loses the answers of some writes that did take effect, while a storm of registry
// changes runs. The local runner must end equal to the registry within one sync once
// the faults stop, never write to a foreign object, keep its state table in step with
// the cluster, and then sit quiet.
// Seed: SEED (storm sequence and the API server's fault draws).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { KubeClusterWriter } from '../../lib/kube/index.ts';
import { expectConvergedWithinOneSync, startConvergedRunner } from '../support/chaos/expect-converged.ts';
import { forAtMost, startChaosEnv, type ChaosEnv } from '../support/chaos/runner-harness.ts';

const SEED = 2202;
let env: ChaosEnv;

beforeAll(async () => {
  // a short client timeout, so that a slow API server makes the writer time out and retry
  env = await startChaosEnv({ seed: SEED, services: 50, instancesPerService: 3, flags: { 'kube.timeoutMs': 1_500 } });
}, 30_000);

afterAll(async () => {
  await env?.close();
});

describe(`Kubernetes API faults during an event storm (seed ${SEED})`, () => {
  it('converges within one sync after 429/5xx, slow calls, timeouts and lost answers', async () => {
    const { kube, storm } = env;
    const { runner, probe } = await startConvergedRunner(env);
    try {

      // The first matching fault with an error decides the answer, so the rare ones come first.
      // A few 429s ask for a full second; writes that happen but whose answer never arrives;
      // writes slower than the client waits (it times out and retries, each lands late).
      kube.inject({ rate: 0.02, error: 429, retryAfterSeconds: 1, count: 3 });
      kube.inject({ rate: 0.05, methods: ['PATCH', 'DELETE'], error: 'reset', afterEffect: true, count: 15 });
      kube.inject({ rate: 0.1, methods: ['PATCH'], latencyMs: 2_000, count: 3 });
      // A fifth of the calls fail (Retry-After 0 keeps the test fast: the writer then waits
      // its own backoff), and a fifth are slowed.
      kube.inject({ rate: 0.2, error: [429, 429, 500, 502, 503, 504], retryAfterSeconds: 0 });
      kube.inject({ rate: 0.2, latencyMs: 40 });
      await storm.run({ events: 200, burst: 5, pauseMs: 50 });
      // Pushes go on under the faults for a while (draining all of it would take long: a
      // push goes service after service, and every retry's backoff delays the rest).
      await forAtMost(runner.flush(), 3_000);
      kube.clearFaults();
      // The faults did reach the writer, and it retried them.
      expect(kube.requestLog.summary().faults).toBeGreaterThan(0);
      const writer = runner.runtime.cluster;
      if (!(writer instanceof KubeClusterWriter)) throw new Error('expected the Kubernetes writer');
      expect(writer.metrics.retries).toBeGreaterThan(0);

      await expectConvergedWithinOneSync(env, runner, probe);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
