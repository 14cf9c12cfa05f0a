// The demo's script: a registry simulator with a realistic sample, the whole pipeline in
// this process writing to a manifests folder, then scripted registry changes, each timed
// from the registry call until the manifests show it.
import { access, readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadConfig, type Sc2meshConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { objectNameFor, serviceKeyOf, workloadEntryName } from '../names/service-names.ts';
import { manifestPath } from '../output/manifest-folder.ts';
import { startLocalRunner, type LocalRunner, type RunnerEvent } from '../runtime/local-runner.ts';

/** The sample registry: several apps and versions, endpoints of several protocols, localities. */
export const DEMO_SAMPLE = new URL('./sample-registry.json', import.meta.url);
/** Governance rules for shop/orders, as `GET /v1/{project}/gov/{kind}` lists them: a retry, a fault and a load balancer. */
export const DEMO_GOVERNANCE = new URL('./sample-governance.json', import.meta.url);

export interface DemoStep {
  name: string;
  /** what the registry was told */
  action: string;
  /** what must show in the manifests */
  expect: string;
  latencyMs: number;
  ok: boolean;
}

export interface DemoProgress {
  step?: (step: DemoStep) => void;
  event?: (event: RunnerEvent) => void;
  line?: (text: string) => void;
}

export interface DemoRun {
  steps: DemoStep[];
  initialObjects: number;
  initialMs: number;
  runner: LocalRunner;
  stop(): Promise<void>;
}

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** The parts of a governed manifest the demo looks at. */
interface GovernedManifest {
  spec: {
    http?: { retries?: { attempts?: number }; fault?: { abort?: { httpStatus?: number } } }[];
    trafficPolicy?: { loadBalancer?: { simple?: string } };
  };
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

export async function runDemo(options: { out: string; stateDir: string; progress?: DemoProgress; logger?: Logger }): Promise<DemoRun> {
  // The simulator is test support: loaded only here, so the product never depends on it.
  const { startRegistrySimulator } = await import('../registry-simulator/simulator.ts');
  const sample = JSON.parse(await readFile(DEMO_SAMPLE, 'utf8')) as { allServicesDetail: ServiceDetail[] };
  // Short heartbeat minimums so an expiry happens within the demo; leases are swept when the
  // script says, so the expiry's latency is timed from the registry's DELETE itself.
  const sim = await startRegistrySimulator({ seed: sample, heartbeat: { minInterval: 1, minTimes: 1, sweepIntervalMs: 3_600_000 } });
  const say = options.progress?.line ?? (() => {});

  // The demo runs on its embedded defaults only: the user's SC2MESH_* settings do not apply.
  const config: Sc2meshConfig = await loadConfig({
    env: {},
    flags: {
      'registry.addresses': [sim.baseUrl],
      'registry.listIntervalMs': 1000,
      out: options.out,
      'state.dir': options.stateDir,
      'server.port': 0,
      'render.destinationRules': true,
      // Off by default (README "Governance"); the demo shows it.
      'governance.enabled': true,
    },
  });
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const started = Date.now();
  const runner = await startLocalRunner(config, { logger, ...(options.progress?.event === undefined ? {} : { onEvent: options.progress.event }) });
  await runner.flush();
  const initialMs = Date.now() - started;
  const initialObjects = (await runner.runtime.cluster.listOwned()).length;
  say(`pipeline up: ${initialObjects} objects in ${options.out} after ${initialMs} ms`);

  const ns = config.render.namespace;
  const serviceOf = (appId: string, serviceName: string, environment = '') => {
    const parts = { appId, serviceName, environment };
    return { key: serviceKeyOf(parts), name: objectNameFor(config.render.nameTemplate, parts) };
  };
  const wePath = (seName: string, instanceId: string): string => manifestPath(options.out, { kind: 'WorkloadEntry', metadata: { namespace: ns, name: workloadEntryName(seName, instanceId) } });
  const idOf = (appId: string, serviceName: string, version: string): string => {
    const d = sample.allServicesDetail.find((s) => s.microService.appId === appId && s.microService.serviceName === serviceName && s.microService.version === version);
    if (d === undefined) throw new Error(`demo sample lacks ${appId}/${serviceName}@${version}`);
    return d.microService.serviceId;
  };

  const steps: DemoStep[] = [];
  const step = async (name: string, action: string, expect: string, act: () => void | Promise<void>, done: () => Promise<boolean>, before?: () => Promise<void>): Promise<void> => {
    await before?.();
    const t0 = performance.now();
    await act();
    const ok = await waitFor(done, 15_000);
    const s: DemoStep = { name, action, expect, latencyMs: Math.round(performance.now() - t0), ok };
    steps.push(s);
    options.progress?.step?.(s);
  };

  const orders = serviceOf('shop', 'orders', 'production');
  const payments = serviceOf('shop', 'payments', 'production');
  const ledger = serviceOf('bank', 'ledger');
  const ordersV11 = idOf('shop', 'orders', '1.1.0');

  // 1. Scale up: two more instances of orders 1.1.0.
  const newIds: string[] = [];
  await step(
    'scale up',
    'shop/orders 1.1.0: 2 instances registered',
    '2 new WorkloadEntries',
    () => {
      for (const n of [31, 32]) {
        newIds.push(sim.registerInstance(ordersV11, { hostName: `orders-${n}`, endpoints: [`rest://10.0.1.${n}:8080`, `highway://10.0.1.${n}:7070`], status: 'UP', dataCenterInfo: { name: 'aws', region: 'eu-west-1', availableZone: 'eu-west-1c' } }, { keepAlive: true }));
      }
    },
    async () => (await Promise.all(newIds.map((id) => exists(wePath(orders.name, id))))).every(Boolean),
  );

  // 2. An instance goes DOWN: it leaves the mesh, the ServiceEntry stays.
  const paymentsId = idOf('shop', 'payments', '2.3.1');
  const paymentsUp = sample.allServicesDetail.find((d) => d.microService.serviceId === paymentsId)?.instances?.find((i) => i.status === 'UP');
  if (paymentsUp === undefined) throw new Error('demo sample lacks an UP payments instance');
  await step(
    'instance DOWN',
    'shop/payments: one instance set DOWN',
    'its WorkloadEntry removed',
    () => sim.setInstanceStatus(paymentsId, paymentsUp.instanceId, 'DOWN'),
    async () => !(await exists(wePath(payments.name, paymentsUp.instanceId))),
  );

  // 3. Heartbeats stop: the registry expires the instance after interval × (times + 1).
  const ledgerId = idOf('bank', 'ledger', '5.2.0');
  const mortal = sim.registerInstance(ledgerId, { hostName: 'ledger-9', endpoints: ['highway://10.1.0.49:7070'], status: 'UP', healthCheck: { mode: 'push', interval: 1, times: 1 } });
  const appeared = await waitFor(() => exists(wePath(ledger.name, mortal)), 15_000);
  say(`bank/ledger: instance ${mortal.slice(0, 8)} registered with a 1 s heartbeat and never renewed (${appeared ? 'published' : 'NOT published'})`);
  await step(
    'heartbeat expired',
    'bank/ledger: the instance missed its heartbeats (registry DELETE)',
    'its WorkloadEntry removed',
    () => {
      sim.sweepExpired();
    },
    async () => !(await exists(wePath(ledger.name, mortal))),
    // Its lease runs out after interval × (times + 1) = 2 s; the sweep then announces the DELETE.
    async () => {
      await new Promise((r) => setTimeout(r, 2100));
    },
  );

  // 4. A new version: same host, a new subset.
  let v12 = '';
  let v12Instance = '';
  await step(
    'new version',
    'shop/orders 1.2.0 registered with 1 instance',
    'its WorkloadEntry, and subset v1-2-0 in the DestinationRule',
    () => {
      v12 = sim.registerService({ appId: 'shop', serviceName: 'orders', version: '1.2.0', environment: 'production' });
      v12Instance = sim.registerInstance(v12, { hostName: 'orders-40', endpoints: ['rest://10.0.1.40:8080'], status: 'UP' }, { keepAlive: true });
    },
    async () => {
      if (!(await exists(wePath(orders.name, v12Instance)))) return false;
      const dr = parse(await readFile(manifestPath(options.out, { kind: 'DestinationRule', metadata: { namespace: ns, name: orders.name } }), 'utf8')) as { spec: { subsets: { name: string }[] } };
      return dr.spec.subsets.some((s) => s.name === 'v1-2-0');
    },
  );

  // 5. Scale down: an instance deregisters.
  const gone = newIds[0] as string;
  await step(
    'scale down',
    'shop/orders: one instance deregistered',
    'its WorkloadEntry removed',
    () => sim.unregisterInstance(ordersV11, gone),
    async () => !(await exists(wePath(orders.name, gone))),
  );

  // 6-8. Governance: each rule (with its match group) written to the registry reaches the
  // manifests at the next sync; rules have no watch event, so the demo runs that sync now
  // instead of waiting for sync.intervalMs.
  const rules = JSON.parse(await readFile(DEMO_GOVERNANCE, 'utf8')) as Record<string, { name: string }[]>;
  const publish = (kind: string, name: string): void => {
    for (const k of ['match-group', kind]) {
      const rule = rules[k]?.find((r) => r.name === name);
      if (rule === undefined) throw new Error(`demo governance sample lacks ${k}/${name}`);
      sim.putGovernanceRule(k, rule as unknown as Parameters<typeof sim.putGovernanceRule>[1]);
    }
    void runner.syncNow();
  };
  const manifest = async (kind: 'VirtualService' | 'DestinationRule'): Promise<GovernedManifest | undefined> => {
    const path = manifestPath(options.out, { kind, metadata: { namespace: ns, name: orders.name } });
    return (await exists(path)) ? (parse(await readFile(path, 'utf8')) as GovernedManifest) : undefined;
  };
  await step(
    'retry rule',
    'shop: retry orders-api (maxAttempts 3) for GET /orders*',
    'a VirtualService route with retries.attempts 3',
    () => publish('retry', 'orders-api'),
    async () => (await manifest('VirtualService'))?.spec.http?.some((r) => r.retries?.attempts === 3) === true,
  );
  await step(
    'fault rule',
    'shop: fault-injection orders-checkout (abort 503, 5 %)',
    'a VirtualService route with fault.abort 503',
    () => publish('fault-injection', 'orders-checkout'),
    async () => (await manifest('VirtualService'))?.spec.http?.some((r) => r.fault?.abort?.httpStatus === 503) === true,
  );
  await step(
    'load-balance rule',
    'shop: loadbalance orders-all (Random)',
    'trafficPolicy.loadBalancer RANDOM in the DestinationRule',
    () => publish('loadbalance', 'orders-all'),
    async () => (await manifest('DestinationRule'))?.spec.trafficPolicy?.loadBalancer?.simple === 'RANDOM',
  );

  return {
    steps,
    initialObjects,
    initialMs,
    runner,
    async stop() {
      await runner.stop();
      await sim.close();
    },
  };
}

