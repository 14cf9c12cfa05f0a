// Two replicas of `sc2mesh run` on one DynamoDB table, as deploy/kubernetes/overlays/dynamodb
// runs them (no leader election): both watch the registry, both sync, both push to the
// same namespace through the same validating API server. What keeps them from fighting:
// a replacement with content the server already holds changes nothing there (no new
// resourceVersion), a create of a name the other already made is AlreadyExists, deletes
// carry uid/resourceVersion preconditions (a second delete is a 404, taken as done), and
// every state write is conditional on the version read, so the loser of a race re-reads
// state and converges again.
//
// The first test measures what each change costs and asserts the claim "safe and
// idempotent": the cluster ends equal to the registry's render, the table in step with it;
// only objects the change concerns are touched; each took exactly one step on the server
// (one generation) however many requests carried it; at most WRITES_PER_OBJECT_MAX requests
// per object; a quiet sync on both writes nothing to the cluster or the table.
//
// The second pins down what two replicas do NOT give: monotonic progress. A replica whose
// push is in flight writes the registry as it read it; if the other replica has meanwhile
// published a newer change, that is undone until the slow replica's own event for the
// change arrives (it heard it too) and its next push repairs it.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { startLocalRunner, type LocalRunner, type RunnerEvent } from '../../lib/runtime/local-runner.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import type { RenderOptions } from '../../lib/render/options.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { silentLogger } from '../../lib/log.ts';
import { startKubeApiServer, type KubeApiServer, type RequestLogEntry } from '../support/kube-api-server/index.ts';
import { kubeconfigYaml } from '../support/kube-api-server/kubeconfig.ts';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/chaos/dynamo-fault-proxy.ts';
import { canonical, clusterView, registryView, stateProblems, viewDifferences, VIEW_KINDS } from '../support/chaos/convergence.ts';

const TABLE = 'sc2mesh-two-runners';
const NAMESPACE = 'sc2mesh';
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
const DYNAMO_WRITES = ['PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem'];
const ORDERS = serviceKeyOf({ environment: 'production', appId: 'shop', serviceName: 'orders' });
/**
 * Both replicas hear an event and push it within milliseconds of each other. The winner of
 * the state write sends one request per object; the loser sends its own and, after
 * StaleStateError, re-reads the service and the cluster and re-plans (a bound, not an exact
 * count: the re-plan usually finds nothing left to write). Deletes: one each, the second a 404.
 */
const WRITES_PER_OBJECT_MAX = 3;
/** the slow replica's Kubernetes writes (second test) */
const SLOW_WRITE_MS = 1_500;

let sim: RegistrySimulator;
let kube: KubeApiServer;
let dynalite: EmbeddedDynalite;
/** one per replica, so DynamoDB requests are counted per replica */
const proxies: DynamoFaultProxy[] = [];
const saved: Record<string, string | undefined> = {};

class Probe {
  readonly pushes: { at: number; keys: readonly string[] }[] = [];
  readonly errors: string[] = [];
  readonly onEvent = (e: RunnerEvent): void => {
    if (e.type === 'push') this.pushes.push({ at: Date.now(), keys: e.batch.keys });
    if (e.type === 'error') this.errors.push(`${e.where}: ${e.error instanceof Error ? e.error.message : String(e.error)}`);
  };
}

interface Replica {
  runner: LocalRunner;
  probe: Probe;
  proxy: DynamoFaultProxy;
}

