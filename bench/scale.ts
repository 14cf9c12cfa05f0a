// `npm run bench -- scale`: sc2mesh at the size users run it — 10,000 services / 100,000
// instances (20 apps × 500 services × 10 UP instances, one version each) in the registry
// simulator, pushed into the validating test API server over HTTP, on both hosts.
//
// Every part runs as it would in production and in a process of its own (so memory
// figures are each part's own and the bench's polling shares no event loop with them):
//   main process   registry simulator (counts response bytes per route), SQS fake,
//                  dynalite (the state table, shared: DynamoDB is not inside the runner
//                  on AWS either), the orchestration
//   kube child     the validating API server; arrivals are seen on its store every 10 ms
//   runner child   startLocalRunner(config), config from SC2MESH_* like `sc2mesh run`
//   watcher child  startWatcher(config), what watcher/main.ts runs, sending to the SQS fake
//   lambda child   functions/push.ts's handler fed by the event source mapping stand-in
//                  (batches of 10, whole-second DelaySeconds, visibility timeout)
//
// Phases, one after the other:
//  1. seed: the registry is generated and loaded into the simulator; a first runner (rate
//     limit off, 16 services at a time: at the default 20 qps 110,000 objects would take
//     an hour and a half) converges the empty cluster and state through the real push
//     path. That is the initial convergence figure and the runner RSS after it.
//  2. local: a second runner with the default settings starts on that cluster and state
//     (a restart), then one instance of a 10-instance service is registered and
//     deregistered, 10 times each, one change at a time: registry call → WorkloadEntry
//     present / absent. Then 100 services get one instance each under 20 % injected
//     429/5xx until all 100 WorkloadEntries are there.
//  3. serverless: the runner stops; the watcher and one push Lambda container start on the
//     same cluster and state; once the queue is drained the same 20 changes are measured.
// The periodic sync is set to 1 h in the runner so that the govern dumps read inside a
// measured window are the push path's own; one dump's size is reported as syncBytes.
// Every wait has a timeout; a phase that fails is reported in `errors` and the others
// still run; every child is killed on the way out. Loopback only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_KEYS, envNameOf } from '../lib/config/index.ts';
import type { ServiceDetail } from '../lib/model/registry.ts';
import { serviceKeyOf, workloadEntryName } from '../lib/names/service-names.ts';
import { percentile } from '../lib/pipeline/metrics.ts';
import { startRegistrySimulator, type RegistrySimulator, type RouteTraffic } from '../lib/registry-simulator/simulator.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../lib/state/embedded-dynalite.ts';
import { startSqsFake, type SqsFake } from '../test/support/sqs-fake/server.ts';
import { Child, epochMs, type MemoryFigures } from './scale/rpc.ts';

export interface ScaleBenchOptions {
  apps?: number;
  servicesPerApp?: number;
  instancesPerService?: number;
  /** registrations + deregistrations measured per host (default 20) */
  changes?: number;
  faultServices?: number;
  faultRate?: number;
  /** soft budget: a phase that would start after this is skipped (default 11 min) */
  budgetMs?: number;
}

type Figures = Record<string, number | string>;

const NAMESPACE = 'bench';
const SOURCE = 'scale';
const LISTING_ROUTE = 'GET /v4/{project}/registry/microservices';
const DUMP_ROUTE = 'GET /v4/{project}/govern/microservices';
const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// ---- the registry --------------------------------------------------------------------------

interface ScaleRegistry {
  dump: { allServicesDetail: ServiceDetail[] };
  services: number;
  instances: number;
  /** serviceId per `${app}/${service}` */
  ids: Map<string, string>;
}

const appName = (a: number): string => `app${String(a).padStart(2, '0')}`;
const serviceName = (s: number): string => `svc${String(s).padStart(3, '0')}`;

