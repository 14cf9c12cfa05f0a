// The serverless pipeline end to end, in one process, with every part real except AWS:
//
//   registry simulator ──ws──▶ watcher (lib/runtime/watcher-service.ts) ──▶ SQS fake
//   SQS fake ──SQS events──▶ functions/push.ts handler ──SSA──▶ validating Kubernetes API server
//   state: DynamoDB API on dynalite; functions/sync.ts and functions/resync.ts invoked directly
//
// A small "event source mapping" (test/support/e2e/lambda-sqs-loop.ts) drains the queue:
// delayed messages (debounce ticks, retries) wait until visible, records the handler does
// not report as failed are deleted. Every scenario ends with the cluster equal to what
// rendering the simulator's current registry gives, and checks the writes the API server
// saw against the objects that actually had to change.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import type { IstioKind } from '../../lib/model/istio.ts';
import type { DirtyMessage } from '../../lib/queue/dirty-message.ts';
import { silentLogger } from '../../lib/log.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { lambdaRuntime } from '../../lib/runtime/lambda-runtime.ts';
import { startWatcher, type Watcher } from '../../lib/runtime/watcher-service.ts';
import type { StateStore } from '../../lib/state/state-store.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { handler as pushHandler } from '../../functions/push.ts';
import { handler as syncHandler } from '../../functions/sync.ts';
import { handler as resyncHandler } from '../../functions/resync.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import type { JsonObject } from '../support/kube-api-server/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { createLambdaSqsLoop, lambdaContext, type LambdaSqsLoop } from '../support/e2e/lambda-sqs-loop.ts';
import { changedObjects, clusterView, renderSimulator, simulatorView, writesIn, type ClusterView } from '../support/e2e/cluster-view.ts';

const NS = 'sc2mesh';
const QUEUE = 'sc2mesh-e2e-work';
const TABLE = 'sc2mesh-e2e-state';
const REGION = 'eu-west-1';
const KINDS: IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule'];
const key = (serviceName: string): string => serviceKeyOf({ environment: '', appId: 'shop', serviceName });
const CART = key('cart');
const LEDGER = key('ledger');

let sim: RegistrySimulator;
let kube: KubeApiServer;
let sqs: SqsFake;
let dynamo: EmbeddedDynalite;
let config: Sc2meshConfig;
let watcher: Watcher | undefined;
let loop: LambdaSqsLoop;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [sim, kube, sqs, dynamo] = await Promise.all([
    // short heartbeat minimums: the expiry scenario lets an instance lapse within a second
    startRegistrySimulator({ dependencyDelayMs: 20, heartbeat: { minInterval: 0, minTimes: 0, sweepIntervalMs: 100 } }),
    startKubeApiServer({ namespace: NS }),
    startSqsFake({ queues: [QUEUE] }),
    startEmbeddedDynalite({ tableName: TABLE }),
  ]);
  // What serverless.yml gives the functions, pointed at the local parts; the handlers
  // read it from process.env on their first invocation, the watcher from the same config.
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl,
    SC2MESH_REGISTRY_LIST_INTERVAL_MS: '200',
    SC2MESH_KUBE_MODE: 'kubeconfig',
    SC2MESH_KUBE_KUBECONFIG: kube.kubeconfigPath,
    SC2MESH_STATE_TABLE: TABLE,
    SC2MESH_STATE_ENDPOINT: dynamo.endpoint,
    SC2MESH_QUEUE_URL: sqs.queueUrl(QUEUE),
    SC2MESH_QUEUE_ENDPOINT: sqs.endpoint,
    SC2MESH_RENDER_NAMESPACE: NS,
    SC2MESH_RENDER_DESTINATION_RULES: 'true',
    SC2MESH_DEBOUNCE_QUIET_MS: '200',
    SC2MESH_DEBOUNCE_MAX_DELAY_MS: '1000',
    SC2MESH_SERVER_PORT: '0',
    SC2MESH_LOG_LEVEL: 'silent',
  };
  // Hermetic: no SC2MESH_* setting of the developer's shell reaches the handlers.
  for (const name of Object.keys(process.env)) if (name.startsWith('SC2MESH_') && name !== 'SC2MESH_SHARED_DIR') delete process.env[name];
  Object.assign(process.env, env);
  config = await loadConfig({ env: process.env });
  watcher = await startWatcher(config, { logger: silentLogger, batchWindowMs: 50, watch: { pingIntervalMs: 1_000, reconnect: { baseMs: 20, maxMs: 200 } } });
  loop = createLambdaSqsLoop({ endpoint: sqs.endpoint, queueUrl: sqs.queueUrl(QUEUE), region: REGION, handler: (event, context) => pushHandler(event, context) });
}, 30_000);