beforeAll(async () => {
  // The runtime builds its DynamoDB client as in production: credentials from the environment.
  for (const [k, v] of Object.entries(AWS_ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  [sim, kube, dynalite] = await Promise.all([
    startRegistrySimulator({ seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown, dependencyDelayMs: 20 }),
    startKubeApiServer({ namespace: NAMESPACE }),
    startEmbeddedDynalite({ tableName: TABLE }),
  ]);
  for (const seed of [1, 2]) proxies.push(await startDynamoFaultProxy({ target: dynalite.endpoint, seed }));
}, 30_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([sim?.close(), kube?.close(), dynalite?.close()]);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function configFor(proxy: DynamoFaultProxy, kubeconfigPath: string): Promise<Sc2meshConfig> {
  return loadConfig({
    env: {},
    flags: {
      'registry.addresses': [sim.baseUrl],
      'registry.listIntervalMs': 300,
      'kube.kubeconfig': kubeconfigPath,
      'kube.qps': 0,
      'state.table': TABLE,
      'state.endpoint': proxy.url,
      'state.region': 'eu-west-1',
      'server.port': 0,
      'debounce.quietMs': 200,
      'debounce.maxDelayMs': 1000,
      'log.level': 'silent',
    },
  });
}

let render: RenderOptions;

async function startReplica(proxy: DynamoFaultProxy, kubeconfigPath = kube.kubeconfigPath): Promise<Replica> {
  const config = await configFor(proxy, kubeconfigPath);
  render = config.render;
  const probe = new Probe();
  // No timer, so that every sync below is the test's; everything else is `sc2mesh run`.
  const runner = await startLocalRunner(config, { logger: silentLogger, onEvent: probe.onEvent, periodicSync: false });
  return { runner, probe, proxy };
}

const ordersV11 = (): string => (sim.listServices().find((s) => s['serviceName'] === 'orders' && s['version'] === '1.1.0') as { serviceId: string }).serviceId;

interface ObjectMeta {
  generation: number;
  resourceVersion: string;
}

function objectMetas(): Map<string, ObjectMeta> {
  const out = new Map<string, ObjectMeta>();
  for (const kind of VIEW_KINDS) {
    for (const o of kube.store.list(kind, NAMESPACE)) {
      const m = o['metadata'] as { name: string; generation: number; resourceVersion: string };
      out.set(`${kind}/${m.name}`, { generation: m.generation, resourceVersion: m.resourceVersion });
    }
  }
  return out;
}

const KIND_OF_RESOURCE: Record<string, string> = { serviceentries: 'ServiceEntry', workloadentries: 'WorkloadEntry', destinationrules: 'DestinationRule' };

/** `Kind/name` → methods of the mutating requests that addressed it */
function writesByObject(entries: readonly RequestLogEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries) {
    const parts = e.objectPath.split('/');
    const key = `${KIND_OF_RESOURCE[parts.at(-2) ?? ''] ?? parts.at(-2) ?? ''}/${decodeURIComponent(parts.at(-1) ?? '')}`;
    (out[key] ??= []).push(e.method);
  }
  return out;
}

function dynamoWrites(proxy: DynamoFaultProxy): number {
  const { requests } = proxy.stats();
  return DYNAMO_WRITES.reduce((n, op) => n + (requests[op] ?? 0), 0);
}

async function expectConverged(replicas: readonly Replica[]): Promise<void> {
  const differences = await eventually(() => viewDifferences(clusterView(kube, NAMESPACE), registryView(sim, render)), (d) => d.length === 0, 10_000, 'the cluster equal to the registry').catch(() =>
    viewDifferences(clusterView(kube, NAMESPACE), registryView(sim, render)),
  );
  expect(differences).toEqual([]);
  for (const r of replicas) expect(await stateProblems(r.runner.runtime.state, kube, NAMESPACE, render.source)).toEqual([]);
  for (const r of replicas) expect(r.probe.errors).toEqual([]);
}

async function expectQuietSyncWritesNothing(replicas: readonly Replica[]): Promise<void> {
  kube.requestLog.clear();
  const before = replicas.map((r) => dynamoWrites(r.proxy));
  await Promise.all(replicas.map((r) => r.runner.syncNow()));
  await Promise.all(replicas.map((r) => r.runner.flush()));
  expect(kube.requestLog.mutating().map((e) => `${e.method} ${e.path}`)).toEqual([]);
  expect(replicas.map((r) => dynamoWrites(r.proxy))).toEqual(before);
}

/**
 * One registry change, then a wait until each replica has pushed the service; asserts
 * that the server changed exactly what the render says changed, each object by one step,
 * and returns the requests per object.
 */
async function change(replicas: readonly Replica[], serviceKey: string, act: () => void): Promise<Record<string, string[]>> {
  const before = objectMetas();
  const renderedBefore = registryView(sim, render);
  kube.requestLog.clear();
  const at = Date.now();
  act();
  for (const [i, r] of replicas.entries()) {
    await eventually(() => r.probe.pushes.filter((p) => p.at >= at && p.keys.includes(serviceKey)), (p) => p.length > 0, 10_000, `replica ${i} pushed ${serviceKey}`);
  }
  await Promise.all(replicas.map((r) => r.runner.flush()));
  const after = objectMetas();
  const renderedAfter = registryView(sim, render);
  const rendered = [...new Set([...Object.keys(renderedBefore), ...Object.keys(renderedAfter)])].filter((k) => canonical(renderedBefore[k]) !== canonical(renderedAfter[k])).sort();
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k)?.resourceVersion !== after.get(k)?.resourceVersion).sort();
  expect(changed).toEqual(rendered);
  for (const k of changed) {
    const was = before.get(k);
    const is = after.get(k);
    if (is !== undefined) expect({ k, generation: is.generation }).toEqual({ k, generation: was === undefined ? 1 : was.generation + 1 });
  }
  const writes = writesByObject(kube.requestLog.mutating());
  expect(Object.keys(writes).sort()).toEqual(changed);
  return writes;
}