/** Deterministic: the same ids, names and addresses on every run. */
function generateScaleRegistry(apps: number, servicesPerApp: number, instancesPerService: number): ScaleRegistry {
  const details: ServiceDetail[] = [];
  const ids = new Map<string, string>();
  let n = 0;
  let ip = 0;
  for (let a = 0; a < apps; a++) {
    for (let s = 0; s < servicesPerApp; s++) {
      const serviceId = `5ca1e${(n++).toString(16).padStart(35, '0')}`;
      ids.set(`${appName(a)}/${serviceName(s)}`, serviceId);
      const instances = Array.from({ length: instancesPerService }, () => {
        ip++;
        const host = `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;
        return {
          instanceId: ip.toString(16).padStart(32, '0'),
          serviceId,
          version: '1.0.0',
          hostName: `host-${ip}`,
          endpoints: [`rest://${host}:8080`],
          status: 'UP' as const,
          healthCheck: { mode: 'push', interval: 30, times: 3 },
          dataCenterInfo: { name: 'aws', region: 'eu-west-1', availableZone: `eu-west-1${'abc'[ip % 3] ?? 'a'}` },
          timestamp: '1763780000',
          modTimestamp: '1763780000',
        };
      });
      details.push({ microService: { serviceId, appId: appName(a), serviceName: serviceName(s), version: '1.0.0', status: 'UP', level: 'BACK' }, instances });
    }
  }
  return { dump: { allServicesDetail: details }, services: details.length, instances: ip, ids };
}

// ---- traffic windows -----------------------------------------------------------------------

type Traffic = Record<string, RouteTraffic>;

function trafficSince(sim: RegistrySimulator, before: Traffic): Traffic {
  const out: Traffic = {};
  for (const [route, t] of Object.entries(sim.traffic())) {
    const b = before[route] ?? { requests: 0, bytes: 0 };
    if (t.requests > b.requests) out[route] = { requests: t.requests - b.requests, bytes: t.bytes - b.bytes };
  }
  return out;
}

const routeText = (traffic: Traffic): string =>
  Object.entries(traffic)
    .sort(([, a], [, b]) => b.bytes - a.bytes)
    .map(([route, t]) => `${route} ${t.requests}× ${mb(t.bytes)}`)
    .join('; ');

/** Bytes of everything but the watch client's periodic listing. */
const pushBytes = (traffic: Traffic): number => Object.entries(traffic).reduce((n, [route, t]) => (route === LISTING_ROUTE ? n : n + t.bytes), 0);

// ---- the environment of the children ------------------------------------------------------

const KNOWN_KEYS = new Set(CONFIG_KEYS.map((k) => k.path));

function childEnv(values: Record<string, string | number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Nothing of the caller's own sc2mesh, kube or AWS setup leaks into the measured parts.
  for (const [k, v] of Object.entries(process.env)) if (!/^(SC2MESH_|KUBECONFIG$|AWS_)/.test(k) || k === 'SC2MESH_SHARED_DIR') env[k] = v;
  for (const [k, v] of Object.entries(values)) {
    if (/^(SC2MESH_|AWS_|BENCH_)/.test(k)) env[k] = String(v);
    // A key this version does not have (kube.concurrency before concurrent pushes) is left out.
    else if (KNOWN_KEYS.has(k)) env[envNameOf(k)] = String(v);
  }
  return env;
}

interface QuietResult {
  latencies: number[];
  timeouts: number;
  traffic: Traffic;
  windowMs: number;
}

interface ChangeProbe {
  sim: RegistrySimulator;
  kube: Child;
  serviceId: string;
  seName: string;
  changes: number;
  tag: string;
  /** after each change was seen: the host has finished with it */
  settle: () => Promise<void>;
}