afterAll(async () => {
  await watcher?.stop();
  loop?.close();
  // the Lambda container's runtime (registry and DynamoDB clients) is built once per module
  await (await lambdaRuntime(arn()).catch(() => undefined))?.close();
  await Promise.all([sim?.close(), kube?.close(), sqs?.close(), dynamo?.close()]);
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

function arn(): string {
  return lambdaContext('push', REGION).invokedFunctionArn;
}

function context(functionName: string): Context {
  return lambdaContext(functionName, REGION);
}

const cluster = (): ClusterView => clusterView(kube, NS, KINDS);
const expected = (): ClusterView => simulatorView(sim, config.render);
const same = (a: ClusterView, b: ClusterView): boolean => changedObjects(a, b).length === 0;

/** Runs the queue until it is empty, the watcher holds nothing, and the cluster equals the render of the registry. */
async function settle(what: string, timeoutMs = 15_000): Promise<void> {
  await loop.runUntil(() => watcher?.pendingKeys() === 0 && sqs.messages(QUEUE).length === 0 && same(cluster(), expected()), {
    what,
    timeoutMs,
    describe: () => ({ differing: changedObjects(cluster(), expected()), queued: sqs.messages(QUEUE).map((m) => m.body), pending: watcher?.pendingKeys() }),
  });
  expect(cluster()).toEqual(expected());
}

/** Each object that had to change was written exactly once, and nothing else was written. */
function expectOnlyNeededWrites(before: ClusterView): string[] {
  const writes = writesIn(kube.requestLog.entries);
  const written = writes.map((w) => w.slice(w.indexOf(' ') + 1));
  expect([...written].sort()).toEqual(changedObjects(before, cluster()));
  return writes;
}

function objectsOf(serviceKey: string): string[] {
  const service = renderSimulator(sim, config.render).services.find((s) => s.key === serviceKey);
  return (service?.objects ?? []).map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

function instanceIds(serviceId: string): string[] {
  return [...(sim.snapshot().get(serviceId) ?? [])].sort();
}

/** Wraps the state store so that recording `serviceKey` fails once: the cluster was written, state was not. */
function crashOnceOnPut(state: StateStore, serviceKey: string): { state: StateStore; crashed: () => boolean } {
  let crashed = false;
  const wrapped = new Proxy(state, {
    get(target, property) {
      if (property === 'putService') {
        return async (...args: Parameters<StateStore['putService']>) => {
          if (!crashed && args[0].serviceKey === serviceKey) {
            crashed = true;
            throw new Error(`injected crash: state write of ${serviceKey} lost after the cluster write`);
          }
          return target.putService(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { state: wrapped, crashed: () => crashed };
}

let cartV1 = '';
let cartV2 = '';
let ledger = '';

describe('serverless pipeline, end to end', () => {
  it('publishes a newly registered service with its instances', async () => {
    const before = cluster();
    kube.requestLog.clear();
    cartV1 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    for (const n of [1, 2]) sim.registerInstance(cartV1, { instanceId: `cart-1-${n}`, hostName: `cart-${n}`, endpoints: [`rest://10.0.1.${n}:8080`] }, { keepAlive: true });
    await settle('cart published');
    // one version: no DestinationRule (render.subsets multi-version), it comes with the second
    expect(objectsOf(CART).map((k) => k.split('/')[0])).toEqual(['ServiceEntry', 'WorkloadEntry', 'WorkloadEntry']);
    expect(Object.keys(cluster()).sort()).toEqual(objectsOf(CART));
    expect(expectOnlyNeededWrites(before).every((w) => w.startsWith('POST '))).toBe(true);
    // the whole path ran: a watch message opened a debounce cycle, a delayed tick pushed it
    const reasons = loop.invocations.flatMap((i) => i.bodies.map((b) => (JSON.parse(b) as { reason: string }).reason));
    expect(reasons[0]).toBe('watch');
    expect(reasons).toContain('tick');
    expect(loop.invocations.every((i) => i.failures.length === 0)).toBe(true);
  });

  it('deletes the WorkloadEntry of a deregistered instance', async () => {
    const extra = sim.registerInstance(cartV1, { instanceId: 'cart-1-3', hostName: 'cart-3', endpoints: ['rest://10.0.1.3:8080'] }, { keepAlive: true });
    await settle('third cart instance published');
    const before = cluster();
    kube.requestLog.clear();
    sim.unregisterInstance(cartV1, extra);
    await settle('third cart instance removed');
    const writes = expectOnlyNeededWrites(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^DELETE WorkloadEntry\//);
  });

  it('removes the WorkloadEntry of an instance going DOWN and restores it when it is UP again', async () => {
    let before = cluster();
    kube.requestLog.clear();
    sim.setInstanceStatus(cartV1, 'cart-1-2', 'DOWN');
    await settle('DOWN instance unpublished');
    let writes = expectOnlyNeededWrites(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^DELETE WorkloadEntry\//);
    const removed = (writes[0] as string).slice('DELETE '.length);

    before = cluster();
    kube.requestLog.clear();
    sim.setInstanceStatus(cartV1, 'cart-1-2', 'UP');
    await settle('UP instance published again');
    writes = expectOnlyNeededWrites(before);
    expect(writes).toEqual([`POST ${removed}`]);
  });

  it('removes the WorkloadEntry of an instance whose heartbeats stop (lease expiry → DELETE event)', async () => {
    const before = cluster();
    const id = sim.registerInstance(cartV1, { instanceId: 'cart-1-hb', hostName: 'cart-hb', endpoints: ['rest://10.0.1.9:8080'], healthCheck: { mode: 'push', interval: 2, times: 0 } });
    const beat = setInterval(() => sim.heartbeat(cartV1, id), 250);
    try {
      await settle('heartbeating instance published');
    } finally {
      clearInterval(beat);
    }
    expect(changedObjects(before, cluster())).toHaveLength(1);
    const published = cluster();
    kube.requestLog.clear();
    const deleteEvent = new Promise<string>((resolve) => {
      const off = (watcher as Watcher).watch.on('instance-deleted', (e) => {
        if (e.instance.instanceId !== id) return;
        off();
        resolve(e.instance.instanceId);
      });
    });
    await eventually(() => instanceIds(cartV1), (ids) => !ids.includes(id), 5_000, 'the lease expired');
    // the registry told the watcher over its socket
    expect(await deleteEvent).toBe(id);
    await settle('expired instance unpublished');
    const writes = expectOnlyNeededWrites(published);
    expect(writes).toEqual([expect.stringMatching(/^DELETE WorkloadEntry\//)]);
    expect(cluster()).toEqual(before);
  });

  it('publishes a new version under the same ServiceEntry host, with a DestinationRule subset per version', async () => {
    const seBefore = kube.store.list('ServiceEntry', NS);
    const before = cluster();
    kube.requestLog.clear();
    cartV2 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' });
    sim.registerInstance(cartV2, { instanceId: 'cart-2-1', hostName: 'cart-v2', endpoints: ['rest://10.0.2.1:8080'] }, { keepAlive: true });
    await settle('version 2 published');
    const ses = kube.store.list('ServiceEntry', NS);
    expect(ses).toHaveLength(1);
    expect(ses.map((o) => o['spec'])).toEqual(seBefore.map((o) => o['spec'])); // same host, same selector
    const wes = kube.store.list('WorkloadEntry', NS).map((o) => (o['spec'] as { labels: Record<string, string> }).labels['version']);
    expect(wes.sort()).toEqual(['1.0.0', '1.0.0', '2.0.0']);
    const [rule] = kube.store.list('DestinationRule', NS);
    expect(((rule?.['spec'] as { subsets: { labels: Record<string, string> }[] }).subsets ?? []).map((s) => s.labels['version'])).toEqual(['1.0.0', '2.0.0']);
    const writes = expectOnlyNeededWrites(before);
    // the ServiceEntry's spec stays; its annotation listing the registry's service ids gains v2;
    // the DestinationRule is new, now that there are two versions to route between
    expect(writes.map((w) => w.split('/')[0]).sort()).toEqual(['POST DestinationRule', 'POST WorkloadEntry', 'PUT ServiceEntry']);
  });

  it('after a crash between the cluster write and the state write, the next scheduled sync converges', async () => {
    // The crash: recording ledger's state fails after its objects reached the cluster, and
    // the dying invocation sends nothing more (its retry of the key is lost with it). Only
    // the scheduled sync can notice.
    const rt = await lambdaRuntime(arn());
    const real = { state: rt.state, queue: rt.queue };
    const crash = crashOnceOnPut(real.state, LEDGER);
    const lost: DirtyMessage[] = [];
    rt.state = crash.state;
    rt.queue = {
      async send(messages, options) {
        if (!crash.crashed()) return real.queue.send(messages, options);
        lost.push(...messages);
        return { messages: 0, requests: 0, retriedEntries: 0 };
      },
    };
    try {
      kube.requestLog.clear();
      ledger = sim.registerService({ appId: 'shop', serviceName: 'ledger', version: '1.0.0' });
      for (const n of [1, 2]) sim.registerInstance(ledger, { instanceId: `ledger-${n}`, hostName: `ledger-${n}`, endpoints: [`rest://10.0.3.${n}:9090`] }, { keepAlive: true });
      await loop.runUntil(crash.crashed, { what: 'the push crashed', timeoutMs: 10_000 });
    } finally {
      rt.state = real.state;
      rt.queue = real.queue;
    }
    expect(lost.flatMap((m) => m.keys)).toEqual([LEDGER]); // the retry the crash cut off
    // the objects reached the cluster; state does not know them
    const ledgerObjects = objectsOf(LEDGER);
    // ServiceEntry and two WorkloadEntries; one version, so no DestinationRule
    expect(ledgerObjects).toHaveLength(3);
    for (const k of ledgerObjects) expect(cluster()).toHaveProperty([k]);
    expect(await real.state.getService(LEDGER)).toBeUndefined();
    const versions = (): string[] =>
      ledgerObjects.map((k) => {
        const [kind, name] = k.split('/') as [IstioKind, string];
        return String((kube.store.get(kind, NS, name)?.['metadata'] as JsonObject)['resourceVersion']);
      });
    const versionsAfterCrash = versions();
    expect(writesIn(kube.requestLog.entries).sort()).toEqual(ledgerObjects.map((k) => `POST ${k}`));

    kube.requestLog.clear();
    const sync = (await syncHandler({}, context('sync'))) as { outcome: string; dirty: number; removed: number };
    expect(sync).toMatchObject({ outcome: 'ok', dirty: 1, removed: 0 });
    await settle('converged after the sync');
    const recorded = await real.state.getService(LEDGER);
    expect(Object.keys(recorded?.objects ?? {})).toHaveLength(ledgerObjects.length);
    // The push looks at what the cluster holds for the service: the objects the crash left
    // already carry the rendered content hash, so they are adopted into state with no write.
    expect(writesIn(kube.requestLog.entries)).toEqual([]);
    expect(versions()).toEqual(versionsAfterCrash);
  });

  it('converges under duplicated and reordered messages, without extra writes', async () => {
    const before = cluster();
    kube.requestLog.clear();
    const holding = (k: string) => (): boolean => sqs.messages(QUEUE).some((m) => m.body.includes('"reason":"watch"') && m.body.includes(JSON.stringify(k)));
    sim.registerInstance(cartV2, { instanceId: 'cart-2-2', hostName: 'cart-v2-2', endpoints: ['rest://10.0.2.2:8080'] }, { keepAlive: true });
    await eventually(holding(CART), (held) => held, 5_000, 'a watch message for cart');
    sim.unregisterInstance(ledger, 'ledger-2');
    await eventually(holding(LEDGER), (held) => held, 5_000, 'a watch message for ledger');
    const records = await loop.receive();
    expect(records.length).toBeGreaterThanOrEqual(2);
    // delivered newest first, and every record twice (at-least-once delivery)
    const reversed = [...records].reverse();
    expect((await loop.invoke(reversed))?.batchItemFailures).toEqual([]);
    expect((await loop.invoke(reversed))?.batchItemFailures).toEqual([]);
    await loop.acknowledge(records);
    await settle('converged after duplicates');
    const writes = expectOnlyNeededWrites(before);
    expect(writes.sort()).toEqual([expect.stringMatching(/^DELETE WorkloadEntry\//), expect.stringMatching(/^POST WorkloadEntry\//)]);

    // the same records once more, long after: a full push cycle, zero writes
    kube.requestLog.clear();
    await loop.invoke(records);
    await settle('converged after a late duplicate');
    expect(writesIn(kube.requestLog.entries)).toEqual([]);
  }, 30_000);

  it('the resync function restores an object deleted by hand and one edited by hand', async () => {
    const good = cluster();
    const weName = (Object.keys(good).find((k) => k.startsWith('WorkloadEntry/')) as string).slice('WorkloadEntry/'.length);
    expect(kube.store.delete('WorkloadEntry', NS, weName)).toBe(true);
    kube.requestLog.clear();
    const repaired = (await resyncHandler({}, context('resync'))) as { outcome: string; missing: number; edited: number; applied: number; deleted: number };
    expect(repaired).toMatchObject({ outcome: 'ok', missing: 1, edited: 0, applied: 1, deleted: 0 });
    expect(cluster()).toEqual(good);
    expect(writesIn(kube.requestLog.entries)).toEqual([`POST WorkloadEntry/${weName}`]);

    // a person changes a field sc2mesh owns (the address), as `kubectl edit` would
    const live = kube.store.get('WorkloadEntry', NS, weName) as JsonObject;
    kube.store.put({ ...live, spec: { ...(live['spec'] as JsonObject), address: '10.99.99.99' } }, { manager: 'kubectl-edit' });
    expect(cluster()).not.toEqual(good);
    kube.requestLog.clear();
    const restored = (await resyncHandler({}, context('resync'))) as { outcome: string; missing: number; edited: number; applied: number };
    expect(restored).toMatchObject({ outcome: 'ok', missing: 0, edited: 1, applied: 1 });
    expect(cluster()).toEqual(good);
    // an edited object is replaced whole (PUT with its resourceVersion), not patched
    expect(writesIn(kube.requestLog.entries)).toEqual([`PUT WorkloadEntry/${weName}`]);
    await settle('nothing queued by the resync');
  });

  it('deletes the DestinationRule of a service that drops back to one version', async () => {
    const ruleKey = objectsOf(CART).find((k) => k.startsWith('DestinationRule/'));
    expect(ruleKey).toBeDefined();
    const before = cluster();
    kube.requestLog.clear();
    for (const id of instanceIds(cartV2)) sim.unregisterInstance(cartV2, id);
    await settle('cart back to one version');
    expect(objectsOf(CART).some((k) => k.startsWith('DestinationRule/'))).toBe(false);
    expect(kube.store.list('DestinationRule', NS)).toEqual([]);
    const writes = expectOnlyNeededWrites(before);
    expect(writes).toContain(`DELETE ${ruleKey as string}`);
  });

  it('a scheduled sync after all that finds nothing to do and writes nothing', async () => {
    kube.requestLog.clear();
    const sync = (await syncHandler({}, context('sync'))) as { outcome: string; dirty: number; removed: number; audit: { repaired: number; deleted: number } | null };
    expect(sync).toMatchObject({ outcome: 'ok', dirty: 0, removed: 0, audit: { repaired: 0, deleted: 0 } });
    expect(writesIn(kube.requestLog.entries)).toEqual([]);
    expect(sqs.messages(QUEUE)).toEqual([]);
    expect(cluster()).toEqual(expected());
  });
});
