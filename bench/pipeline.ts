// `npm run bench -- pipeline`: what a sync + push writes, on real parts (the
// KubeClusterWriter over HTTP against the validating test API server, state on dynalite,
// a generated registry behind the same registry-source adapter as production).
//  - writes per changed object: converge a 500-service registry, change ~50 instances
//    (added, removed, UP → DOWN), sync + push; Kubernetes mutating requests divided by
//    the objects whose rendered content really changed (computed independently, by
//    rendering the registry before and after and comparing the objects);
//  - a sync + push with nothing changed: Kubernetes mutating requests + DynamoDB writes;
//  - one instance added to a 100-instance service: requests and bytes in workloadentry
//    mode, bytes in inline mode (the ServiceEntry with every endpoint is sent again);
//  - DynamoDB read units of one minute-sync at 10,000 services (state seeded with
//    importServices; the sync lists the registry and the state summaries).
// Runs alone too: `npm exec -- node --disable-warning=ExperimentalWarning bench/pipeline.ts`.
import { pathToFileURL } from 'node:url';
import type { MicroServiceInstance, ServiceDetail } from '../lib/model/registry.ts';
import { desiredState, objectHashes, type DesiredState } from '../lib/pipeline/desired-state.ts';
import { pushServices } from '../lib/pipeline/push.ts';
import { syncOnce } from '../lib/pipeline/sync.ts';
import { resolveRenderOptions, type RenderMode } from '../lib/render/options.ts';
import { partsOf } from '../lib/render/service-group.ts';
import { serviceKeyOf } from '../lib/names/service-names.ts';
import type { ServiceRecord } from '../lib/state/state-store.ts';
import { generateRegistry, seededRandom } from '../test/support/registry-generator.ts';
import { StaticRegistrySource } from '../test/support/static-registry-source.ts';
import { startPipelineRig } from './pipeline-support.ts';

export interface PipelineBenchOptions {
  /** services in the converged registry of the change run (default 500) */
  services?: number;
  /** instances changed in it (default 50) */
  changes?: number;
  /** instances of the service that gets one more (default 100) */
  bigServiceInstances?: number;
  /** services of the read-unit run (default 10,000) */
  syncServices?: number;
}

export interface PipelineBench {
  /** Kubernetes mutating requests / objects whose content changed (goal 1.0) */
  writesPerChangedObject: number;
  changedInstances: number;
  changedObjects: number;
  changeMutatingRequests: number;
  changeDynamoWrites: number;
  changeSyncPushMs: number;
  /** a sync + push with nothing changed: Kubernetes mutating requests + DynamoDB writes (goal 0) */
  noChangeWrites: number;
  /** every service pushed again anyway (a replayed message): the same count */
  replayAllWrites: number;
  convergeObjects: number;
  convergeMs: number;
  oneInstanceChangeWrites: number;
  oneInstanceChangeBytes: number;
  oneInstanceChangeDynamoWrites: number;
  inlineOneInstanceChangeWrites: number;
  inlineOneInstanceChangeBytes: number;
  /** read capacity units of one sync at syncServices services */
  dynamoReadUnitsPerSync: number;
  dynamoReadRequestsPerSync: number;
  dynamoWritesPerQuietSync: number;
  syncMsAt10kServices: number;
  syncServices: number;
  note: string;
}

function instancesOf(d: ServiceDetail): MicroServiceInstance[] {
  d.instances ??= [];
  return d.instances;
}

/** Objects added, removed or with a different content hash between two renders. */
function changedObjectCount(before: DesiredState, after: DesiredState): number {
  const flat = (s: DesiredState): Map<string, string> => {
    const out = new Map<string, string>();
    for (const service of s.services.values()) for (const [k, h] of Object.entries(objectHashes(service.objects))) out.set(k, h);
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  let changed = 0;
  for (const [k, h] of b) if (a.get(k) !== h) changed++;
  for (const k of a.keys()) if (!b.has(k)) changed++;
  return changed;
}

/** The same endpoints on a fresh IPv4 address, so the new instance brings no new port. */
function withHost(endpoints: readonly string[], host: string): string[] {
  return endpoints.map((e) => e.replace(/\/\/(\[[^\]]*\]|[^/:?]+)(:\d+)/, `//${host}$2`));
}

