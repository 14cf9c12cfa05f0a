// Governance end to end: a rule written to the registry simulator's governance API
// reaches the validating API server as a VirtualService / DestinationRule traffic policy
// after one sync of the local runner; disabled, the route goes; deleted, the rule's
// objects go; a VirtualService sc2mesh does not own is never written to.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { silentLogger } from '../../lib/log.ts';
import { ISTIO_API_VERSION } from '../../lib/model/istio.ts';
import { GOVERNANCE_RULES_ANNOTATION } from '../../lib/governance/objects.ts';
import type { RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startLocalRunner, type LocalRunner } from '../../lib/runtime/local-runner.ts';
import type { KubeApiServer } from '../support/kube-api-server/index.ts';
import { governanceRequest, startRunnerFixture, type RunnerFixture } from '../support/e2e/runner-fixture.ts';
import { freePort } from '../support/free-port.ts';
import { runCli } from '../support/run-cli.ts';

const NS = 'sc2mesh';
const SHOP = { app: 'shop', environment: 'production' };

let fixture: RunnerFixture;
let sim: RegistrySimulator;
let kube: KubeApiServer;
let stateDir: string;
let config: Sc2meshConfig;

beforeAll(async () => {
  fixture = await startRunnerFixture({ name: 'governance', flags: { 'governance.enabled': true } });
  ({ sim, kube, stateDir, config } = fixture);
}, 30_000);

afterAll(async () => {
  await fixture?.close();
});

const gov = (method: string, path: string, body?: unknown): Promise<unknown> => governanceRequest(sim, method, path, body);

interface Stored {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string };
  spec: { http?: { retries?: { attempts: number } }[]; trafficPolicy?: unknown; hosts?: string[] };
}

const named = (kind: 'VirtualService' | 'DestinationRule', prefix: string): Stored | undefined =>
  (kube.store.list(kind, NS) as unknown as Stored[]).find((o) => o.metadata.name.startsWith(prefix));

async function syncAndPush(runner: LocalRunner): Promise<void> {
  await runner.syncNow();
  await runner.flush();
}

describe('governance through the local runner', () => {
  it('writes, reverts and removes what a rule shapes, within one sync, and leaves foreign objects alone', async () => {
    const foreign = {
      apiVersion: ISTIO_API_VERSION,
      kind: 'VirtualService',
      metadata: { name: 'legacy-routes', namespace: NS, labels: { team: 'legacy' } },
      spec: { hosts: ['legacy.example.com'], http: [{ name: 'all', route: [{ destination: { host: 'legacy.example.com' } }], retries: { attempts: 5 } }] },
    };
    kube.store.put(foreign);
    const foreignBefore = JSON.stringify(kube.store.get('VirtualService', NS, 'legacy-routes'));

    // With an ops server, so `sc2mesh status` asks this runner.
    const runner = await startLocalRunner({ ...config, server: { host: '127.0.0.1', port: await freePort() } }, { logger: silentLogger, watch: false, periodicSync: false });
    try {
      await runner.flush();
      expect(named('VirtualService', 'orders-')).toBeUndefined();
      expect(kube.store.count('ServiceEntry')).toBe(6);

      // A match group for calls to orders, a retry and a load balancer of its name.
      await gov('POST', '/match-group', { name: 'to-orders', selector: SHOP, spec: { alias: 'to-orders', matches: [{ name: 'all', serviceName: 'orders' }] } });
      const retryId = (await gov('POST', '/retry', { name: 'to-orders', selector: SHOP, spec: { maxAttempts: 3 } })) as { id: string };
      await gov('POST', '/loadbalance', { name: 'to-orders', selector: SHOP, spec: { rule: 'Random' } });
      await syncAndPush(runner);

      const vs = named('VirtualService', 'orders-');
      expect(vs?.spec.http?.[0]?.retries?.attempts).toBe(3);
      expect(vs?.metadata.annotations?.[GOVERNANCE_RULES_ANNOTATION]).toBe('match-group/to-orders,retry/to-orders');
      expect(vs?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('sc2mesh');
      const dr = named('DestinationRule', 'orders-');
      expect(dr?.spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
      expect(runner.runtime.metrics.governanceRulesNotMapped).toBe(0);
      const status = await runCli(['status', '--state-dir', stateDir]);
      expect(status.stdout).toContain('governance: 0 rules not mapped at the last sync');
      // Only orders is governed.
      expect(kube.store.list('VirtualService', NS).map((o) => (o as unknown as Stored).metadata.name).sort()).toEqual(['legacy-routes', vs?.metadata.name].sort());

      // Nothing changed: a sync writes nothing.
      kube.requestLog.clear();
      await syncAndPush(runner);
      expect(kube.requestLog.mutating()).toHaveLength(0);

      // Disabled: the route goes, the load balancer stays.
      await gov('PUT', `/retry/${retryId.id}`, { status: 'disabled', spec: { maxAttempts: 3 } });
      await syncAndPush(runner);
      expect(named('VirtualService', 'orders-')).toBeUndefined();
      expect(named('DestinationRule', 'orders-')?.spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });

      // The match group deleted (and with it every policy of its name): nothing of it is left.
      const groups = (await gov('GET', '/match-group?environment=all')) as { id: string; name: string }[];
      await gov('DELETE', `/match-group/${groups.find((g) => g.name === 'to-orders')?.id ?? ''}`);
      await syncAndPush(runner);
      expect(named('DestinationRule', 'orders-')).toBeUndefined();
      expect(kube.store.count('ServiceEntry')).toBe(6);

      expect(JSON.stringify(kube.store.get('VirtualService', NS, 'legacy-routes'))).toBe(foreignBefore);
      expect(kube.requestLog.entries.filter((e) => e.path.endsWith('/virtualservices/legacy-routes') && e.method !== 'GET')).toEqual([]);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  it('diff --governance-enabled shows what turning governance on would write, and writes nothing', async () => {
    const off = await loadConfig({ env: {}, flags: { 'registry.addresses': [sim.baseUrl], 'kube.kubeconfig': kube.kubeconfigPath, 'kube.qps': 0, 'state.dir': stateDir, 'server.port': 0, 'log.level': 'silent' } });
    const runner = await startLocalRunner(off, { logger: silentLogger, watch: false, periodicSync: false });
    await runner.flush();
    await runner.stop();
    await gov('POST', '/match-group', { name: 'to-cart', selector: SHOP, spec: { alias: 'to-cart', matches: [{ name: 'all', serviceName: 'orders' }] } });
    await gov('POST', '/retry', { name: 'to-cart', selector: SHOP, spec: { maxAttempts: 2 } });
    const target = ['--registry', sim.baseUrl, '--kubeconfig', kube.kubeconfigPath, '--kube-qps', '0', '--state-dir', stateDir];

    const as = await runCli(['diff', ...target]);
    expect([as.code, as.stdout]).toEqual([0, expect.stringContaining('would write 0 objects')]);
    kube.requestLog.clear();
    const on = await runCli(['diff', ...target, '--governance-enabled']);
    expect(on.code).toBe(1);
    expect(on.stdout).toMatch(/~ apply {4}VirtualService\/sc2mesh\/orders-/);
    expect(kube.requestLog.mutating()).toEqual([]);
    expect(named('VirtualService', 'orders-')).toBeUndefined();
  }, 60_000);
});