/** Registrations and deregistrations of one instance, one at a time; the latency of each. */
async function quietChanges(p: ChangeProbe): Promise<QuietResult> {
  const result: QuietResult = { latencies: [], timeouts: 0, traffic: {}, windowMs: 0 };
  const before = p.sim.traffic();
  const started = epochMs();
  let registered: string | undefined;
  for (let i = 0; i < p.changes; i++) {
    const register = registered === undefined;
    const instanceId = registered ?? `${p.tag}${String(i).padStart(4, '0')}`.padStart(32, '0');
    const name = workloadEntryName(p.seName, instanceId);
    const t0 = epochMs();
    if (register) p.sim.registerInstance(p.serviceId, { instanceId, hostName: `probe-${i}`, endpoints: [`rest://10.254.${i >> 8}.${i & 255}:8080`] }, { keepAlive: true });
    else p.sim.unregisterInstance(p.serviceId, instanceId);
    try {
      const seenAt = await p.kube.call<number>('waitFor', { kind: 'WorkloadEntry', names: [name], present: register, timeoutMs: 30_000 }, 35_000);
      result.latencies.push(seenAt - t0);
    } catch {
      result.timeouts++;
      if (result.timeouts >= 3) throw new Error(`${p.tag}: 3 changes not seen within 30 s`);
    }
    registered = register ? instanceId : undefined;
    await p.settle();
    await sleep(150);
  }
  result.windowMs = epochMs() - started;
  result.traffic = trafficSince(p.sim, before);
  return result;
}

function quietFigures(prefix: string, q: QuietResult, changes: number): Figures {
  return {
    [`${prefix}QuietLatencyP50Ms`]: percentile(q.latencies, 0.5) ?? Number.NaN,
    [`${prefix}QuietLatencyP99Ms`]: percentile(q.latencies, 0.99) ?? Number.NaN,
    [`${prefix}QuietLatencyMaxMs`]: q.latencies.length === 0 ? Number.NaN : Math.max(...q.latencies),
    [`${prefix}QuietChanges`]: q.latencies.length,
    [`${prefix}QuietTimeouts`]: q.timeouts,
    [`${prefix}RegistryBytesPerChange`]: pushBytes(q.traffic) / changes,
    [`${prefix}RegistryTraffic`]: routeText(q.traffic),
  };
}

interface PushStats {
  pushes: { at: number; latencyMs: number; keys: number; applied: number; deleted: number; failed: number; phasesMs: Record<string, number> }[];
  pushCount: number;
  syncs: number;
  errors: number;
  lastError: string;
}

interface LambdaStats {
  invocations: { at: number; ms: number; records: number; rssMb: number; heapUsedMb: number; failures: number; error?: string }[];
  invocationCount: number;
  polls: number;
  pollErrors: number;
}

interface RequestStats {
  requests: number;
  mutating: number;
  faults: number;
  byStatus: Record<string, number>;
}