/** Changes `count` UP instances in place: a third added, a third removed, a third set DOWN. */
function changeInstances(details: ServiceDetail[], count: number, seed: number): number {
  const rnd = seededRandom(seed);
  const touched = new Set<string>();
  let made = 0;
  for (let attempt = 0; made < count && attempt < count * 100; attempt++) {
    const d = details[Math.floor(rnd() * details.length)] as ServiceDetail;
    const list = instancesOf(d);
    const upAt = list.map((inst, i) => (inst.status === 'UP' && !touched.has(inst.instanceId ?? '') ? i : -1)).filter((i) => i >= 0);
    if (upAt.length === 0) continue;
    const at = upAt[Math.floor(rnd() * upAt.length)] as number;
    const target = list[at] as MicroServiceInstance;
    const kind = made % 3;
    if (kind === 0) {
      const id = `bench-added-${made}`;
      touched.add(id);
      list.push({ ...structuredClone(target), instanceId: id, hostName: id, endpoints: withHost(target.endpoints ?? [], `10.250.${made >> 8}.${made & 255}`) });
    } else if (kind === 1) {
      list.splice(at, 1);
    } else {
      target.status = 'DOWN';
      touched.add(target.instanceId ?? '');
    }
    made++;
  }
  if (made < count) throw new Error(`bench pipeline: could change only ${made} of ${count} instances`);
  return made;
}

type ChangeFigures = Pick<
  PipelineBench,
  'writesPerChangedObject' | 'changedInstances' | 'changedObjects' | 'changeMutatingRequests' | 'changeDynamoWrites' | 'changeSyncPushMs' | 'noChangeWrites' | 'replayAllWrites' | 'convergeObjects' | 'convergeMs'
>;

async function changeRun(services: number, changes: number): Promise<ChangeFigures> {
  const registry = new StaticRegistrySource(generateRegistry({ services, instancesPerService: 4, seed: 11 }).allServicesDetail);
  const rig = await startPipelineRig({ registry, concurrency: 16 });
  const server = rig.server;
  if (server === undefined) throw new Error('bench pipeline: rig without a cluster');
  try {
    const started = performance.now();
    const first = await rig.syncAndPush('converge');
    const convergeMs = performance.now() - started;

    // Nothing changed: the sync compares registry and state and marks nothing.
    server.requestLog.clear();
    rig.state.resetMetrics();
    const quiet = await rig.syncAndPush('quiet');
    if (quiet.sync.dirty.length + quiet.sync.removed.length !== 0) throw new Error(`bench pipeline: a quiet sync marked ${quiet.sync.dirty.length} services dirty`);
    const noChangeWrites = server.requestLog.summary().mutating + rig.state.metrics.writes;

    // The same converged registry pushed again in full, as a replayed message would.
    const allKeys = (await rig.state.listServices()).items.map((s) => s.serviceKey);
    server.requestLog.clear();
    rig.state.resetMetrics();
    await pushServices(allKeys, rig.deps, 'replay');
    const replayAllWrites = server.requestLog.summary().mutating + rig.state.metrics.writes;

    const before = desiredState(registry.details, rig.deps.render);
    const changedInstances = changeInstances(registry.details, changes, 5);
    const changedObjects = changedObjectCount(before, desiredState(registry.details, rig.deps.render));
    server.requestLog.clear();
    rig.state.resetMetrics();
    const changeStarted = performance.now();
    await rig.syncAndPush('change');
    const changeSyncPushMs = performance.now() - changeStarted;
    const changeMutatingRequests = server.requestLog.summary().mutating;
    return {
      writesPerChangedObject: changeMutatingRequests / changedObjects,
      changedInstances,
      changedObjects,
      changeMutatingRequests,
      changeDynamoWrites: rig.state.metrics.writes,
      changeSyncPushMs,
      noChangeWrites,
      replayAllWrites,
      convergeObjects: first.push.applied,
      convergeMs,
    };
  } finally {
    await rig.close();
  }
}

