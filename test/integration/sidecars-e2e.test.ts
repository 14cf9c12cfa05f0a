// Sidecars from service-center's dependency records, end to end: records made in the
// registry simulator (the deprecated dependencies API, as an SDK's finds would) become a
// Sidecar in the consumer's namespace of the validating API server after one sync of the
// local runner; a provider gained is added, one lost is removed, a quiet sync writes
// nothing, and a Sidecar sc2mesh does not own is never written over.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sc2meshConfig } from '../../lib/config/index.ts';
import { silentLogger } from '../../lib/log.ts';
import { apiVersionOf } from '../../lib/model/istio.ts';
import type { RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startLocalRunner, type LocalRunner } from '../../lib/runtime/local-runner.ts';
import type { KubeApiServer } from '../support/kube-api-server/index.ts';
import { startRunnerFixture, type RunnerFixture } from '../support/e2e/runner-fixture.ts';
import { freePort } from '../support/free-port.ts';
import { runCli } from '../support/run-cli.ts';

const NS = 'sc2mesh';
const MESH_NS = 'shop-mesh';
const ORDERS = `${NS}/orders.shop.production.servicecomb.internal`;
const CART = `${NS}/cart.shop.production.servicecomb.internal`;
const PAYMENTS = `${NS}/payments.shop.production.servicecomb.internal`;
const ALWAYS = ['./*', 'istio-system/*'];

let fixture: RunnerFixture;
let sim: RegistrySimulator;
let kube: KubeApiServer;
let stateDir: string;
let config: Sc2meshConfig;

beforeAll(async () => {
  fixture = await startRunnerFixture({ name: 'sidecars', flags: { 'sidecars.enabled': true, 'sidecars.namespaceByApp': { shop: MESH_NS } }, simulator: { dependencyDelayMs: 0 } });
  ({ sim, kube, stateDir, config } = fixture);
}, 30_000);

afterAll(async () => {
  await fixture?.close();
});

const key = (serviceName: string, version = 'latest') => ({ environment: 'production', appId: 'shop', serviceName, version });

/** The deprecated explicit API; an SDK's finds with X-ConsumerId record the same. */
async function dependencies(method: 'POST' | 'PUT', providers: string[]): Promise<void> {
  const res = await fetch(`${sim.baseUrl}/v4/default/registry/dependencies`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dependencies: [{ consumer: key('catalog', '3.0.0'), providers: providers.map((p) => key(p)) }] }),
  });
  if (res.status !== 200) throw new Error(`${method} dependencies: ${res.status} ${await res.text()}`);
}

interface StoredSidecar {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { workloadSelector?: { labels: Record<string, string> }; egress?: { hosts: string[] }[] };
}

const sidecars = (): StoredSidecar[] => kube.store.list('Sidecar', MESH_NS) as unknown as StoredSidecar[];
const ours = (): StoredSidecar[] => sidecars().filter((s) => s.metadata.labels?.['app.kubernetes.io/managed-by'] === 'sc2mesh');

describe('Sidecars from dependency records through the local runner', () => {
  let runner: LocalRunner;
  beforeAll(async () => {
    // With an ops server, so `sc2mesh status` and `resync` go through this runner.
    runner = await startLocalRunner({ ...config, server: { host: '127.0.0.1', port: await freePort() } }, { logger: silentLogger, watch: false, periodicSync: false });
    await runner.flush();
  }, 30_000);
  afterAll(async () => {
    await runner?.stop();
  });

  it('writes one Sidecar for a consumer with records, selecting its pods, its egress the providers\' hosts', async () => {
    expect(ours()).toEqual([]);
    await dependencies('POST', ['orders']);
    const report = await runner.syncNow();
    expect(report?.sidecars).toMatchObject({ outcome: 'ok', desired: 1 });
    // The runner's own consumer services also depend on what they read: never a Sidecar.
    const [sidecar] = ours();
    expect(ours()).toHaveLength(1);
    expect(sidecar?.spec.workloadSelector).toEqual({ labels: { app: 'catalog' } });
    expect(sidecar?.spec.egress).toEqual([{ hosts: [...ALWAYS, ORDERS] }]);
    expect(sidecar?.metadata.labels?.['sc2mesh.io/consumer']).toBeDefined();
  });

  it('adds a provider the consumer gains and removes one it loses, after a sync; a quiet sync writes nothing', async () => {
    await dependencies('POST', ['cart', 'payments']);
    await runner.syncNow();
    expect(ours()[0]?.spec.egress?.[0]?.hosts).toEqual([...ALWAYS, CART, ORDERS, PAYMENTS]);

    await dependencies('PUT', ['cart']);
    await runner.syncNow();
    expect(ours()[0]?.spec.egress?.[0]?.hosts).toEqual([...ALWAYS, CART]);

    kube.requestLog.clear();
    await runner.syncNow();
    expect(kube.requestLog.mutating()).toEqual([]);
  });

  it('repairs a hand-edited Sidecar on resync, and shows it in resync --dry-run first', async () => {
    const [mine] = ours();
    const name = mine?.metadata.name ?? '';
    const live = kube.store.get('Sidecar', MESH_NS, name) as unknown as StoredSidecar & { spec: { egress: { hosts: string[] }[] } };
    kube.store.put({ ...live, spec: { ...live.spec, egress: [{ hosts: ['*/*'] }] } } as never);
    const dry = await runCli(['resync', '--dry-run', '--state-dir', stateDir]);
    expect(dry.stdout).toContain(`Sidecar/${MESH_NS}/${name}`);
    expect(ours()[0]?.spec.egress?.[0]?.hosts).toEqual(['*/*']);
    const real = await runCli(['resync', '--state-dir', stateDir]);
    expect(real.code).toBe(0);
    expect(ours()[0]?.spec.egress?.[0]?.hosts).toEqual([...ALWAYS, CART]);
  });

  it('never writes over a foreign Sidecar: one selecting the same pods wins, and sc2mesh\'s own goes', async () => {
    const name = ours()[0]?.metadata.name ?? '';
    const foreign = {
      apiVersion: apiVersionOf('Sidecar'),
      kind: 'Sidecar',
      metadata: { name: 'team-catalog', namespace: MESH_NS, labels: { team: 'shop' } },
      spec: { workloadSelector: { labels: { app: 'catalog' } }, egress: [{ hosts: ['*/*'] }] },
    };
    kube.store.put(foreign as never);
    const before = JSON.stringify(kube.store.get('Sidecar', MESH_NS, 'team-catalog'));
    const report = await runner.syncNow();
    expect(report?.sidecars?.conflicts.map((c) => c.key)).toEqual([`Sidecar/${MESH_NS}/${name}`]);
    expect(report?.sidecars?.conflicts[0]?.reason).toContain('team-catalog');
    expect(ours()).toEqual([]);
    expect(JSON.stringify(kube.store.get('Sidecar', MESH_NS, 'team-catalog'))).toBe(before);
    const status = await runCli(['status', '--state-dir', stateDir]);
    expect(status.stdout).toContain('sidecar conflicts');

    // The foreign one gone, sc2mesh's comes back at the next sync.
    kube.store.delete('Sidecar', MESH_NS, 'team-catalog');
    await runner.syncNow();
    expect(ours()).toHaveLength(1);
  });
});