/** Until the work queue has held nothing for `stableMs` (in-flight messages count as held). */
async function drained(sqs: SqsFake, stableMs: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let emptySince: number | undefined;
  for (;;) {
    const now = Date.now();
    if (sqs.messages('work').length === 0) {
      emptySince ??= now;
      if (now - emptySince >= stableMs) return emptySince;
    } else {
      emptySince = undefined;
    }
    if (now - started > timeoutMs) throw new Error(`the work queue still holds ${sqs.messages('work').length} messages after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function benchScale(options: ScaleBenchOptions = {}): Promise<Figures> {
  const benchStarted = Date.now();
  const budgetMs = options.budgetMs ?? 11 * 60_000;
  const apps = options.apps ?? 20;
  const perApp = options.servicesPerApp ?? 500;
  const perService = options.instancesPerService ?? 10;
  const changes = options.changes ?? 20;
  const faultServices = Math.min(options.faultServices ?? 100, apps * (perApp - 1));
  const faultRate = options.faultRate ?? 0.2;
  const figures: Figures = {};
  const errors: string[] = [];
  const children: Child[] = [];
  const logDir = mkdtempSync(path.join(tmpdir(), 'sc2mesh-scale-'));
  let keepLogs = false;
  const inBudget = (phase: string): boolean => {
    if (Date.now() - benchStarted < budgetMs) return true;
    errors.push(`${phase}: skipped, over the ${Math.round(budgetMs / 1000)} s budget`);
    return false;
  };
  const phase = async (name: string, run: () => Promise<void>): Promise<boolean> => {
    if (!inBudget(name)) return false;
    try {
      await run();
      return true;
    } catch (error) {
      keepLogs = true;
      errors.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      return false;
    }
  };
  const startChild = async (name: string, file: string, env: NodeJS.ProcessEnv): Promise<Child> => {
    const child = await Child.start(name, path.join(here, 'scale', file), { env, logPath: path.join(logDir, `${name}.log`) });
    children.push(child);
    return child;
  };

  let sim: RegistrySimulator | undefined;
  let dynalite: EmbeddedDynalite | undefined;
  let sqs: SqsFake | undefined;
  try {
    // ---- seed -------------------------------------------------------------------------
    let t = Date.now();
    const registry = generateScaleRegistry(apps, perApp, perService);
    sim = await startRegistrySimulator({});
    const seeded = sim.seed(registry.dump);
    figures['services'] = seeded.services;
    figures['instances'] = seeded.instances;
    figures['apps'] = apps;
    figures['registrySeedMs'] = Date.now() - t;
    const simulator = sim;

    dynalite = await startEmbeddedDynalite({ tableName: 'sc2mesh-scale' });
    const kube = await startChild('kube', 'kube-child.ts', childEnv({ BENCH_NAMESPACE: NAMESPACE }));
    const kubeInfo = await kube.call<{ url: string; kubeconfigPath: string }>('info');
    const common: Record<string, string | number> = {
      'registry.addresses': simulator.baseUrl,
      'kube.mode': 'kubeconfig',
      'kube.kubeconfig': kubeInfo.kubeconfigPath,
      'render.namespace': NAMESPACE,
      'render.source': SOURCE,
      'state.table': dynalite.tableName,
      'state.endpoint': dynalite.endpoint,
      'state.region': 'us-east-1',
      'server.port': 0,
      'log.level': 'warn',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
    };

    const probeApp = appName(Math.min(7, apps - 1));
    const probeService = serviceName(Math.min(123, perApp - 1));
    const probeId = registry.ids.get(`${probeApp}/${probeService}`) as string;
    const probeKey = serviceKeyOf({ environment: '', appId: probeApp, serviceName: probeService });

    const converged = await phase('initial convergence', async () => {
      const seeder = await startChild('runner-seed', 'runner-child.ts', childEnv({ ...common, 'kube.qps': 0, 'kube.concurrency': 16, 'sync.intervalMs': 3_600_000 }));
      const before = simulator.traffic();
      t = Date.now();
      await seeder.call('start', { watch: false, periodicSync: false }, 600_000);
      await seeder.call('flush', {}, 600_000);
      const counts = await kube.call<{ at: number; serviceEntries: number; workloadEntries: number }>('waitForCounts', { serviceEntries: registry.services, workloadEntries: registry.instances, timeoutMs: 60_000 }, 70_000);
      figures['initialConvergenceMs'] = Date.now() - t;
      figures['initialConvergenceObjects'] = counts.serviceEntries + counts.workloadEntries;
      figures['initialConvergenceRegistry'] = routeText(trafficSince(simulator, before));
      const memory = await seeder.call<MemoryFigures>('memory');
      figures['runnerRssMb'] = memory.rssMb;
      figures['runnerHeapUsedMb'] = memory.heapUsedMb;
      figures['runnerMaxRssMb'] = memory.maxRssMb;
      const stats = await seeder.call<PushStats>('stats');
      if (stats.errors > 0) errors.push(`initial convergence: ${stats.errors} runner errors (${stats.lastError})`);
      await seeder.stop();
      await kube.call('clearRequests');
    });

    const seNames = converged ? await kube.call<Record<string, string>>('serviceEntryNames', { serviceKeys: [probeKey] }) : {};
    const probeSe = seNames[probeKey];
    if (converged && probeSe === undefined) errors.push(`the probe service ${probeKey} has no ServiceEntry`);

    // ---- local runner -------------------------------------------------------------------
    if (converged && probeSe !== undefined) {
      const hold: { runner?: Child } = {};
      await phase('local runner', async () => {
        const r = await startChild('runner', 'runner-child.ts', childEnv({ ...common, 'sync.intervalMs': 3_600_000 }));
        hold.runner = r;
        const before = simulator.traffic();
        t = Date.now();
        await r.call('start', { watch: true, periodicSync: true }, 300_000);
        await r.call('flush', {}, 300_000);
        figures['runnerRestartMs'] = Date.now() - t;
        const restart = trafficSince(simulator, before);
        const dump = restart[DUMP_ROUTE];
        if (dump !== undefined) figures['syncBytes'] = dump.bytes / dump.requests;
        figures['runnerRestartRegistry'] = routeText(restart);
        figures['runnerRestartKubeWrites'] = (await kube.call<RequestStats>('requests')).mutating;

        const q = await quietChanges({ sim: simulator, kube, serviceId: probeId, seName: probeSe, changes, tag: 'c0ffee01', settle: () => r.call('flush', {}, 60_000).then(() => undefined) });
        Object.assign(figures, quietFigures('local', q, changes));
        figures['registryBytesPerChange'] = figures['localRegistryBytesPerChange'] as number;
        const listing = q.traffic[LISTING_ROUTE];
        if (listing !== undefined) {
          figures['listingBytes'] = listing.bytes / listing.requests;
          figures['listingRequestsPerMinute'] = (listing.requests * 60_000) / q.windowMs;
        }
        const pushes = (await r.call<PushStats>('stats')).pushCount;
        figures['localRunnerMemoryAfterChangesRssMb'] = (await r.call<MemoryFigures>('memory')).rssMb;
        figures['localPushesTotal'] = pushes;
      });

      await phase('push under faults', async () => {
        const r = hold.runner;
        if (r === undefined) throw new Error('no runner');
        const targets: { serviceId: string; name: string; instanceId: string }[] = [];
        const keys: string[] = [];
        for (let i = 0; targets.length < faultServices; i++) {
          const a = appName(i % apps);
          const s = serviceName(perApp - 1 - Math.floor(i / apps));
          if (a === probeApp && s === probeService) continue;
          keys.push(serviceKeyOf({ environment: '', appId: a, serviceName: s }));
          targets.push({ serviceId: registry.ids.get(`${a}/${s}`) as string, name: '', instanceId: `fa017${String(i).padStart(27, '0')}` });
        }
        const names = await kube.call<Record<string, string>>('serviceEntryNames', { serviceKeys: keys });
        targets.forEach((target, i) => (target.name = workloadEntryName(names[keys[i] as string] ?? 'missing', target.instanceId)));
        const statsBefore = (await r.call<PushStats>('stats')).pushCount;
        await kube.call('clearRequests');
        await kube.call('inject', { rate: faultRate, error: [429, 500, 502, 503, 504] });
        const t0 = epochMs();
        targets.forEach((target, i) => simulator.registerInstance(target.serviceId, { instanceId: target.instanceId, hostName: `fault-${i}`, endpoints: [`rest://10.253.${i >> 8}.${i & 255}:8080`] }, { keepAlive: true }));
        try {
          const seenAt = await kube.call<number>('waitFor', { kind: 'WorkloadEntry', names: targets.map((x) => x.name), present: true, timeoutMs: 120_000, everyMs: 20 }, 130_000);
          figures['pushUnderFaultsMs'] = seenAt - t0;
        } finally {
          await kube.call('clearFaults');
        }
        const requests = await kube.call<RequestStats>('requests');
        const timeline = await kube.call<{ firstMs?: number; lastMs?: number; slowest: string }>('timeline', { t0 });
        if (timeline.firstMs !== undefined) figures['pushUnderFaultsFirstRequestMs'] = timeline.firstMs;
        if (timeline.lastMs !== undefined) figures['pushUnderFaultsLastRequestMs'] = timeline.lastMs;
        figures['pushUnderFaultsSlowestObject'] = timeline.slowest;
        // The push reports after its last write: counted once it has finished.
        await r.call('flush', {}, 60_000);
        const stats = await r.call<PushStats>('stats', { from: statsBefore });
        figures['pushUnderFaultsServices'] = targets.length;
        figures['pushUnderFaultsKubeRequests'] = requests.requests;
        figures['pushUnderFaultsInjected'] = requests.faults;
        figures['pushUnderFaultsPushes'] = stats.pushes.length;
        // first registry event → end of the push that carried it (the debounce quiet time included)
        figures['pushUnderFaultsPushLatencyMs'] = Math.max(0, ...stats.pushes.map((p) => p.latencyMs));
        // where that push's time went, phase by phase (lib/pipeline/push.ts PushPhase)
        figures['pushUnderFaultsPhasesMs'] = stats.pushes.map((p) => Object.entries(p.phasesMs).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')).join(' | ');
      });
      await hold.runner?.stop(60_000);
    }

    // ---- serverless -----------------------------------------------------------------------
    if (converged && probeSe !== undefined) {
      await phase('serverless', async () => {
        const fake = await startSqsFake({ queues: ['work'] });
        sqs = fake;
        const queueEnv = { ...common, 'queue.url': fake.queueUrl('work'), 'queue.endpoint': fake.endpoint };
        const lambda = await startChild('lambda', 'lambda-child.ts', childEnv(queueEnv));
        const watcher = await startChild('watcher', 'watcher-child.ts', childEnv(queueEnv));
        const before = simulator.traffic();
        t = Date.now();
        await watcher.call('start', {}, 300_000);
        // The watcher's first listing marks every service dirty: the first cycle pushes them all.
        await sleep(1000);
        await drained(fake, 3000, 300_000);
        figures['serverlessStartMs'] = Date.now() - t - 3000;
        figures['serverlessStartRegistry'] = routeText(trafficSince(simulator, before));
        const startStats = await lambda.call<LambdaStats>('stats');
        figures['serverlessStartInvocations'] = startStats.invocationCount;
        const startErrors = startStats.invocations.filter((i) => i.error !== undefined);
        if (startErrors.length > 0) errors.push(`serverless start: ${startErrors.length} invocations threw (${startErrors[0]?.error ?? ''})`);

        const q = await quietChanges({ sim: simulator, kube, serviceId: probeId, seName: probeSe, changes, tag: 'c0ffee02', settle: () => drained(fake, 200, 60_000).then(() => undefined) });
        Object.assign(figures, quietFigures('serverless', q, changes));
        const stats = await lambda.call<LambdaStats>('stats', { from: startStats.invocationCount });
        const ms = stats.invocations.map((i) => i.ms);
        figures['serverlessInvocationsPerChange'] = stats.invocations.length / changes;
        figures['lambdaInvocationMsP50'] = percentile(ms, 0.5) ?? Number.NaN;
        figures['lambdaInvocationMsMax'] = ms.length === 0 ? Number.NaN : Math.max(...ms);
        figures['lambdaRssMbMax'] = Math.max(0, ...stats.invocations.map((i) => i.rssMb));
        figures['lambdaHeapUsedMbMax'] = Math.max(0, ...stats.invocations.map((i) => i.heapUsedMb));
        const lambdaMemory = await lambda.call<MemoryFigures>('memory');
        figures['lambdaRssMb'] = lambdaMemory.rssMb;
        figures['lambdaHeapUsedMb'] = lambdaMemory.heapUsedMb;
        figures['lambdaMaxRssMb'] = lambdaMemory.maxRssMb;
        const watcherMemory = await watcher.call<MemoryFigures>('memory');
        figures['watcherRssMb'] = watcherMemory.rssMb;
        figures['watcherHeapUsedMb'] = watcherMemory.heapUsedMb;
        await watcher.stop();
        await lambda.stop();
      });
    }
    await phase('kube server memory', async () => {
      figures['kubeServerRssMb'] = (await kube.call<MemoryFigures>('memory')).rssMb;
    });
    await kube.stop();
  } catch (error) {
    keepLogs = true;
    errors.push(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));
  } finally {
    for (const child of children) child.kill();
    await sqs?.close().catch(() => undefined);
    await dynalite?.close().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    if (keepLogs) errors.push(`child logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
  figures['benchMs'] = Date.now() - benchStarted;
  figures['errors'] = errors.length === 0 ? 'none' : errors.join(' | ');
  figures['note'] =
    'seeded by a first runner with the rate limit off (kube.qps 0, concurrency 16), then a restart with the defaults; state on one dynalite shared by both hosts; runner sync interval 1 h so dumps in a window are the push path\'s; registryBytesPerChange excludes only the periodic listing; pushUnderFaultsMs is registry call → all WorkloadEntries present (1 s debounce quiet time included); 2 shared cores: noisy';
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchScale())}\n`);
}