async function oneInstanceRun(mode: RenderMode, instances: number): Promise<{ writes: number; bytes: number; dynamoWrites: number }> {
  const serviceId = 'b'.repeat(40);
  const instance = (i: number): MicroServiceInstance => ({
    instanceId: `big-${i}`,
    serviceId,
    version: '1.0.0',
    hostName: `big-${i}`,
    endpoints: [`rest://10.1.${i >> 8}.${i & 255}:8080`],
    status: 'UP',
    dataCenterInfo: { name: 'aws', region: 'eu-west-1', availableZone: 'eu-west-1a' },
  });
  const detail: ServiceDetail = {
    microService: { serviceId, appId: 'shop', serviceName: 'orders', version: '1.0.0', status: 'UP', level: 'BACK' },
    instances: Array.from({ length: instances }, (_, i) => instance(i)),
  };
  const registry = new StaticRegistrySource([detail]);
  const rig = await startPipelineRig({ registry, render: { mode } });
  const server = rig.server;
  if (server === undefined) throw new Error('bench pipeline: rig without a cluster');
  try {
    await rig.syncAndPush('converge');
    instancesOf(detail).push(instance(instances));
    server.requestLog.clear();
    rig.state.resetMetrics();
    await rig.syncAndPush('one');
    const summary = server.requestLog.summary();
    return { writes: summary.mutating, bytes: summary.mutatingBytes, dynamoWrites: rig.state.metrics.writes };
  } finally {
    await rig.close();
  }
}

/**
 * Every version of the first `count` service groups (environment, appId, serviceName) that
 * render: one state item each. (The generator also makes some services the render skips.)
 */
function firstGroups(details: readonly ServiceDetail[], count: number): ServiceDetail[] {
  const rendered = desiredState(details, resolveRenderOptions({ namespace: 'bench', source: 'bench' })).services;
  const keys = new Set<string>();
  const out: ServiceDetail[] = [];
  for (const d of details) {
    const key = serviceKeyOf(partsOf(d.microService));
    if (!rendered.has(key)) continue;
    if (!keys.has(key)) {
      if (keys.size === count) continue;
      keys.add(key);
    }
    out.push(d);
  }
  if (keys.size < count) throw new Error(`bench pipeline: generated only ${keys.size} of ${count} services`);
  return out;
}

async function readUnitsRun(services: number): Promise<Pick<PipelineBench, 'dynamoReadUnitsPerSync' | 'dynamoReadRequestsPerSync' | 'dynamoWritesPerQuietSync' | 'syncMsAt10kServices' | 'syncServices'>> {
  const registry = new StaticRegistrySource(firstGroups(generateRegistry({ services: Math.ceil(services * 2.3), instancesPerService: 4, seed: 13 }).allServicesDetail, services));
  const rig = await startPipelineRig({ registry, withoutCluster: true });
  try {
    // State as a converged deployment holds it: what a push would have recorded per service.
    const desired = desiredState(registry.details, resolveRenderOptions({ namespace: 'bench', source: 'bench' }));
    const at = Date.now();
    const records: ServiceRecord[] = [...desired.services.values()].map((s) => ({ serviceKey: s.serviceKey, objectsHash: s.hash, objects: objectHashes(s.objects), lastPushAt: at }));
    await rig.state.importServices(records);
    rig.state.resetMetrics();
    const started = performance.now();
    const report = await syncOnce(rig.deps, 'minute');
    const syncMs = performance.now() - started;
    if (report.outcome !== 'ok' || report.dirty.length + report.removed.length > 0) {
      throw new Error(`bench pipeline: the seeded sync was not quiet (${report.outcome}, ${report.dirty.length} dirty, ${report.removed.length} removed)`);
    }
    return {
      dynamoReadUnitsPerSync: rig.state.metrics.readUnits,
      dynamoReadRequestsPerSync: rig.state.metrics.reads,
      dynamoWritesPerQuietSync: rig.state.metrics.writes,
      syncMsAt10kServices: syncMs,
      syncServices: desired.services.size,
    };
  } finally {
    await rig.close();
  }
}

export async function benchPipeline(options: PipelineBenchOptions = {}): Promise<PipelineBench> {
  const change = await changeRun(options.services ?? 500, options.changes ?? 50);
  const big = options.bigServiceInstances ?? 100;
  const workload = await oneInstanceRun('workloadentry', big);
  const inline = await oneInstanceRun('inline', big);
  const reads = await readUnitsRun(options.syncServices ?? 10_000);
  return {
    ...change,
    oneInstanceChangeWrites: workload.writes,
    oneInstanceChangeBytes: workload.bytes,
    oneInstanceChangeDynamoWrites: workload.dynamoWrites,
    inlineOneInstanceChangeWrites: inline.writes,
    inlineOneInstanceChangeBytes: inline.bytes,
    ...reads,
    note: 'rate limit off; syncServices counts service groups (ServiceEntries); bytes are request bodies',
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchPipeline())}\n`);
}
