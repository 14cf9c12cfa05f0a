// A team's own VirtualService for a synced host, under a name sc2mesh never uses: through
// the local runner, governance's VirtualService for that host is not written (a host
// conflict, on status), the team's object is untouched, the service's endpoints are still
// published, and once the team's object is gone a resync writes sc2mesh's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sc2meshConfig } from '../../lib/config/index.ts';
import { silentLogger } from '../../lib/log.ts';
import { ISTIO_API_VERSION } from '../../lib/model/istio.ts';
import type { RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startLocalRunner } from '../../lib/runtime/local-runner.ts';
import type { KubeApiServer } from '../support/kube-api-server/index.ts';
import { governanceRequest, startRunnerFixture, type RunnerFixture } from '../support/e2e/runner-fixture.ts';
import { freePort } from '../support/free-port.ts';
import { runCli } from '../support/run-cli.ts';

const NS = 'sc2mesh';
const HOST = 'orders.shop.production.servicecomb.internal';
const SHOP = { app: 'shop', environment: 'production' };

let fixture: RunnerFixture;
let sim: RegistrySimulator;
let kube: KubeApiServer;
let stateDir: string;
let config: Sc2meshConfig;

beforeAll(async () => {
  fixture = await startRunnerFixture({ name: 'host-claims', flags: { 'governance.enabled': true } });
  ({ sim, kube, stateDir, config } = fixture);
}, 30_000);

afterAll(async () => {
  await fixture?.close();
});

const gov = (path: string, body: unknown): Promise<unknown> => governanceRequest(sim, 'POST', path, body);

const ourVirtualServices = (): string[] =>
  (kube.store.list('VirtualService', NS) as unknown as { metadata: { name: string; labels?: Record<string, string> } }[])
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'sc2mesh')
    .map((o) => o.metadata.name);

describe('a foreign VirtualService for a synced host', () => {
  it('keeps governance from writing one beside it, is left untouched, and yields once it is gone', async () => {
    const foreign = {
      apiVersion: ISTIO_API_VERSION,
      kind: 'VirtualService',
      metadata: { name: 'team-orders-routes', namespace: NS, labels: { team: 'shop' } },
      spec: { hosts: [HOST], http: [{ name: 'all', route: [{ destination: { host: HOST } }], timeout: '3s' }] },
    };
    kube.store.put(foreign);
    const before = JSON.stringify(kube.store.get('VirtualService', NS, 'team-orders-routes'));
    await gov('/match-group', { name: 'to-orders', selector: SHOP, spec: { alias: 'to-orders', matches: [{ name: 'all', serviceName: 'orders' }] } });
    await gov('/retry', { name: 'to-orders', selector: SHOP, spec: { maxAttempts: 3 } });

    const runner = await startLocalRunner({ ...config, server: { host: '127.0.0.1', port: await freePort() } }, { logger: silentLogger, watch: false, periodicSync: false });
    try {
      await runner.flush();
      await runner.syncNow();
      await runner.flush();
      expect(ourVirtualServices()).toEqual([]);
      // The endpoints are still published: a guard never stalls publishing.
      expect(kube.store.count('ServiceEntry')).toBe(6);
      expect(JSON.stringify(kube.store.get('VirtualService', NS, 'team-orders-routes'))).toBe(before);
      const status = await runCli(['status', '--state-dir', stateDir]);
      expect(status.stdout).toContain(`already routed by VirtualService ${NS}/team-orders-routes`);

      kube.store.delete('VirtualService', NS, 'team-orders-routes');
      const resync = await runCli(['resync', '--state-dir', stateDir]);
      expect([resync.code, resync.stdout]).toEqual([0, expect.stringContaining('wrote 1 objects (1 missing, 0 changed)')]);
      expect(ourVirtualServices()).toHaveLength(1);
      expect(ourVirtualServices()[0]).toMatch(/^orders-shop-production-/);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
