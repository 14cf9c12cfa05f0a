// Resilience, fault 3: the state table throttles. A proxy in front of dynalite answers a
// fifth of the DynamoDB requests with ProvisionedThroughputExceededException or
// ThrottlingException (HTTP 400, DynamoDB's wire format), and loses the answer of a few
// writes that did take effect (HTTP 500 afterwards), while a storm of registry changes
// runs through the local runner, whose state store reaches DynamoDB through the proxy
// with the production client code (AWS_MAX_ATTEMPTS=2, so the SDK gives up often enough
// for sc2mesh's own handling to be exercised). Once the faults stop, one sync must leave
// the cluster equal to the registry and the state table in step with the cluster.
// Seed: SEED (storm sequence and the proxy's fault draws).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { localDynamoClient, startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/chaos/dynamo-fault-proxy.ts';
import { expectConvergedWithinOneSync, startConvergedRunner } from '../support/chaos/expect-converged.ts';
import { forAtMost, startChaosEnv, type ChaosEnv } from '../support/chaos/runner-harness.ts';

const SEED = 3303;
const TABLE = 'sc2mesh-chaos-state';
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_MAX_ATTEMPTS: '2' };
let dynalite: EmbeddedDynalite;
let proxy: DynamoFaultProxy;
let env: ChaosEnv;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ tableName: TABLE });
  proxy = await startDynamoFaultProxy({ target: dynalite.endpoint, seed: SEED });
  // The runtime builds its DynamoDB client as in production: credentials from the environment.
  for (const [k, v] of Object.entries(AWS_ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  env = await startChaosEnv({
    seed: SEED,
    services: 50,
    instancesPerService: 3,
    flags: { 'state.table': TABLE, 'state.endpoint': proxy.url, 'state.region': 'eu-west-1' },
  });
}, 30_000);

afterAll(async () => {
  await env?.close();
  await proxy?.close();
  await dynalite?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe(`DynamoDB throttling during an event storm (seed ${SEED})`, () => {
  it('converges within one sync, with state in step with the cluster', async () => {
    const { storm } = env;
    const { runner, probe } = await startConvergedRunner(env);
    try {

      proxy.inject({ rate: 0.1, count: 6, operations: ['PutItem', 'DeleteItem', 'BatchWriteItem'], faults: ['InternalServerError-after-effect'] });
      proxy.inject({ rate: 0.2, faults: ['ProvisionedThroughputExceededException', 'ThrottlingException'] });
      await storm.run({ events: 200, burst: 5, pauseMs: 50 });
      await forAtMost(runner.flush(), 3_000);
      proxy.clear();
      const faults = Object.values(proxy.stats().faults).reduce((a, b) => a + b, 0);
      expect(faults).toBeGreaterThan(0);

      await expectConvergedWithinOneSync(env, runner, probe);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  // The lost answer the scenario above runs into, alone: the summary write takes effect,
  // its answer is lost, the SDK retries and the retry fails its own condition. Before the
  // fix the store took that for a lost race and deleted the object items the new summary
  // refers to, leaving the service's state corrupt (and every later push of it failing).
  it('a recorded push whose answer was lost is kept, not mistaken for a lost race', async () => {
    const client = localDynamoClient(proxy.url);
    try {
      const state = createDynamoStateStore({ client, tableName: TABLE });
      await state.putService({ serviceKey: '/chaos/lost-answer', objectsHash: 'h1', objects: { 'WorkloadEntry/sc2mesh/a': 'aaaa' }, lastPushAt: 1 }, undefined);
      const previous = await state.getService('/chaos/lost-answer');
      proxy.inject({ rate: 1, count: 1, operations: ['PutItem'], faults: ['InternalServerError-after-effect'] });
      const objects = { 'WorkloadEntry/sc2mesh/a': 'bbbb', 'WorkloadEntry/sc2mesh/b': 'cccc' };
      const put = await state.putService({ serviceKey: '/chaos/lost-answer', objectsHash: 'h2', objects, lastPushAt: 2 }, previous);
      proxy.clear();
      expect(proxy.stats().faults['PutItem']).toBeGreaterThan(0);
      expect(put).toEqual({ written: true, version: 2 });
      expect(await state.getService('/chaos/lost-answer')).toMatchObject({ objectsHash: 'h2', version: 2, objects });
      // and the superseded object items went, as after any write
      expect((await state.listServicesWithObjects()).orphans.filter((o) => o.sk.startsWith('/chaos/lost-answer#'))).toEqual([]);
    } finally {
      proxy.clear();
      client.destroy();
    }
  });
});