function expectAtMostPerObject(writes: Record<string, string[]>, max: number): void {
  expect(Object.entries(writes).filter(([, methods]) => methods.length > max)).toEqual([]);
}

describe('two `sc2mesh run` replicas on one DynamoDB table', () => {
  it('converge together, change each object once on the server, and write nothing when nothing changed', async () => {
    const replicas = await Promise.all(proxies.map((p) => startReplica(p)));
    try {
      // Both start at once on an empty table: each finds every service new and pushes it.
      await Promise.all(replicas.map((r) => r.runner.flush()));
      await expectConverged(replicas);
      for (const [k, m] of objectMetas()) expect({ k, generation: m.generation }).toEqual({ k, generation: 1 });
      const initial = writesByObject(kube.requestLog.mutating());
      expect(Object.keys(initial).sort()).toEqual([...objectMetas().keys()].sort());
      expectAtMostPerObject(initial, WRITES_PER_OBJECT_MAX);
      await expectQuietSyncWritesNothing(replicas);

      const ordersId = ordersV11();
      let added = '';
      const steps: [string, () => void][] = [
        ['scale up', () => (added = sim.registerInstance(ordersId, { hostName: 'o-7', endpoints: ['rest://10.0.1.77:8080'], status: 'UP' }, { keepAlive: true }))],
        ['instance DOWN', () => sim.setInstanceStatus(ordersId, added, 'DOWN')],
        ['instance UP again', () => sim.setInstanceStatus(ordersId, added, 'UP')],
        ['instance unregistered', () => sim.unregisterInstance(ordersId, added)],
      ];
      for (const [name, act] of steps) {
        const writes = await change(replicas, ORDERS, act);
        expect({ name, objects: Object.keys(writes).length }).toEqual({ name, objects: 1 });
        expectAtMostPerObject(writes, WRITES_PER_OBJECT_MAX);
        await expectConverged(replicas);
        await expectQuietSyncWritesNothing(replicas);
      }
    } finally {
      await Promise.all(replicas.map((r) => r.runner.stop()));
    }
  }, 90_000);

  it('are not monotonic: a push in flight on one replica briefly re-publishes what the other has just removed, and its next push repairs it', async () => {
    const slow = await startSlowWriteProxy(kube.url, SLOW_WRITE_MS);
    const [fast, late] = [await startReplica(proxies[0] as DynamoFaultProxy), await startReplica(proxies[1] as DynamoFaultProxy, slow.kubeconfigPath)] as [Replica, Replica];
    const timeline: { ms: number; present: boolean }[] = [];
    let poll: NodeJS.Timeout | undefined;
    try {
      await Promise.all([fast.runner.flush(), late.runner.flush()]);
      await expectConverged([fast, late]);

      const ordersId = ordersV11();
      const address = '10.0.1.88';
      const present = (): boolean => kube.store.list('WorkloadEntry', NAMESPACE).some((o) => (o['spec'] as { address?: string }).address === address);
      const heldWrite = slow.nextHeldWrite();
      const t0 = Date.now();
      poll = setInterval(() => {
        const now = present();
        if (timeline.at(-1)?.present !== now) timeline.push({ ms: Date.now() - t0, present: now });
      }, 5);
      const instance = sim.registerInstance(ordersId, { hostName: 'o-8', endpoints: [`rest://${address}:8080`], status: 'UP' }, { keepAlive: true });
      // The slow replica has read the registry (the instance is there) and its write is on the way;
      // the fast one has already published the instance.
      await heldWrite;
      await eventually(present, (p) => p, 5_000, 'the fast replica published the instance');
      // The 5 ms poll may not have recorded the publish yet; the removal must come after it does,
      // or the timeline since the removal starts with that publish.
      await eventually(() => timeline.at(-1)?.present, (p) => p === true, 1_000, 'the timeline recorded the publish');
      const removedAt = Date.now() - t0;
      sim.unregisterInstance(ordersId, instance);

      const since = (): { ms: number; present: boolean }[] => timeline.filter((t) => t.ms > removedAt);
      await eventually(() => since().map((t) => t.present).join(), (seq) => seq === 'false,true,false', 6 * SLOW_WRITE_MS + 5_000, 'removed, re-published, removed again').catch(() => undefined);
      expect({ removedAt, timeline, sequence: since().map((t) => t.present) }).toMatchObject({ sequence: [false, true, false] });
      const [gone, back, repaired] = since().map((t) => t.ms) as [number, number, number];
      // Removed by the fast replica within its debounce; written back by the slow replica's
      // write already in flight; removed again once the slow replica re-reads (after losing
      // the state race) or pushes the unregister event it heard too.
      expect(gone - removedAt).toBeLessThan(SLOW_WRITE_MS);
      expect(repaired - back).toBeLessThan(3 * SLOW_WRITE_MS + 1_000);
      await Promise.all([fast.runner.flush(), late.runner.flush()]);
      await expectConverged([fast, late]);
      clearInterval(poll);
      await expectQuietSyncWritesNothing([fast, late]);
    } finally {
      clearInterval(poll);
      await Promise.all([fast.runner.stop(), late.runner.stop()]);
      await slow.close();
    }
  }, 60_000);
});

/**
 * An HTTP proxy to the test API server that holds every mutating request for `delayMs`:
 * one replica whose writes are slow (a throttled API server, a large push ahead of them).
 */
async function startSlowWriteProxy(target: string, delayMs: number): Promise<{ kubeconfigPath: string; nextHeldWrite(): Promise<string>; close(): Promise<void> }> {
  const upstream = new URL(target);
  let waiting: ((path: string) => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = (): void => {
        const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.destroy());
        out.end(Buffer.concat(chunks));
      };
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) return forward();
      for (const w of waiting) w(req.url ?? '');
      waiting = [];
      setTimeout(forward, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = await mkdtemp(join(tmpdir(), 'sc2mesh-slow-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, NAMESPACE, 'sc2mesh-test-token'));
  return {
    kubeconfigPath,
    nextHeldWrite: () => new Promise<string>((resolve) => waiting.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
